# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter: the Kafka connection settings of an Event Hubs namespace with a SAS connection string (SASL PLAIN)."""

from __future__ import annotations

DOCUMENTATION = r"""
name: eventhub_kafka_sas
version_added: 0.3.0
short_description: Kafka settings (SASL_SSL, PLAIN, C($ConnectionString)) for an Event Hubs namespace endpoint
description:
  - Builds the C(eventhub_kafka_connection) the eventhub role publishes with C(eventhub_kafka_auth=sas), that is
    C(bootstrap_servers) C(<host>:9093), C(security_protocol) C(SASL_SSL), C(sasl_mechanism) C(PLAIN) and the
    C(sasl_jaas_config) line with user name C($ConnectionString) and the connection string as password.
  - C(<host>) is the host of the namespace endpoint Azure answers, so the settings hold for every cloud. The same
    code builds the C(kafka) result of M(streamops.eventhub_connect.eventhub) and
    M(streamops.eventhub_connect.eventhub_authorization_rule), and the role's check-mode prediction.
  - C(sasl_jaas_config) of the result holds the connection string; use the result only in tasks with C(no_log).
positional: _input
options:
  _input:
    description:
      - The namespace's endpoint as Azure answers it (C(service_bus_endpoint) of
        M(streamops.eventhub_connect.eventhub_namespace), for example C(https://contoso-ehns.servicebus.windows.net:443/)),
        or the C(Endpoint) of a connection string (C(sb://contoso-ehns.servicebus.windows.net/)).
      - A bare namespace name (no dot) stands for the public cloud's C(<name>.servicebus.windows.net).
    type: str
    required: true
  connection_string:
    description: The namespace-level connection string Connect logs in with (the password).
    type: str
    required: true
author:
  - streamops (@streamops)
"""

EXAMPLES = r"""
---
- name: Kafka settings for a namespace and a rule's connection string
  ansible.builtin.set_fact:
    eventhub_kafka_connection: "{{ namespace_info.namespace.service_bus_endpoint
      | streamops.eventhub_connect.eventhub_kafka_sas(connection_string=rule.keys.primary_connection_string) }}"
  no_log: true
"""

RETURN = r"""
_value:
  description: The connection settings (bootstrap_servers, security_protocol, sasl_mechanism, sasl_jaas_config).
  type: dict
"""

from typing import Any, Callable, Dict

from ansible.errors import AnsibleFilterError

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._kafka_connection import (
    given_endpoint,
    sas_kafka_connection,
)


def eventhub_kafka_sas(endpoint: Any, connection_string: Any = None) -> Dict[str, str]:
    try:
        namespace_endpoint = given_endpoint(endpoint)
    except ValueError as exc:
        raise AnsibleFilterError("eventhub_kafka_sas: %s" % exc)
    if not isinstance(connection_string, str) or not connection_string:
        raise AnsibleFilterError("eventhub_kafka_sas: connection_string must be a non-empty string")
    return sas_kafka_connection(namespace_endpoint, connection_string)


class FilterModule:
    def filters(self) -> Dict[str, Callable[..., Any]]:
        return {"eventhub_kafka_sas": eventhub_kafka_sas}
