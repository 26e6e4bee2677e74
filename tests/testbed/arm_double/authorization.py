# SPDX-License-Identifier: GPL-3.0-or-later
"""Microsoft.Authorization as the double serves it: the three Event Hubs data roles and role assignments.

Role assignments live in the state under `roleAssignments`, keyed by their name (a GUID), at any
scope from a management group down to a namespace, with the scope spelled as the caller spelled it in the
request path (Azure keeps it so; every comparison is case-insensitive). The subscription sits under the
management groups of `managementGroups.ancestors` (nearest first, the tenant root group, whose id is the
tenant's, last); a list at a scope answers the assignments at it and at every ancestor, each with its own scope,
as Azure's scope inheritance does. The namespace sync (kafka_sync.py) turns every
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


def role_definition_json(prefix: str, role_id: str) -> dict:
    """A built-in role's definition; `prefix` is `/subscriptions/<id>` below a subscription, empty at a management group."""
    role = EVENTHUB_DATA_ROLES[role_id]
    return {
        "id": f"{prefix}/providers/Microsoft.Authorization/roleDefinitions/{role_id}",
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


MANAGEMENT_GROUP = re.compile(r"^/providers/microsoft\.management/managementgroups/([^/]+)$", re.IGNORECASE)


def normalized_scope(scope: str) -> str:
    return scope.rstrip("/").lower()


def covers(outer: str, inner: str) -> bool:
    """True when `outer` is `inner` or a resource id above it (same scope or below it, by path)."""
    outer, inner = normalized_scope(outer), normalized_scope(inner)
    return inner == outer or inner.startswith(outer + "/")


def applies_at(assignment_scope: str, scope: str, ancestors: list[str]) -> bool:
    """True when a role assigned at `assignment_scope` applies at `scope`: the root scope `/`, a management group
    above the subscription (or above the management group `scope`), or a resource id at or above `scope`."""
    outer = normalized_scope(assignment_scope)
    if outer == "":
        return True
    group = MANAGEMENT_GROUP.match(outer)
    if group is None:
        return covers(outer, scope)
    chain = [name.lower() for name in ancestors]
    inner = MANAGEMENT_GROUP.match(normalized_scope(scope))
    if inner is None:
        return group.group(1) in chain
    if group.group(1) == inner.group(1):
        return True
    return inner.group(1) in chain and group.group(1) in chain[chain.index(inner.group(1)) + 1:]


def default_management_groups(tenant: str) -> dict[str, list[str]]:
    """The subscription right under the tenant root group (id = tenant id), as a new tenant has it."""
    return {"ancestors": [tenant], "others": []}


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


def spelled_scope(path: str) -> str:
    """The scope part of a Microsoft.Authorization path, as the caller spelled it."""
    return re.split(r"/providers/microsoft\.authorization/", path, maxsplit=1, flags=re.IGNORECASE)[0] or "/"


class Authorization:
    """Role definitions and assignments; handlers run under the store's lock like the provider's."""

    def __init__(self, provider: Any, principals: dict[str, str], tenant: str = "") -> None:
        self.provider = provider
        self.store = provider.store
        # object id -> display name of the principals the directory knows
        self.principals = principals
        self.tenant = tenant
        # Control `role-assignment-writes`: false makes the caller one who may read but not assign roles.
        self.writes_allowed = True
        # Control `principal-replication`: object id -> (monotonic time until which, PUTs left during which)
        # role assignments for it answer PrincipalNotFound, as Entra ID's replication delay makes Azure answer.
        self.unreplicated: dict[str, list[float]] = {}

    @property
    def assignments(self) -> dict[str, dict]:
        return self.store.state.setdefault("roleAssignments", {})

    @property
    def management_groups(self) -> dict[str, list[str]]:
        return self.store.state.setdefault("managementGroups", default_management_groups(self.tenant))

    def assignment_json(self, assignment: dict) -> dict:
        scope = assignment["scope"].rstrip("/")
        return {
            "id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/{assignment['name']}",
            "name": assignment["name"],
            "type": "Microsoft.Authorization/roleAssignments",
            "properties": {key: assignment[key] for key in (
                "roleDefinitionId", "principalId", "principalType", "scope", "condition", "conditionVersion",
                "createdOn", "updatedOn", "createdBy", "updatedBy", "delegatedManagedIdentityResourceId", "description")},
        }

    def scope_of(self, groups: dict[str, str | None], path: str) -> str:
        """The requested scope as the caller spelled it, after checking it exists (404 otherwise)."""
        group = groups.get("mg")
        if group is not None:
            known = self.management_groups["ancestors"] + self.management_groups["others"]
            if group.lower() not in {name.lower() for name in known}:
                raise not_found("ManagementGroupNotFound", f"The management group '{group}' was not found.")
        else:
            canonical_scope(self.provider, str(groups.get("sub")), groups.get("rg"), groups.get("ns"))
        return spelled_scope(path)

    def definition_prefix(self, scope: str) -> str:
        """Role definition ids carry the subscription below a subscription, none at a management group."""
        return "" if MANAGEMENT_GROUP.match(normalized_scope(scope)) else f"/subscriptions/{self.provider.subscription}"

    # Role definitions -------------------------------------------------------------------------------
    def get_role_definition(self, groups: dict[str, str | None], path: str, role_id: str):
        from .provider import Reply  # pylint: disable=import-outside-toplevel

        scope = self.scope_of(groups, path)
        if role_id.lower() not in EVENTHUB_DATA_ROLES:
            raise not_found("RoleDefinitionDoesNotExist", "The specified role definition with ID "
                            f"'{role_id}' does not exist.")
        return Reply(200, role_definition_json(self.definition_prefix(scope), role_id.lower()))

    def list_role_definitions(self, groups: dict[str, str | None], path: str, query: dict[str, str]):
        from .provider import Reply  # pylint: disable=import-outside-toplevel

        scope = self.scope_of(groups, path)
        wanted = re.match(r"^\s*roleName\s+eq\s+'([^']*)'\s*$", query.get("$filter", ""), re.IGNORECASE)
        roles = [role_definition_json(self.definition_prefix(scope), role_id) for role_id, role in EVENTHUB_DATA_ROLES.items()
                 if not wanted or role["roleName"].lower() == wanted.group(1).lower()]
        return Reply(200, {"value": roles})

    # Role assignments -------------------------------------------------------------------------------
    def list_assignments(self, groups: dict[str, str | None], path: str, query: dict[str, str]):
        """Azure's filters: `atScope()` at or above the scope only; `principalId eq '<id>'` the principal's at, above or
        below it; `assignedTo('<id>')` the principal's (the double's directory has no groups, so its own)."""
        from .provider import Reply  # pylint: disable=import-outside-toplevel

        scope = self.scope_of(groups, path)
        text = query.get("$filter", "")
        at_scope = "atscope()" in text.replace(" ", "").lower()
        principal = (re.search(r"principalId\s+eq\s+'([^']*)'", text, re.IGNORECASE)
                     or re.search(r"assignedTo\(\s*'([^']*)'\s*\)", text, re.IGNORECASE))
        ancestors = self.management_groups["ancestors"]
        found = []
        for assignment in self.assignments.values():
            above = applies_at(assignment["scope"], scope, ancestors)
            below = applies_at(scope, assignment["scope"], ancestors)
            if not (above or (below and not at_scope)):
                continue
            if principal and assignment["principalId"].lower() != principal.group(1).lower():
                continue
            found.append(self.assignment_json(assignment))
        return Reply(200, {"value": found})

    def get_assignment(self, groups: dict[str, str | None], path: str, name: str):
        from .provider import Reply  # pylint: disable=import-outside-toplevel

        scope = self.scope_of(groups, path)
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

    def delay_replication(self, object_id: str, seconds: float = 0, requests: int = 0) -> None:
        """Role assignments for `object_id` answer PrincipalNotFound for `seconds` from now, or for the next `requests`
        PUTs (whichever is given; both: until both are spent)."""
        self.unreplicated[object_id.lower()] = [time.monotonic() + seconds, float(requests)]

    def replicated(self, principal: str) -> bool:
        delay = self.unreplicated.get(principal)
        if delay is None:
            return True
        if time.monotonic() >= delay[0] and delay[1] <= 0:
            del self.unreplicated[principal]
            return True
        delay[1] -= 1
        return False

    def put_assignment(self, groups: dict[str, str | None], path: str, name: str, body: Any, caller: dict[str, Any]):
        from .provider import Reply, body_properties  # pylint: disable=import-outside-toplevel

        scope = self.scope_of(groups, path)
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
        if principal.lower() not in self.principals or not self.replicated(principal.lower()):
            raise ArmError(400, "PrincipalNotFound",
                           f"Principal {principal.replace('-', '')} does not exist in the directory {self.provider.config.tenant}. "
                           "Check that you have the correct principal ID. If you are creating this principal and then "
                           "immediately assigning a role, this error might be related to a replication delay. In this case, set "
                           "the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.")
        principal_type = properties.get("principalType") or "ServicePrincipal"
        if principal_type not in PRINCIPAL_TYPES:
            raise ArmError(400, "InvalidPrincipalType", f"The principal type '{principal_type}' is not valid.")
        definition = f"{self.definition_prefix(scope)}/providers/Microsoft.Authorization/roleDefinitions/{role_id}"
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

    def delete_assignment(self, groups: dict[str, str | None], path: str, name: str, caller: dict[str, Any]):
        from .provider import Reply  # pylint: disable=import-outside-toplevel

        scope = self.scope_of(groups, path)
        assignment = self.assignments.get(name.lower())
        if assignment is None or normalized_scope(assignment["scope"]) != normalized_scope(scope):
            return Reply(204)
        self.refuse_write("delete", scope, name, caller)
        del self.assignments[name.lower()]
        self.store.save()
        return Reply(200, self.assignment_json(assignment))


def namespace_rights(state: dict, namespace: dict) -> dict[str, set[str]]:
    """Object id -> Event Hubs rights its role assignments give on this namespace (kafka_sync's input).
    The double has one subscription, so resource ids compare from the resource group down; an assignment at the
    root scope or at a management group above the subscription applies to every namespace."""
    rights: dict[str, set[str]] = {}
    ancestors = state.get("managementGroups", {}).get("ancestors", [])
    for assignment in state.get("roleAssignments", {}).values():
        scope = f"/resourceGroups/{namespace['resourceGroup']}/providers/Microsoft.EventHub/namespaces/{namespace['name']}"
        role_id = role_id_of(assignment["roleDefinitionId"])
        held = normalized_scope(assignment["scope"])
        if held == "" or MANAGEMENT_GROUP.match(held):
            applies = applies_at(held, "/subscriptions/any", ancestors)
        else:
            below_subscription = "/" + held.strip("/").split("/", 2)[-1] if held.count("/") > 2 else ""
            applies = not below_subscription or covers(below_subscription, scope)
        if role_id in EVENTHUB_DATA_ROLES and applies:
            rights.setdefault(assignment["principalId"], set()).update(EVENTHUB_DATA_ROLES[role_id]["rights"])
    return rights
