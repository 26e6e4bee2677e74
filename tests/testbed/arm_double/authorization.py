# SPDX-License-Identifier: GPL-3.0-or-later
"""Microsoft.Authorization as the double serves it: the three Event Hubs data roles and role assignments.

Role assignments live in the state under `roleAssignments`, keyed by their name (a GUID), at any
scope from the subscription down to a namespace. The namespace sync (kafka_sync.py) turns every
assignment that covers a namespace into Kafka ACLs for the principal `User:<namespace>/<object id>`,
the way SAS rules become ACLs: Data Owner = Manage+Send+Listen, Data Sender = Send, Data Receiver = Listen.
"""
from __future__ import annotations

import re
import time
from typing import Any

from .errors import ArmError, not_found

AUTHORIZATION_API_VERSIONS = ("2015-07-01", "2018-01-01-preview", "2018-09-01-preview", "2020-04-01-preview",
                              "2020-10-01-preview", "2022-04-01", "2022-05-01-preview")
PRINCIPAL_TYPES = ("User", "Group", "ServicePrincipal", "ForeignGroup", "Device")
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)

# Built-in role ids are the same in every tenant (Azure built-in roles page, "Analytics" section).
EVENTHUB_DATA_ROLES: dict[str, dict[str, Any]] = {
    "f526a384-b230-433a-b45c-95f59c4a2dec": {
        "roleName": "Azure Event Hubs Data Owner", "rights": ["Manage", "Send", "Listen"],
        "description": "Allows for full access to Azure Event Hubs resources.",
        "actions": ["Microsoft.EventHub/*"], "dataActions": ["Microsoft.EventHub/*"],
    },
    "2b629674-e913-4c01-ae53-ef4638d8f975": {
        "roleName": "Azure Event Hubs Data Sender", "rights": ["Send"],
        "description": "Allows send access to Azure Event Hubs resources.",
        "actions": ["Microsoft.EventHub/*/eventhubs/read"], "dataActions": ["Microsoft.EventHub/*/send/action"],
    },
    "a638d3c7-ab3a-418d-83e6-5f17a39d4fde": {
        "roleName": "Azure Event Hubs Data Receiver", "rights": ["Listen"],
        "description": "Allows receive access to Azure Event Hubs resources.",
        "actions": ["Microsoft.EventHub/*/eventhubs/consumergroups/read"], "dataActions": ["Microsoft.EventHub/*/receive/action"],
    },
}
ROLE_CREATED_ON = "2018-08-02T00:00:00.0000000Z"


def role_definition_json(subscription: str, role_id: str) -> dict:
    role = EVENTHUB_DATA_ROLES[role_id]
    return {
        "id": f"/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{role_id}",
        "name": role_id,
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": role["roleName"], "type": "BuiltInRole", "description": role["description"],
            "assignableScopes": ["/"],
            "permissions": [{"actions": role["actions"], "notActions": [], "dataActions": role["dataActions"], "notDataActions": []}],
            "createdOn": ROLE_CREATED_ON, "updatedOn": ROLE_CREATED_ON, "createdBy": None, "updatedBy": None,
        },
    }


def role_id_of(definition_id: str) -> str | None:
    """The GUID at the end of `[/subscriptions/<sub>]/providers/Microsoft.Authorization/roleDefinitions/<guid>`."""
    match = re.match(r"^(/subscriptions/[^/]+)?/providers/microsoft\.authorization/roledefinitions/([^/]+)$", definition_id or "",
                     re.IGNORECASE)
    return match.group(2).lower() if match else None


def normalized_scope(scope: str) -> str:
    return scope.rstrip("/").lower()


def covers(outer: str, inner: str) -> bool:
    """True when a role assigned at `outer` applies at `inner` (same scope or below it)."""
    outer, inner = normalized_scope(outer), normalized_scope(inner)
    return inner == outer or inner.startswith(outer + "/")


def timestamp() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.0000000Z", time.gmtime())


def canonical_scope(provider: Any, subscription: str, group: str | None, namespace: str | None) -> str:
    """The scope as ARM spells it back, after checking the resource exists (404 otherwise)."""
    provider.check_subscription(subscription)
    scope = f"/subscriptions/{provider.subscription}"
    if group is None:
        return scope
    found_group = provider.resource_group(subscription, group)
    scope += f"/resourceGroups/{found_group['name']}"
    if namespace is None:
        return scope
    found = provider.namespace(subscription, group, namespace)
    return scope + f"/providers/Microsoft.EventHub/namespaces/{found['name']}"


class Authorization:
    """Role definitions and assignments; handlers run under the store's lock like the provider's."""

    def __init__(self, provider: Any, principals: dict[str, str]) -> None:
        self.provider = provider
        self.store = provider.store
        # object id -> display name of the principals the directory knows
        self.principals = principals
        # Control `role-assignment-writes`: false makes the caller one who may read but not assign roles.
        self.writes_allowed = True

    @property
    def assignments(self) -> dict[str, dict]:
        return self.store.state.setdefault("roleAssignments", {})

    def assignment_json(self, assignment: dict) -> dict:
        return {
            "id": f"{assignment['scope']}/providers/Microsoft.Authorization/roleAssignments/{assignment['name']}",
            "name": assignment["name"],
            "type": "Microsoft.Authorization/roleAssignments",
            "properties": {key: assignment[key] for key in (
                "roleDefinitionId", "principalId", "principalType", "scope", "condition", "conditionVersion",
                "createdOn", "updatedOn", "createdBy", "updatedBy", "delegatedManagedIdentityResourceId", "description")},
        }

    # Role definitions -------------------------------------------------------------------------------
    def get_role_definition(self, subscription: str, group: str | None, namespace: str | None, role_id: str):
        from .provider import Reply  # pylint: disable=import-outside-toplevel

        canonical_scope(self.provider, subscription, group, namespace)
        if role_id.lower() not in EVENTHUB_DATA_ROLES:
            raise not_found("RoleDefinitionDoesNotExist", "The specified role definition with ID "
                            f"'{role_id}' does not exist.")
        return Reply(200, role_definition_json(self.provider.subscription, role_id.lower()))

    def list_role_definitions(self, subscription: str, group: str | None, namespace: str | None, query: dict[str, str]):
        from .provider import Reply  # pylint: disable=import-outside-toplevel

        canonical_scope(self.provider, subscription, group, namespace)
        wanted = re.match(r"^\s*roleName\s+eq\s+'([^']*)'\s*$", query.get("$filter", ""), re.IGNORECASE)
        roles = [role_definition_json(self.provider.subscription, role_id) for role_id, role in EVENTHUB_DATA_ROLES.items()
                 if not wanted or role["roleName"].lower() == wanted.group(1).lower()]
        return Reply(200, {"value": roles})

    # Role assignments -------------------------------------------------------------------------------
    def list_assignments(self, subscription: str, group: str | None, namespace: str | None, query: dict[str, str]):
        from .provider import Reply  # pylint: disable=import-outside-toplevel

        scope = canonical_scope(self.provider, subscription, group, namespace)
        text = query.get("$filter", "")
        at_scope = "atscope()" in text.replace(" ", "").lower()
        principal = re.search(r"principalId\s+eq\s+'([^']*)'", text, re.IGNORECASE)
        found = []
        for assignment in self.assignments.values():
            above = covers(assignment["scope"], scope)
            below = covers(scope, assignment["scope"])
            if not (above or (below and not at_scope)):
                continue
            if principal and assignment["principalId"].lower() != principal.group(1).lower():
                continue
            found.append(self.assignment_json(assignment))
        return Reply(200, {"value": found})

    def get_assignment(self, subscription: str, group: str | None, namespace: str | None, name: str):
        from .provider import Reply  # pylint: disable=import-outside-toplevel

        scope = canonical_scope(self.provider, subscription, group, namespace)
        assignment = self.assignments.get(name.lower())
        if assignment is None or normalized_scope(assignment["scope"]) != normalized_scope(scope):
            raise not_found("RoleAssignmentNotFound", f"The role assignment '{name}' is not found.")
        return Reply(200, self.assignment_json(assignment))

    def refuse_write(self, action: str, scope: str, name: str, caller: dict[str, Any]) -> None:
        if self.writes_allowed:
            return
        raise ArmError(403, "AuthorizationFailed",
                       f"The client '{caller.get('appid', '')}' with object id '{caller.get('oid', '')}' does not have authorization "
                       f"to perform action 'Microsoft.Authorization/roleAssignments/{action}' over scope "
                       f"'{scope}/providers/Microsoft.Authorization/roleAssignments/{name}' or the scope is invalid. If access was "
                       "recently granted, please refresh your credentials.")

    def put_assignment(self, subscription: str, group: str | None, namespace: str | None, name: str, body: Any,
                       caller: dict[str, Any]):
        from .provider import Reply, body_properties  # pylint: disable=import-outside-toplevel

        scope = canonical_scope(self.provider, subscription, group, namespace)
        self.refuse_write("write", scope, name, caller)
        if not GUID.match(name):
            raise ArmError(400, "InvalidRoleAssignmentId",
                           f"The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID.")
        properties = body_properties(body)
        role_id = role_id_of(properties.get("roleDefinitionId", ""))
        if role_id is None or role_id not in EVENTHUB_DATA_ROLES:
            raise ArmError(400, "RoleDefinitionDoesNotExist",
                           f"The specified role definition with ID '{role_id or properties.get('roleDefinitionId')}' does not exist.")
        principal = str(properties.get("principalId") or "")
        if not GUID.match(principal):
            raise ArmError(400, "InvalidPrincipalId", "A valid principal ID must be provided for role assignment.")
        if principal.lower() not in self.principals:
            raise ArmError(400, "PrincipalNotFound",
                           f"Principal {principal.replace('-', '')} does not exist in the directory {self.provider.config.tenant}. "
                           "Check that you have the correct principal ID. If you are creating this principal and then "
                           "immediately assigning a role, this error might be related to a replication delay. In this case, set "
                           "the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.")
        principal_type = properties.get("principalType") or "ServicePrincipal"
        if principal_type not in PRINCIPAL_TYPES:
            raise ArmError(400, "InvalidPrincipalType", f"The principal type '{principal_type}' is not valid.")
        definition = f"/subscriptions/{self.provider.subscription}/providers/Microsoft.Authorization/roleDefinitions/{role_id}"
        existing = self.assignments.get(name.lower())
        if existing is not None:
            if (normalized_scope(existing["scope"]) != normalized_scope(scope) or existing["principalId"] != principal.lower()
                    or role_id_of(existing["roleDefinitionId"]) != role_id):
                raise ArmError(400, "RoleAssignmentUpdateNotPermitted",
                               "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.")
            return Reply(201, self.assignment_json(existing))
        for other in self.assignments.values():
            if (normalized_scope(other["scope"]) == normalized_scope(scope) and other["principalId"] == principal.lower()
                    and role_id_of(other["roleDefinitionId"]) == role_id):
                raise ArmError(409, "RoleAssignmentExists", "The role assignment already exists.")
        now = timestamp()
        assignment = {
            "name": name.lower(), "scope": scope, "roleDefinitionId": definition, "principalId": principal.lower(),
            "principalType": principal_type, "condition": properties.get("condition"),
            "conditionVersion": properties.get("conditionVersion"), "description": properties.get("description"),
            "delegatedManagedIdentityResourceId": None, "createdOn": now, "updatedOn": now,
            "createdBy": caller.get("oid"), "updatedBy": caller.get("oid"),
        }
        self.assignments[name.lower()] = assignment
        self.store.save()
        return Reply(201, self.assignment_json(assignment))

    def delete_assignment(self, subscription: str, group: str | None, namespace: str | None, name: str,
                          caller: dict[str, Any]):
        from .provider import Reply  # pylint: disable=import-outside-toplevel

        scope = canonical_scope(self.provider, subscription, group, namespace)
        assignment = self.assignments.get(name.lower())
        if assignment is None or normalized_scope(assignment["scope"]) != normalized_scope(scope):
            return Reply(204)
        self.refuse_write("delete", scope, name, caller)
        del self.assignments[name.lower()]
        self.store.save()
        return Reply(200, self.assignment_json(assignment))


def namespace_rights(state: dict, namespace: dict) -> dict[str, set[str]]:
    """Object id -> Event Hubs rights its role assignments give on this namespace (kafka_sync's input).
    The double has one subscription, so scopes compare from the resource group down."""
    rights: dict[str, set[str]] = {}
    for assignment in state.get("roleAssignments", {}).values():
        scope = f"/resourceGroups/{namespace['resourceGroup']}/providers/Microsoft.EventHub/namespaces/{namespace['name']}"
        role_id = role_id_of(assignment["roleDefinitionId"])
        below_subscription = "/" + assignment["scope"].strip("/").split("/", 2)[-1] if assignment["scope"].count("/") > 2 else ""
        if role_id in EVENTHUB_DATA_ROLES and (not below_subscription or covers(below_subscription, scope)):
            rights.setdefault(assignment["principalId"], set()).update(EVENTHUB_DATA_ROLES[role_id]["rights"])
    return rights
