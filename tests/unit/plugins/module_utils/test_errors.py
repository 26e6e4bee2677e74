# SPDX-License-Identifier: GPL-3.0-or-later
"""The one exception base: a code shows once in the message."""

from __future__ import annotations

import os
import sys

# `make setup` links the checkout as ansible_collections/streamops/eventhub_connect here
sys.path.insert(0, os.path.join(os.path.dirname(__file__), *[".."] * 3, "output", "collections"))

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._azure import AzureApiError  # noqa: E402
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._errors import ModuleError  # noqa: E402


def test_the_code_prefixes_the_message():
    assert str(ModuleError("event hub 'x' exists", code="Conflict")) == "Conflict: event hub 'x' exists"


def test_a_message_that_already_starts_with_its_code_is_not_prefixed_again():
    assert str(AzureApiError("Conflict: SubCode=40900", code="Conflict")) == "Conflict: SubCode=40900"


def test_a_message_without_code_stands_alone():
    assert str(ModuleError("name must not be empty")) == "name must not be empty"
