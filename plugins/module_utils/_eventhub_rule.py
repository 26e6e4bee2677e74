# SPDX-License-Identifier: GPL-3.0-or-later
"""The SAS authorization rule's manager, shared by eventhub_authorization_rule and the eventhub module's rule."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._azure import (
    as_json,
    azure_call,
    eventhub_client,
    get_or_none,
    list_json,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._errors import InvalidInput
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
    rule_body,
    rule_state_from_api,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._kafka_connection import (
    connection_string_endpoint,
    sas_kafka_connection,
)

RULE_ARGUMENT_SPEC: Dict[str, Any] = {
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
        # the namespace's serviceBusEndpoint when the caller read it; else the connection string's Endpoint
        self.service_bus_endpoint: Optional[str] = None

    @property
    def scope_args(self) -> List[str]:
        return [self.group, self.namespace] + ([self.hub] if self.hub else [])

    @property
    def operations(self) -> Any:
        return self.client.event_hubs if self.hub else self.client.namespaces

    def input_errors(self) -> List[str]:
        checks = [rule_name_error(self.name), namespace_name_error(self.namespace), resource_group_error(self.group),
                  hub_name_error(self.hub) if self.hub is not None else None,
                  rights_error(self.params["rights"]) if self.params["rights"] is not None else None]
        return [error for error in checks if error]

    def run(self) -> Dict[str, Any]:
        errors = self.input_errors()
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

    def find(self, rules: List[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
        """This rule among the namespace's rules as listed (names are case-insensitive)."""
        for rule in rules:
            if str(rule.get("name") or "").lower() == self.name.lower():
                return rule_state_from_api(rule)
        return None

    def quota_error(self, existing: Optional[Dict[str, Any]], rule_count: int) -> Optional[str]:
        """A new namespace-level rule past Azure's limit of rules per namespace."""
        if existing is not None or self.hub or rule_count < MAX_AUTHORIZATION_RULES:
            return None
        return ("namespace '%s' already holds %d authorization rules, the most Azure allows"
                % (self.namespace, rule_count))

    def check_rule_quota(self, rule_count: Optional[int] = None) -> None:
        if rule_count is None:
            rule_count = len(list_json(self.client.namespaces.list_authorization_rules(self.group, self.namespace)))
        error = self.quota_error(None, rule_count)
        if error:
            raise InvalidInput(error, code="QuotaExceeded")

    def present(self, existing: Optional[Dict[str, Any]], rule_count: Optional[int] = None) -> Dict[str, Any]:
        """rule_count: the namespace's rules as a read before this call counted them (read here when None)."""
        desired = self.desired(existing)
        changed = existing is None or existing["rights"] != desired["rights"]
        rule = existing
        if changed:
            if existing is None and not self.hub:
                self.check_rule_quota(rule_count)
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
            connection_string = keys["primary_connection_string"]
            endpoint = self.service_bus_endpoint or connection_string_endpoint(connection_string)
            returned["kafka"] = sas_kafka_connection(endpoint, connection_string)
        return returned

    def absent(self, existing: Optional[Dict[str, Any]]) -> Dict[str, Any]:
        if existing is not None and not self.module.check_mode:
            azure_call(self.operations.delete_authorization_rule, *(self.scope_args + [self.name]))
        result: Dict[str, Any] = {"changed": existing is not None, "rule": {}}
        if self.module._diff:
            result["diff"] = {"before": existing or {}, "after": {}}
        return result
