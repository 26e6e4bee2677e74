# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter: the rendered worker properties that the workers' Kafka version would not read."""

from __future__ import annotations

DOCUMENTATION = r"""
name: kafka_connect_version_errors
version_added: 0.3.0
short_description: Worker properties that need a newer Kafka than the workers run, one message each
description:
  - Checks rendered Kafka Connect worker properties against the workers' Kafka version (the role's
    C(kafka_connect_kafka_version)); a worker would ignore a property its Kafka does not know.
  - Each message names the setting, the Kafka version and KIP it needs, and the variable; the values of
    the properties are never part of a message.
positional: _input
options:
  _input:
    description: The worker properties, name to value.
    type: dict
    required: true
  kafka_version:
    description: The workers' Kafka version, V(X.Y) or V(X.Y.Z).
    type: str
    required: true
author:
  - streamops (@streamops)
"""

EXAMPLES = r"""
---
- name: Refuse settings the image's Kafka would ignore
  ansible.builtin.assert:
    that:
      - worker_properties | streamops.eventhub_connect.kafka_connect_version_errors('4.3.0') | length == 0
"""

RETURN = r"""
_value:
  description: One message per property group that needs a newer Kafka; empty when all hold.
  type: list
  elements: str
"""

from collections.abc import Mapping
from typing import Any, Callable, Dict, List

from ansible.errors import AnsibleFilterError

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._kafka_versions import worker_version_errors


def kafka_connect_version_errors(properties: Any, kafka_version: Any) -> List[str]:
    if not isinstance(properties, Mapping):
        raise AnsibleFilterError("kafka_connect_version_errors expects a dict of worker properties")
    return worker_version_errors(properties, kafka_version)


class FilterModule:
    def filters(self) -> Dict[str, Callable[..., Any]]:
        return {"kafka_connect_version_errors": kafka_connect_version_errors}
