#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: manage an Event Hubs shared access (SAS) authorization rule, optionally returning its keys."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: eventhub_authorization_rule
short_description: Manage an Event Hubs SAS authorization rule and hand out its Kafka settings
version_added: 0.1.0
description:
  - Creates, updates or deletes a shared access authorization rule of an Event Hubs namespace (or of one event hub).
  - With O(return_keys=true) it also returns the rule's connection strings and keys, and the Kafka client settings
    (bootstrap servers, SASL_SSL, PLAIN, JAAS config) that Kafka Connect needs.
  - Whenever keys are returned, the whole task result is marked C(no_log) by the module's action plugin, so Ansible
    prints it as hidden at any verbosity; a registered variable still holds the values.
  - Kafka clients need a namespace-level rule. An event-hub-level rule (O(eventhub_name)) works, with a warning,
    but its connection string carries C(EntityPath) and is refused on the Kafka endpoint, so no C(kafka) settings
    are returned for it.
author:
  - streamops platform team (@streamops)
extends_documentation_fragment:
  - streamops.eventhub_connect.azure
  - streamops.eventhub_connect.azure.attributes
options:
  name:
    description: Rule name, 1-50 letters, digits, C(.), C(-), C(_).
    type: str
    required: true
  namespace_name:
    description: Event Hubs namespace.
    type: str
    required: true
  resource_group:
    description: Resource group of the namespace.
    type: str
    required: true
  eventhub_name:
    description: Put the rule on this event hub instead of the namespace (not usable for Kafka).
    type: str
  rights:
    description:
      - Rights of the rule. V(Manage) needs V(Listen) and V(Send) with it.
      - Kafka Connect needs V(Listen) and V(Send) when every topic is created beforehand, and V(Manage) to let it
        create topics itself.
      - Defaults to V(Listen) and V(Send) on create; unset keeps the current rights.
    type: list
    elements: str
    choices: [Listen, Send, Manage]
  state:
    description: Whether the rule should exist.
    type: str
    choices: [present, absent]
    default: present
  return_keys:
    description:
      - Return the connection strings and keys (RV(keys)) and the Kafka client settings (RV(kafka)).
      - The task's output is then hidden; register the result to use the values.
      - In check mode, keys are returned only for a rule that already exists.
    type: bool
    default: false
notes:
  - A namespace holds at most 12 authorization rules; a 13th is refused before any write.
seealso:
  - module: streamops.eventhub_connect.eventhub_namespace
"""

EXAMPLES = r"""
---
- name: SAS rule for Kafka Connect, with the Kafka settings registered for the next role
  streamops.eventhub_connect.eventhub_authorization_rule:
    name: kafka-connect
    namespace_name: contoso-connect-ehns
    resource_group: rg-streaming
    rights: [Listen, Send]
    return_keys: true
  register: connect_sas
  no_log: true

- name: Keep the Kafka settings for later tasks without printing them
  ansible.builtin.set_fact:
    kafka_connect_sasl_jaas_config: "{{ connect_sas.kafka.sasl_jaas_config }}"
    kafka_connect_bootstrap_servers: "{{ connect_sas.kafka.bootstrap_servers }}"
  no_log: true

- name: A send-only rule on one event hub (not for Kafka clients)
  streamops.eventhub_connect.eventhub_authorization_rule:
    name: orders-producer
    namespace_name: contoso-connect-ehns
    resource_group: rg-streaming
    eventhub_name: orders
    rights: [Send]

- name: Remove a rule
  streamops.eventhub_connect.eventhub_authorization_rule:
    name: kafka-connect
    namespace_name: contoso-connect-ehns
    resource_group: rg-streaming
    state: absent
"""

RETURN = r"""
rule:
  description: The rule after the change (predicted in check mode); empty after deletion. Never holds keys.
  returned: always
  type: dict
  contains:
    name:
      description: Rule name.
      type: str
      sample: kafka-connect
    rights:
      description: Rights, sorted.
      type: list
      elements: str
      sample: [Listen, Send]
    scope:
      description: V(namespace) or V(eventhub).
      type: str
      sample: namespace
keys:
  description: The rule's keys and connection strings. Secret.
  returned: when O(return_keys=true) and the rule exists
  type: dict
  contains:
    key_name:
      description: Rule name as used in the connection string.
      type: str
      sample: kafka-connect
    primary_connection_string:
      description: Primary connection string.
      type: str
      sample: Endpoint=sb://contoso-connect-ehns.servicebus.windows.net/;SharedAccessKeyName=kafka-connect;SharedAccessKey=...
    secondary_connection_string:
      description: Secondary connection string.
      type: str
      sample: Endpoint=sb://contoso-connect-ehns.servicebus.windows.net/;SharedAccessKeyName=kafka-connect;SharedAccessKey=...
    primary_key:
      description: Primary key.
      type: str
      sample: "..."
    secondary_key:
      description: Secondary key.
      type: str
      sample: "..."
kafka:
  description: Kafka client settings for the namespace's Kafka endpoint, built on the primary connection string. Secret.
  returned: when O(return_keys=true), the rule exists and is namespace-level
  type: dict
  contains:
    bootstrap_servers:
      description: The namespace's Kafka endpoint.
      type: str
      sample: contoso-connect-ehns.servicebus.windows.net:9093
    security_protocol:
      description: Always C(SASL_SSL).
      type: str
      sample: SASL_SSL
    sasl_mechanism:
      description: Always C(PLAIN).
      type: str
      sample: PLAIN
    sasl_jaas_config:
      description: JAAS line with user C($ConnectionString) and the connection string as password.
      type: str
      sample: org.apache.kafka.common.security.plain.PlainLoginModule required username="$ConnectionString" password="...";
diff:
  description: Before and after rights, in diff mode.
  returned: when diff mode is on
  type: dict
  sample: {before: {name: kafka-connect, rights: [Listen]}, after: {name: kafka-connect, rights: [Listen, Send]}}
"""

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._azure import azure_module
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._errors import run_module
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._eventhub_rule import (
    RULE_ARGUMENT_SPEC,
    AuthorizationRuleManager,
)


def main() -> None:
    module = azure_module(RULE_ARGUMENT_SPEC, supports_check_mode=True)
    run_module(module, AuthorizationRuleManager(module).run)


if __name__ == "__main__":
    main()
