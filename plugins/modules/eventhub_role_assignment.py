#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: Event Hubs data-plane role assignments of one principal on a namespace (Microsoft Entra ID)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: eventhub_role_assignment
short_description: Give a Microsoft Entra ID principal Event Hubs data roles on a namespace, or report what is missing
version_added: 0.2.0
description:
  - Makes sure a principal (the service principal or managed identity Kafka Connect logs in with) holds the
    Azure Event Hubs data roles it needs on one namespace, through Azure role assignments
    (C(Microsoft.Authorization/roleAssignments), with C(azure-mgmt-authorization)).
  - A role the principal already holds on the namespace counts as present, wherever Azure's scope inheritance
    puts the assignment (at the namespace, its resource group, its subscription, a management group above the
    subscription, or the root scope), held by the principal itself or by a group it belongs to. The module asks
    Azure for the assignments that apply at the namespace (C($filter=atScope() and assignedTo('<principal_id>')))
    and compares scopes case-insensitively, as Azure does; an assignment below the namespace (on one event hub)
    does not count. A missing role is assigned at the namespace scope, under a name derived from scope, principal
    and role, so that reruns find it.
  - With O(mode=report) it never writes; it reads the assignments and returns RV(missing) (and fails when
    O(fail_on_missing=true)), for a caller who may read but not assign roles, as is common where a platform team
    owns role assignments. With O(mode=assign), a refusal from Azure (403 C(AuthorizationFailed)) fails with
    the assignments that are missing and the C(az role assignment create) commands that would add them.
author:
  - streamops platform team (@streamops)
extends_documentation_fragment:
  - streamops.eventhub_connect.azure
  - streamops.eventhub_connect.azure.attributes
options:
  namespace_name:
    description: Event Hubs namespace, the scope of the assignments.
    type: str
    required: true
  resource_group:
    description: Resource group of the namespace.
    type: str
    required: true
  principal_id:
    description:
      - Object id of the principal (for a service principal, its object id in Microsoft Entra ID, not the
        application id; C(az ad sp show --id <client id> --query id)).
    type: str
    required: true
  principal_wait_timeout:
    description:
      - Seconds to keep retrying, with growing waits, while Azure answers C(PrincipalNotFound) to an assignment.
        Entra ID takes a few minutes to replicate a service principal created moments ago, even with
        O(principal_type) set.
      - Past it the module fails naming O(principal_id), and that it must be the principal's object id, not an
        application (client) id, which Azure never finds. V(0) fails at the first C(PrincipalNotFound).
    type: float
    default: 300
    version_added: 0.2.0
  principal_type:
    description: Type of the principal, which lets Azure assign a role to a principal created moments ago.
    type: str
    choices: [ServicePrincipal, User, Group]
    default: ServicePrincipal
  roles:
    description:
      - Event Hubs data roles the principal should hold on the namespace.
      - Kafka Connect needs V(Azure Event Hubs Data Sender) and V(Azure Event Hubs Data Receiver) when every topic
        is created beforehand, and V(Azure Event Hubs Data Owner) to create topics itself.
    type: list
    elements: str
    choices: [Azure Event Hubs Data Owner, Azure Event Hubs Data Sender, Azure Event Hubs Data Receiver]
    required: true
  state:
    description:
      - V(present) assigns the roles that are missing; V(absent) removes the principal's own assignments of these
        roles at the namespace scope (assignments above it or to a group are left alone and reported in
        RV(inherited)).
    type: str
    choices: [present, absent]
    default: present
  mode:
    description:
      - V(assign) creates or deletes assignments; V(report) only reads and reports RV(missing).
    type: str
    choices: [assign, report]
    default: assign
  fail_on_missing:
    description: With O(mode=report), fail when a role is missing (the message lists them).
    type: bool
    default: true
notes:
  - Assigning roles needs C(Microsoft.Authorization/roleAssignments/write) on the namespace (Owner, User Access
    Administrator or Role Based Access Control Administrator); reading them needs only Reader.
  - Azure can take a few minutes to apply a new role assignment to data-plane calls.
  - Which management groups hold the subscription is not read (that needs Microsoft.Management rights); an
    assignment at a management group counts because Azure lists it for the namespace, which it does only for
    the management groups above the subscription.
seealso:
  - module: streamops.eventhub_connect.eventhub_namespace
  - name: Azure built-in roles for Event Hubs
    description: The three data roles and their ids.
    link: https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/analytics
"""

EXAMPLES = r"""
---
- name: Connect's service principal may send and receive on the namespace
  streamops.eventhub_connect.eventhub_role_assignment:
    namespace_name: contoso-connect-ehns
    resource_group: rg-streaming
    principal_id: 6f1c3a7e-0d2b-4c55-9b7e-1a2b3c4d5e6f
    roles:
      - Azure Event Hubs Data Sender
      - Azure Event Hubs Data Receiver

- name: Only check, when another team assigns roles
  streamops.eventhub_connect.eventhub_role_assignment:
    namespace_name: contoso-connect-ehns
    resource_group: rg-streaming
    principal_id: 6f1c3a7e-0d2b-4c55-9b7e-1a2b3c4d5e6f
    roles: [Azure Event Hubs Data Sender, Azure Event Hubs Data Receiver]
    mode: report
    fail_on_missing: false
  register: connect_roles

- name: Show what is missing
  ansible.builtin.debug:
    var: connect_roles.missing
"""

RETURN = r"""
scope:
  description: The namespace's resource id, the scope of the assignments.
  returned: always
  type: str
  sample: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-streaming/providers/Microsoft.EventHub/namespaces/contoso-connect-ehns
assignments:
  description: The principal's assignments of the requested roles that cover the namespace, after the change
    (predicted in check mode and in report mode).
  returned: always
  type: list
  elements: dict
  contains:
    role:
      description: Role name.
      type: str
      sample: Azure Event Hubs Data Sender
    role_definition_id:
      description: Role definition id.
      type: str
      sample: /subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/2b629674-e913-4c01-ae53-ef4638d8f975
    name:
      description: Assignment name (a GUID).
      type: str
      sample: 3f5b6c1d-2e4f-5a6b-8c7d-9e0f1a2b3c4d
    scope:
      description: Scope of the assignment (the namespace, or a scope above it), as Azure spells it.
      type: str
      sample: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-streaming
    principal_id:
      description: Principal the assignment is for, O(principal_id) or a group it belongs to.
      type: str
      sample: 6f1c3a7e-0d2b-4c55-9b7e-1a2b3c4d5e6f
      version_added: 0.2.0
missing:
  description: Roles of O(roles) that the principal does not hold on the namespace (before any change).
  returned: always
  type: list
  elements: str
  sample: [Azure Event Hubs Data Receiver]
inherited:
  description: Roles of O(roles) held through an assignment above the namespace (resource group, subscription,
    management group, root) or through a group, not the principal's own at the namespace.
  returned: always
  type: list
  elements: str
  sample: []
commands:
  description: C(az role assignment create) commands that add RV(missing), for whoever may assign roles.
  returned: always
  type: list
  elements: str
diff:
  description: The requested roles held before and after, in diff mode.
  returned: when diff mode is on
  type: dict
  sample: {before: {roles: []}, after: {roles: [Azure Event Hubs Data Receiver, Azure Event Hubs Data Sender]}}
"""

import re
from typing import Any, Dict, List

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._azure import (
    AzureApiError,
    as_json,
    authorization_client,
    azure_call,
    azure_module,
    effective_auth,
    list_json,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._errors import InvalidInput, ModuleError, run_module
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._eventhub_limits import (
    namespace_name_error,
    resource_group_error,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._role_assignment import (
    EVENTHUB_DATA_ROLES,
    ROLE_NAMES,
    PrincipalWait,
    assignment_name,
    az_command,
    listed_scope_applies,
    role_id_of,
    same_scope,
)

GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

ARGUMENT_SPEC: Dict[str, Any] = {
    "namespace_name": {"type": "str", "required": True},
    "resource_group": {"type": "str", "required": True},
    "principal_id": {"type": "str", "required": True},
    "principal_type": {"type": "str", "choices": ["ServicePrincipal", "User", "Group"], "default": "ServicePrincipal"},
    "principal_wait_timeout": {"type": "float", "default": 300},
    "roles": {"type": "list", "elements": "str", "required": True, "choices": sorted(EVENTHUB_DATA_ROLES)},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "mode": {"type": "str", "choices": ["assign", "report"], "default": "assign"},
    "fail_on_missing": {"type": "bool", "default": True},
}


class RoleAssignmentManager:
    def __init__(self, module: Any) -> None:
        self.module = module
        self.params = module.params
        self.principal = (self.params["principal_id"] or "").strip().lower()
        self.roles = sorted(set(self.params["roles"]))
        self.client: Any = None
        self.scope = ""
        self.principal_wait = PrincipalWait(self.params["principal_wait_timeout"])

    def validate(self) -> None:
        errors = [namespace_name_error(self.params["namespace_name"]), resource_group_error(self.params["resource_group"])]
        if not GUID.fullmatch(self.principal):
            errors.append("principal_id must be the principal's object id, a GUID like "
                          "6f1c3a7e-0d2b-4c55-9b7e-1a2b3c4d5e6f; got '%s'" % self.params["principal_id"])
        if self.params["principal_wait_timeout"] < 0:
            errors.append("principal_wait_timeout must be 0 or more seconds; got %g" % self.params["principal_wait_timeout"])
        if not self.roles:
            errors.append("roles must name at least one of: %s" % ", ".join(sorted(EVENTHUB_DATA_ROLES)))
        problems = [error for error in errors if error]
        if problems:
            raise InvalidInput("; ".join(problems), code="InvalidParameter")

    def run(self) -> Dict[str, Any]:
        self.validate()
        auth = effective_auth(self.params)
        self.scope = ("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.EventHub/namespaces/%s"
                      % (auth.get("subscription_id"), self.params["resource_group"], self.params["namespace_name"]))
        self.client = authorization_client(self.params)
        existing = self.get_existing()
        if self.params["state"] == "absent":
            return self.absent(existing)
        return self.present(existing)

    def get_existing(self) -> List[Dict[str, Any]]:
        """The requested roles' assignments that hold for the principal on the namespace, wherever they are."""
        # atScope(): at the namespace or above it, management groups included; assignedTo(): the principal's own
        # and its groups' (atScope() and principalId eq cannot be combined)
        pager = self.client.role_assignments.list_for_scope(self.scope, filter="atScope() and assignedTo('%s')" % self.principal)
        wanted = {EVENTHUB_DATA_ROLES[role] for role in self.roles}
        found = []
        for assignment in list_json(pager):
            properties = assignment.get("properties", assignment)
            scope = properties.get("scope") or ""
            role_id = role_id_of(properties.get("role_definition_id", ""))
            if role_id in wanted and listed_scope_applies(scope, self.scope):
                found.append({"role": ROLE_NAMES[role_id], "role_definition_id": properties.get("role_definition_id"),
                              "name": assignment.get("name"), "scope": scope,
                              "principal_id": (properties.get("principal_id") or "").lower()})
        return sorted(found, key=lambda item: (item["role"], item["scope"].lower()))

    def own_here(self, item: Dict[str, Any]) -> bool:
        """The principal's own assignment at the namespace: the only kind this module makes or removes."""
        return same_scope(item["scope"], self.scope) and item["principal_id"] == self.principal

    def definition_id(self, role: str) -> str:
        subscription = self.scope.split("/")[2]
        return "/subscriptions/%s/providers/Microsoft.Authorization/roleDefinitions/%s" % (subscription, EVENTHUB_DATA_ROLES[role])

    def report(self, existing: List[Dict[str, Any]], missing: List[str], after: List[Dict[str, Any]],
               changed: bool) -> Dict[str, Any]:
        held = sorted({item["role"] for item in existing})
        result: Dict[str, Any] = {
            "changed": changed, "scope": self.scope, "assignments": after, "missing": missing,
            "inherited": sorted({item["role"] for item in existing if not self.own_here(item)}),
            "commands": [az_command(self.scope, self.principal, self.params["principal_type"], role) for role in missing],
        }
        if self.module._diff:
            result["diff"] = {"before": {"roles": held}, "after": {"roles": sorted({item["role"] for item in after})}}
        return result

    def missing_message(self, missing: List[str], why: str) -> str:
        return ("%s: principal %s lacks %s on namespace %s; someone allowed to assign roles can run: %s"
                % (why, self.principal, ", ".join(missing), self.params["namespace_name"],
                   " ; ".join(az_command(self.scope, self.principal, self.params["principal_type"], r) for r in missing)))

    def present(self, existing: List[Dict[str, Any]]) -> Dict[str, Any]:
        held = {item["role"] for item in existing}
        missing = [role for role in self.roles if role not in held]
        if self.params["mode"] == "report":
            if missing and self.params["fail_on_missing"]:
                raise ModuleError(self.missing_message(missing, "missing role assignments"), code="RoleAssignmentMissing",
                                  details=self.report(existing, missing, existing, False))
            return self.report(existing, missing, existing, False)
        after = list(existing)
        for role in missing:
            name = assignment_name(self.scope, self.principal, EVENTHUB_DATA_ROLES[role])
            if not self.module.check_mode:
                self.assign(role, name, missing)
            after.append({"role": role, "role_definition_id": self.definition_id(role), "name": name, "scope": self.scope,
                          "principal_id": self.principal})
        after.sort(key=lambda item: (item["role"], item["scope"].lower()))
        return self.report(existing, missing, after, bool(missing))

    def assign(self, role: str, name: str, missing: List[str]) -> None:
        from azure.mgmt.authorization.models import RoleAssignmentCreateParameters

        parameters = RoleAssignmentCreateParameters(role_definition_id=self.definition_id(role), principal_id=self.principal,
                                                    principal_type=self.params["principal_type"])
        while True:
            try:
                as_json(azure_call(self.client.role_assignments.create, self.scope, name, parameters))
                return
            except AzureApiError as error:
                if error.code == "RoleAssignmentExists":
                    return  # made meanwhile under another name: the role is held
                if error.code == "AuthorizationFailed" or error.status == 403:
                    raise ModuleError(self.missing_message(missing, "Azure refused to assign roles (%s)" % error.message)
                                      + "; or run with mode=report (eventhub_entra_role_assignment: report)",
                                      code="AuthorizationFailed")
                if error.code != "PrincipalNotFound":
                    raise
                # a service principal created moments ago: Entra ID has not replicated it yet
                self.principal_wait.retry(self.params["principal_id"], error.message)

    def absent(self, existing: List[Dict[str, Any]]) -> Dict[str, Any]:
        here = [item for item in existing if self.own_here(item)]
        if here and self.params["mode"] == "assign" and not self.module.check_mode:
            for item in here:
                azure_call(self.client.role_assignments.delete, item["scope"], item["name"])
        remaining = existing if self.params["mode"] == "report" else [item for item in existing if item not in here]
        result = self.report(existing, [], remaining, bool(here) and self.params["mode"] == "assign")
        return result


def main() -> None:
    module = azure_module(ARGUMENT_SPEC, supports_check_mode=True)
    run_module(module, RoleAssignmentManager(module).run)


if __name__ == "__main__":
    main()
