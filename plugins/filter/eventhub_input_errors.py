# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter: what is wrong with the eventhub role's own variables, by the role's one set of input rules."""

from __future__ import annotations

DOCUMENTATION = r"""
name: eventhub_input_errors
version_added: 0.2.0
short_description: The eventhub role's input rules for its own variables, one message per failing option
description:
  - Checks what argument_specs cannot express of the C(eventhub) role's authentication options before any
    write - local auth against O(eventhub_kafka_auth), the Entra ID tenant, client id, secret, authority,
    object id and assertion file, and O(eventhub_remove_sas_rule) (refused with C(sas) and for the
    namespace's own C(RootManageSharedAccessKey)).
  - Names, partitions, retention and tier limits are the topic plan's (filter C(eventhub_topic_plan)).
  - Returns one message per failing rule, naming the option, its value unless it is secret, and what is
    allowed; an empty list when every rule passes.
positional: _input
options:
  _input:
    description: The role's variables, option name to value; C(eventhub__entra_tenant) may carry the tenant
      the role found in the environment.
    type: dict
    required: true
author:
  - streamops (@streamops)
"""

EXAMPLES = r"""
---
- name: Refuse bad authentication settings before any write
  ansible.builtin.assert:
    that: eventhub__errors | length == 0
    fail_msg: "{{ eventhub__errors | join(' ') }}"
  vars:
    eventhub__errors: >-
      {{ {'eventhub_kafka_auth': eventhub_kafka_auth, 'eventhub_remove_sas_rule': eventhub_remove_sas_rule}
         | streamops.eventhub_connect.eventhub_input_errors }}
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

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._eventhub_inputs import (
    eventhub_input_errors as _errors,
)


def eventhub_input_errors(values: Any) -> List[str]:
    if not isinstance(values, Mapping):
        raise AnsibleFilterError("eventhub_input_errors expects a dict of the role's variables")
    return _errors(values)


class FilterModule:
    def filters(self) -> Dict[str, Callable[..., Any]]:
        return {"eventhub_input_errors": eventhub_input_errors}
