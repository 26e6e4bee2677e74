# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter: what is wrong with the kafka_connect role's variables, by the role's one set of input rules."""

from __future__ import annotations

DOCUMENTATION = r"""
name: kafka_connect_input_errors
version_added: 0.2.0
short_description: The kafka_connect role's input rules, one message per failing option
description:
  - Checks the bounds, patterns and cross-field rules of every option of the C(kafka_connect) role that
    argument_specs cannot express (probe periods and thresholds, grace period and preStop sleep, names,
    quantities, connector-secret keys and sizes, the Kafka connection).
  - Returns one message per failing rule, naming the option, its value unless it is secret, and what is
    allowed; an empty list when every rule passes. The role's C(validate.yml) asserts it is empty.
positional: _input
options:
  _input:
    description: The role's variables, option name to value.
    type: dict
    required: true
requirements:
  - kubernetes (the Python client kubernetes.core needs), to parse quantities
author:
  - streamops (@streamops)
"""

EXAMPLES = r"""
---
- name: Refuse bad input before any API call
  ansible.builtin.assert:
    that: kafka_connect__errors | length == 0
    fail_msg: "{{ kafka_connect__errors | join(' ') }}"
  vars:
    kafka_connect__errors: >-
      {{ {'kafka_connect_replicas': kafka_connect_replicas} | streamops.eventhub_connect.kafka_connect_input_errors }}
"""

RETURN = r"""
_value:
  description: One message per failing rule; empty when the input is good.
  type: list
  elements: str
"""

from collections.abc import Mapping
from typing import Any, Callable, Dict, List

from ansible.errors import AnsibleFilterError

from ansible_collections.streamops.eventhub_connect.plugins.filter.kafka_connect_quantity import kafka_connect_quantity
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._kafka_connect_inputs import (
    kafka_connect_input_errors as _errors,
)


def kafka_connect_input_errors(values: Any) -> List[str]:
    if not isinstance(values, Mapping):
        raise AnsibleFilterError("kafka_connect_input_errors expects a dict of the role's variables")
    return _errors(values, quantity=kafka_connect_quantity)


class FilterModule:
    def filters(self) -> Dict[str, Callable[..., Any]]:
        return {"kafka_connect_input_errors": kafka_connect_input_errors}
