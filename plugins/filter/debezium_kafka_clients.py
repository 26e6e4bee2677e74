# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters: the namespace's login for the Kafka clients Debezium connectors build themselves."""

from __future__ import annotations

DOCUMENTATION = r"""
name: debezium_kafka_clients
version_added: 0.3.0
short_description: Add the namespace's login to the Kafka clients of Debezium connectors (schema history, signals)
description:
  - A Debezium connector with a Kafka schema history (C(io.debezium.storage.kafka.history.KafkaSchemaHistory), the
    default of the MySQL, MariaDB, SQL Server and Oracle connectors) or a Kafka signal channel
    (C(signal.enabled.channels) with C(kafka)) builds its own Kafka clients, which do not inherit the worker's
    C(producer.) and C(consumer.) settings.
  - For each such connector of the list this adds the bootstrap servers
    (C(schema.history.internal.kafka.bootstrap.servers), C(signal.kafka.bootstrap.servers)) and, under
    C(schema.history.internal.producer.), C(schema.history.internal.consumer.) and C(signal.consumer.), the
    security protocol, SASL mechanism, the JAAS line as a config-provider placeholder, the OAUTHBEARER settings and
    the Event Hubs client settings - from the same source as the workers' own clients.
  - Keys the connector's config already sets are kept as they are.
positional: _input
options:
  _input:
    description: The connectors list (C(connectors_list) entries with C(name) and C(config)).
    type: list
    elements: dict
    required: true
  login:
    description: The kafka_connect role's C(kafka_connect_endpoint.kafka_login); empty adds nothing.
    type: dict
    required: true
author:
  - streamops (@streamops)
"""

EXAMPLES = r"""
---
- name: The connectors with the namespace's login for Debezium's own clients
  ansible.builtin.set_fact:
    connectors: "{{ connectors_list | streamops.eventhub_connect.debezium_kafka_clients(kafka_connect_endpoint.kafka_login) }}"
"""

RETURN = r"""
_value:
  description: The list, each Debezium connector's config with the settings it lacked.
  type: list
  elements: dict
"""

from collections.abc import Mapping
from typing import Any, Callable, Dict, List

from ansible.errors import AnsibleFilterError

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._kafka_clients import debezium_client_properties
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._topic_plan import (
    uses_kafka_schema_history,
    uses_kafka_signals,
)


def _needs_clients(entry: Any) -> bool:
    config = entry.get("config") if isinstance(entry, Mapping) else None
    return isinstance(config, Mapping) and (uses_kafka_schema_history(config) or uses_kafka_signals(config))


def debezium_kafka_clients(connectors: Any, login: Any) -> List[Any]:
    if not isinstance(connectors, list):
        raise AnsibleFilterError("debezium_kafka_clients expects the connectors list")
    if login is not None and not isinstance(login, Mapping):
        raise AnsibleFilterError("debezium_kafka_clients: login must be a dict")
    result = []
    for entry in connectors:
        if _needs_clients(entry) and entry.get("state") != "absent":
            config = entry["config"]
            added = debezium_client_properties(config, login or {}, uses_kafka_schema_history(config),
                                               uses_kafka_signals(config))
            entry = dict(entry, config=dict(config, **added))
        result.append(entry)
    return result


def debezium_kafka_clients_needed(connectors: Any) -> bool:
    """Whether any connector of the list builds Kafka clients of its own (site.yml publishes the login for them)."""
    return isinstance(connectors, list) and any(_needs_clients(entry) for entry in connectors)


class FilterModule:
    def filters(self) -> Dict[str, Callable[..., Any]]:
        return {"debezium_kafka_clients": debezium_kafka_clients,
                "debezium_kafka_clients_needed": debezium_kafka_clients_needed}
