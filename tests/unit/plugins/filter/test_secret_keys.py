# SPDX-License-Identifier: GPL-3.0-or-later
"""The secret_keys filter: the module rule, reachable from Jinja."""

from __future__ import annotations

import os
import sys

import pytest
from ansible.errors import AnsibleFilterError

# `make setup` links the checkout as ansible_collections/streamops/eventhub_connect here
sys.path.insert(0, os.path.join(os.path.dirname(__file__), *[".."] * 3, "output", "collections"))

from ansible_collections.streamops.eventhub_connect.plugins.filter.secret_keys import FilterModule  # noqa: E402


def test_the_filter_lists_the_secret_keys():
    secret_keys = FilterModule().filters()["secret_keys"]
    assert secret_keys({"ssl.keystore.key": "-----BEGIN", "group.id": "g"}) == ["ssl.keystore.key"]


def test_the_filter_refuses_what_is_not_a_mapping():
    with pytest.raises(AnsibleFilterError, match="mapping"):
        FilterModule().filters()["secret_keys"](["a.password"])
