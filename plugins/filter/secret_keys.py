# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter: the keys of a mapping whose values are credentials."""

from __future__ import annotations

DOCUMENTATION = r"""
name: secret_keys
version_added: 0.2.0
short_description: The keys of a mapping of Kafka or Connect settings whose values are secret
description:
  - Returns, sorted, the keys whose values are credentials by the collection's one rule (the same
    rule the connector modules use to mask values and diffs), for example C(database.password),
    C(sasl.jaas.config), C(ssl.keystore.key) and C(schema.registry.basic.auth.user.info).
  - Use it to keep secrets out of ConfigMaps and connector configs.
positional: _input
options:
  _input:
    description: A mapping of property names to values.
    type: dict
    required: true
author:
  - streamops (@streamops)
"""

EXAMPLES = r"""
---
- name: Refuse secrets among the worker settings
  ansible.builtin.assert:
    that: kafka_connect_worker_settings | streamops.eventhub_connect.secret_keys | length == 0
"""

RETURN = r"""
_value:
  description: The secret keys, sorted.
  type: list
  elements: str
"""

from collections.abc import Mapping
from typing import Any, Callable, Dict, List

from ansible.errors import AnsibleFilterError

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._secrets import secret_keys as _secret_keys


def secret_keys(mapping: Any) -> List[str]:
    if not isinstance(mapping, Mapping):
        raise AnsibleFilterError("secret_keys expects a mapping of settings, got %s" % type(mapping).__name__)
    return _secret_keys(mapping)


class FilterModule:
    def filters(self) -> Dict[str, Callable[..., Any]]:
        return {"secret_keys": secret_keys}
