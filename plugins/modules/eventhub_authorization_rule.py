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

from typing import Any, Dict, List, Optional

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._azure import (
    as_json,
    azure_call,
    azure_module,
    eventhub_client,
    get_or_none,
    list_json,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._errors import InvalidInput, run_module
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._eventhub_limits import (
    MAX_AUTHORIZATION_RULES,
    hub_name_error,
    namespace_name_error,
    resource_group_error,
    rights_error,
    rule_name_error,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._eventhub_model import (
    access_keys_result,
    kafka_client_settings,
    rule_body,
    rule_state_from_api,
)

ARGUMENT_SPEC: Dict[str, Any] = {
    "name": {"type": "str", "required": True},
    "namespace_name": {"type": "str", "required": True},
    "resource_group": {"type": "str", "required": True},
    "eventhub_name": {"type": "str"},
    "rights": {"type": "list", "elements": "str", "choices": ["Listen", "Send", "Manage"]},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "return_keys": {"type": "bool", "default": False, "no_log": False},
}

DEFAULT_RIGHTS = ["Listen", "Send"]


class AuthorizationRuleManager:
    def __init__(self, module: Any) -> None:
        self.module = module
        self.params = module.params
        self.name = self.params["name"]
        self.namespace = self.params["namespace_name"]
        self.group = self.params["resource_group"]
        self.hub = self.params["eventhub_name"]
        self.client: Any = None

    @property
    def scope_args(self) -> List[str]:
        return [self.group, self.namespace] + ([self.hub] if self.hub else [])

    @property
    def operations(self) -> Any:
        return self.client.event_hubs if self.hub else self.client.namespaces

    def run(self) -> Dict[str, Any]:
        checks = [rule_name_error(self.name), namespace_name_error(self.namespace), resource_group_error(self.group),
                  hub_name_error(self.hub) if self.hub is not None else None,
                  rights_error(self.params["rights"]) if self.params["rights"] is not None else None]
        errors = [error for error in checks if error]
        if errors:
            raise InvalidInput("; ".join(errors), code="InvalidParameter")
        if self.hub:
            self.module.warn("rule '%s' is on event hub '%s': Kafka clients need a namespace-level connection string "
                             "(one with EntityPath is refused on the Kafka endpoint)" % (self.name, self.hub))
        self.client = eventhub_client(self.params)
        existing = self.get_existing()
        if self.params["state"] == "absent":
            return self.absent(existing)
        return self.present(existing)

    def get_existing(self) -> Optional[Dict[str, Any]]:
        resource = get_or_none(self.operations.get_authorization_rule, *(self.scope_args + [self.name]))
        return rule_state_from_api(resource) if resource else None

    def desired(self, existing: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        rights = self.params["rights"]
        if rights is None:
            rights = existing["rights"] if existing else DEFAULT_RIGHTS
        return {"name": existing["name"] if existing else self.name, "rights": sorted(set(rights))}

    def check_rule_quota(self) -> None:
        rules = list_json(self.client.namespaces.list_authorization_rules(self.group, self.namespace))
        if len(rules) >= MAX_AUTHORIZATION_RULES:
            raise InvalidInput("namespace '%s' already holds %d authorization rules, the most Azure allows"
                               % (self.namespace, len(rules)), code="QuotaExceeded")

    def present(self, existing: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        desired = self.desired(existing)
        changed = existing is None or existing["rights"] != desired["rights"]
        rule = existing
        if changed:
            if existing is None and not self.hub:
                self.check_rule_quota()
            if self.module.check_mode:
                rule = desired
            else:
                resource = azure_call(self.operations.create_or_update_authorization_rule,
                                      *(self.scope_args + [self.name, rule_body(desired["rights"])]))
                rule = rule_state_from_api(as_json(resource))
        result: Dict[str, Any] = {"changed": changed, "rule": self.describe(rule or desired)}
        if self.params["return_keys"] and (existing is not None or not self.module.check_mode):
            result.update(self.keys())
        if self.module._diff:
            result["diff"] = {"before": existing or {}, "after": desired}
        return result

    def describe(self, rule: Dict[str, Any]) -> Dict[str, Any]:
        described = dict(rule, scope="eventhub" if self.hub else "namespace")
        if self.hub:
            described["eventhub_name"] = self.hub
        return described

    def keys(self) -> Dict[str, Any]:
        access_keys = as_json(azure_call(self.operations.list_keys, *(self.scope_args + [self.name])))
        keys = access_keys_result(access_keys)
        returned: Dict[str, Any] = {"keys": keys}
        if not self.hub and keys["primary_connection_string"]:
            returned["kafka"] = kafka_client_settings(keys["primary_connection_string"])
        return returned

    def absent(self, existing: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        if existing is not None and not self.module.check_mode:
            azure_call(self.operations.delete_authorization_rule, *(self.scope_args + [self.name]))
        result: Dict[str, Any] = {"changed": existing is not None, "rule": {}}
        if self.module._diff:
            result["diff"] = {"before": existing or {}, "after": {}}
        return result


def main() -> None:
    module = azure_module(ARGUMENT_SPEC, supports_check_mode=True)
    run_module(module, AuthorizationRuleManager(module).run)


if __name__ == "__main__":
    main()
