# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter: the SASL PLAIN JAAS line (sasl.jaas.config), its values escaped once."""

from __future__ import annotations

DOCUMENTATION = r"""
name: eventhub_kafka_jaas
version_added: 0.2.0
short_description: The SASL PLAIN C(sasl.jaas.config) line for a password (an Event Hubs connection string by default)
description:
  - Builds C(org.apache.kafka.common.security.plain.PlainLoginModule required username="..." password="...";)
    with a backslash before every backslash and double quote in the values, as Kafka's JAAS parser reads them.
  - The same function builds the C(kafka.sasl_jaas_config) that
    C(streamops.eventhub_connect.eventhub_authorization_rule) returns.
  - The result is a credential; use it only in tasks with C(no_log).
positional: _input
options:
  _input:
    description: The password; for Event Hubs the namespace or rule connection string.
    type: str
    required: true
  username:
    description: The user name; Event Hubs takes the literal C($ConnectionString).
    type: str
    default: $ConnectionString
author:
  - streamops (@streamops)
"""

EXAMPLES = r"""
---
- name: The JAAS line of a worker logging in to Event Hubs
  ansible.builtin.set_fact:
    worker_jaas: "{{ connection_string | streamops.eventhub_connect.eventhub_kafka_jaas }}"
  no_log: true
"""

RETURN = r"""
_value:
  description: The JAAS line, ending with C(;).
  type: str
"""

from typing import Any, Callable, Dict

from ansible.errors import AnsibleFilterError

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._kafka_connection import (
    EVENTHUB_KAFKA_USERNAME,
    plain_jaas_config,
)


def eventhub_kafka_jaas(password: Any, username: str = EVENTHUB_KAFKA_USERNAME) -> str:
    if not isinstance(password, str) or not password:
        raise AnsibleFilterError("eventhub_kafka_jaas expects the password (a connection string) as a non-empty string")
    if not isinstance(username, str) or not username:
        raise AnsibleFilterError("eventhub_kafka_jaas: username must be a non-empty string")
    return plain_jaas_config(username, password)


class FilterModule:
    def filters(self) -> Dict[str, Callable[..., Any]]:
        return {"eventhub_kafka_jaas": eventhub_kafka_jaas}
