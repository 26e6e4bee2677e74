# SPDX-License-Identifier: GPL-3.0-or-later
"""Role assignments as Azure answers them: which listed scopes hold on a namespace, and the bounded wait for a
principal Entra ID has not replicated yet."""

from __future__ import annotations

import os
import sys
from typing import List

import pytest

# `make setup` links the checkout as ansible_collections/streamops/eventhub_connect here
sys.path.insert(0, os.path.join(os.path.dirname(__file__), *[".."] * 3, "output", "collections"))

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._errors import ModuleError  # noqa: E402
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._role_assignment import (  # noqa: E402
    PrincipalWait,
    listed_scope_applies,
    role_id_of,
)

SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"
NS = SUB + "/resourceGroups/rg-streaming/providers/Microsoft.EventHub/namespaces/contoso-ehns"

# (scope Azure listed the assignment with, holds on NS)
SCOPES = [
    (NS, True),
    (NS.upper(), True),
    (NS + "/", True),
    (SUB + "/resourcegroups/RG-STREAMING", True),
    (SUB, True),
    (SUB.upper(), True),
    ("/providers/Microsoft.Management/managementGroups/platform", True),
    ("/providers/microsoft.management/managementgroups/72f988bf-86f1-41af-91ab-2d7cd011db47", True),
    ("/", True),
    (NS + "/eventhubs/orders", False),
    (SUB + "/resourceGroups/rg-streaming/providers/Microsoft.EventHub/namespaces/contoso-ehns2", False),
    (SUB + "/resourceGroups/rg-stream", False),
    ("/subscriptions/00000000-0000-0000-0000-000000000002", False),
    ("/providers/Microsoft.Management/managementGroups/platform/subscriptions/x", False),
    ("", False),
    (None, False),
]


@pytest.mark.parametrize("scope, holds", SCOPES)
def test_listed_scopes_hold_as_azure_inherits_them(scope: str, holds: bool) -> None:
    assert listed_scope_applies(scope, NS) is holds


@pytest.mark.parametrize("definition", [
    "/subscriptions/x/providers/Microsoft.Authorization/roleDefinitions/2B629674-E913-4C01-AE53-EF4638D8F975",
    "/providers/Microsoft.Authorization/roleDefinitions/2b629674-e913-4c01-ae53-ef4638d8f975",
])
def test_role_ids_of_subscription_and_management_group_definitions(definition: str) -> None:
    assert role_id_of(definition) == "2b629674-e913-4c01-ae53-ef4638d8f975"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: List[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.mark.parametrize("timeout", [0, 1, 45, 300])
def test_the_principal_wait_is_bounded_and_then_names_principal_id(timeout: float) -> None:
    clock = Clock()
    wait = PrincipalWait(timeout, sleep=clock.sleep, clock=clock)
    with pytest.raises(ModuleError) as failed:
        for attempt in range(1000):  # pylint: disable=unused-variable
            wait.retry("0fc0d9a3-7b8e-4d9c-9f1e-2a3b4c5d6e7f", "Principal 0fc0 does not exist in the directory.")
    assert clock.now == pytest.approx(timeout) and all(s <= 36 for s in clock.sleeps)
    assert len(clock.sleeps) < 1000
    message = str(failed.value)
    assert failed.value.code == "PrincipalNotFound" and message.startswith("PrincipalNotFound: principal_id 0fc0d9a3")
    assert "object id" in message and "application (client) id" in message and "principal_wait_timeout" in message
