# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters: the namespace's login as Kafka client properties, for the workers and for connectors."""

from __future__ import annotations

DOCUMENTATION = r"""
name: kafka_connect_client_properties
version_added: 0.3.0
short_description: The Kafka login and Event Hubs client settings of the workers' clients, from one source
description:
  - Renders the security protocol, SASL mechanism, JAAS line, OAUTHBEARER handler settings and the client
    settings Microsoft recommends for Event Hubs for the worker and its C(producer.), C(consumer.) and
    C(admin.) clients; Debezium's own clients get theirs from the same function (C(debezium_kafka_clients)).
  - The result holds the JAAS line it is given; use it only in tasks with C(no_log) when that is a secret.
positional: _input
options:
  _input:
    description: The login, shaped like the eventhub role's C(eventhub_kafka_connection) (C(security_protocol),
      C(sasl_mechanism), C(sasl_jaas_config), C(sasl_login_callback_handler_class),
      C(sasl_oauthbearer_token_endpoint_url), C(sasl_oauthbearer_assertion_file)).
    type: dict
    required: true
  eventhubs_settings:
    description: Add Microsoft's recommended client settings for Event Hubs.
    type: bool
    default: true
author:
  - streamops (@streamops)
"""

EXAMPLES = r"""
---
- name: The workers' client properties
  ansible.builtin.set_fact:
    worker_clients: "{{ eventhub_kafka_connection | streamops.eventhub_connect.kafka_connect_client_properties }}"
  no_log: true
"""

RETURN = r"""
_value:
  description: Property name to value, for the prefixes C(''), C(producer.), C(consumer.) and C(admin.).
  type: dict
"""

from collections.abc import Mapping
from typing import Any, Callable, Dict

from ansible.errors import AnsibleFilterError

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._kafka_clients import (
    connector_login,
    worker_client_properties,
)


def kafka_connect_client_properties(login: Any, eventhubs_settings: bool = True) -> Dict[str, Any]:
    if not isinstance(login, Mapping):
        raise AnsibleFilterError("kafka_connect_client_properties expects the login as a dict")
    return worker_client_properties(login, bool(eventhubs_settings))


def kafka_connect_connector_login(connection: Any, placeholder: Any = None, eventhubs_settings: bool = True) -> Dict[str, Any]:
    """The login connectors' own Kafka clients use: no secret, the JAAS line as a config-provider placeholder."""
    if not isinstance(connection, Mapping):
        raise AnsibleFilterError("kafka_connect_connector_login expects the connection as a dict")
    return connector_login(connection, placeholder or None, bool(eventhubs_settings))


class FilterModule:
    def filters(self) -> Dict[str, Callable[..., Any]]:
        return {"kafka_connect_client_properties": kafka_connect_client_properties,
                "kafka_connect_connector_login": kafka_connect_connector_login}
