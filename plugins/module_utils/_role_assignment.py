# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is **PRIVATE** to the collection. It can change at any time.
"""Azure role assignments as Azure answers them: scope inheritance, and a principal Entra ID has not replicated yet."""

from __future__ import annotations

import re
import time
import uuid
from typing import Callable, Dict, Optional

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._errors import ModuleError
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._poll import Deadline, backoff_delays

# Built-in role ids are the same in every tenant and cloud (Azure built-in roles, Analytics).
EVENTHUB_DATA_ROLES: Dict[str, str] = {
    "Azure Event Hubs Data Owner": "f526a384-b230-433a-b45c-95f59c4a2dec",
    "Azure Event Hubs Data Sender": "2b629674-e913-4c01-ae53-ef4638d8f975",
    "Azure Event Hubs Data Receiver": "a638d3c7-ab3a-418d-83e6-5f17a39d4fde",
}
ROLE_NAMES = {role_id: name for name, role_id in EVENTHUB_DATA_ROLES.items()}
# Deterministic assignment names, like Bicep's guid(scope, principal, role): a rerun finds what it made.
NAME_NAMESPACE = uuid.UUID("8d6b4f2e-3c1a-4e5b-9f70-2a1b3c4d5e6f")
MANAGEMENT_GROUP_SCOPE = re.compile(r"/providers/microsoft\.management/managementgroups/[^/]+", re.IGNORECASE)
# Entra ID replicates a new service principal to Azure RBAC within minutes; the waits between attempts grow to this.
PRINCIPAL_RETRY_FIRST = 2.0
PRINCIPAL_RETRY_MAX = 30.0


def assignment_name(scope: str, principal_id: str, role_id: str) -> str:
    return str(uuid.uuid5(NAME_NAMESPACE, "%s|%s|%s" % (scope.lower(), principal_id.lower(), role_id)))


def role_id_of(definition_id: Optional[str]) -> str:
    """The role GUID of `[/subscriptions/<id>]/providers/Microsoft.Authorization/roleDefinitions/<guid>`."""
    return (definition_id or "").rstrip("/").rsplit("/", 1)[-1].lower()


def normalized_scope(scope: Optional[str]) -> str:
    """Resource ids compare case-insensitively, as Azure compares them; the root scope `/` becomes ``""``."""
    return (scope or "").strip().rstrip("/").lower()


def same_scope(one: Optional[str], other: Optional[str]) -> bool:
    return normalized_scope(one) == normalized_scope(other)


def listed_scope_applies(assignment_scope: Optional[str], scope: str) -> bool:
    """Whether a role assignment that Azure listed at `scope` with ``atScope()`` holds there.

    Azure's scope inheritance: an assignment at the root scope, at a management group above the subscription, or
    at a resource id that `scope` starts with (the subscription, the resource group, the resource itself) holds at
    `scope`. Which management groups are above a subscription only Azure knows here (reading the management group
    tree needs Microsoft.Management rights and another SDK), so a management group assignment counts when Azure
    lists it for the scope, which is what a list with ``atScope()`` answers: only what applies at or above it.
    Anything else Azure lists (an assignment below the scope, on one event hub) does not hold on the namespace.
    """
    if not (assignment_scope or "").strip():
        return False
    outer, inner = normalized_scope(assignment_scope), normalized_scope(scope)
    if outer == "" or MANAGEMENT_GROUP_SCOPE.fullmatch(outer):
        return True
    return inner == outer or inner.startswith(outer + "/")


def az_command(scope: str, principal_id: str, principal_type: str, role: str) -> str:
    return ('az role assignment create --assignee-object-id %s --assignee-principal-type %s --role "%s" --scope %s'
            % (principal_id, principal_type, role, scope))


def principal_not_found(principal_id: str, waited: float, azure_message: str) -> ModuleError:
    return ModuleError(
        "principal_id %s is not a principal Azure knows, after %d s of retries (Entra ID can take a few minutes to "
        "replicate a service principal created moments ago: raise principal_wait_timeout to wait longer). principal_id "
        "must be the object id of the service principal or managed identity (az ad sp show --id <application id> "
        "--query id), not the application (client) id of its app registration: both are GUIDs, but only the object id "
        "names the principal in a role assignment. Azure said: %s" % (principal_id, round(waited), azure_message),
        code="PrincipalNotFound")


class PrincipalWait:
    """One bounded wait, shared by every assignment of a run, for a principal Azure answers PrincipalNotFound for."""

    def __init__(self, timeout: float, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.timeout = timeout
        self.sleep = sleep
        self.clock = clock
        self.deadline: Optional[Deadline] = None
        self.delays = backoff_delays(PRINCIPAL_RETRY_FIRST, PRINCIPAL_RETRY_MAX)

    def retry(self, principal_id: str, azure_message: str) -> None:
        """Sleep before the next attempt, or raise PrincipalNotFound once the wait is over."""
        if self.deadline is None:
            self.deadline = Deadline(self.timeout, clock=self.clock)
        remaining = self.deadline.remaining()
        if remaining <= 0:
            raise principal_not_found(principal_id, self.deadline.elapsed(), azure_message)
        self.sleep(min(next(self.delays), remaining))
