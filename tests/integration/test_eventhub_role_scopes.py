# SPDX-License-Identifier: GPL-3.0-or-later
"""eventhub_role_assignment against role assignments as Azure answers them (the ARM test double plays it): roles
inherited from every scope above the namespace, and a principal Entra ID has not replicated yet."""
from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from conftest import run_tasks
from test_eventhub_entra import RECEIVER, ROLE_IDS, SENDER, assignment_task


def assign_at(double: Any, scope: str, role: str, principal: str) -> None:
    """Someone else assigned the role at `scope` (PUT through ARM, as the portal would)."""
    from azure.identity import ClientSecretCredential  # pylint: disable=import-outside-toplevel
    from azure.mgmt.authorization import AuthorizationManagementClient  # pylint: disable=import-outside-toplevel
    from azure.mgmt.authorization.models import RoleAssignmentCreateParameters  # pylint: disable=import-outside-toplevel

    credential = ClientSecretCredential(double.tenant, double.client_id, double.client_secret, authority=double.url,
                                        disable_instance_discovery=True, connection_verify=str(double.ca_file))
    client = AuthorizationManagementClient(credential, double.subscription_id, base_url=double.url,
                                           credential_scopes=["https://management.azure.com/.default"],
                                           connection_verify=str(double.ca_file))
    prefix = "" if "managementGroups" in scope else "/subscriptions/%s" % double.subscription_id
    definition = "%s/providers/Microsoft.Authorization/roleDefinitions/%s" % (prefix, ROLE_IDS[role])
    client.role_assignments.create(scope, str(uuid.uuid4()), RoleAssignmentCreateParameters(
        role_definition_id=definition, principal_id=principal, principal_type="ServicePrincipal"))


def namespace_assignments(double: Any, namespace: str) -> list:
    return [a for a in double.state()["roleAssignments"] if a["scope"].lower().endswith("/namespaces/" + namespace.lower())]


# (where someone else assigned both roles; the double's management groups: ancestors nearest first)
SCOPES = {
    "resource group, other casing": lambda d, ns: "/SUBSCRIPTIONS/%s/resourcegroups/%s" % (
        d.subscription_id.upper(), d.resource_group.upper()),
    "subscription": lambda d, ns: "/subscriptions/%s" % d.subscription_id,
    "management group above the subscription": lambda d, ns: "/providers/Microsoft.Management/managementGroups/platform",
    "tenant root group": lambda d, ns: "/providers/Microsoft.Management/managementGroups/%s" % d.tenant,
    "the namespace, other casing": lambda d, ns: ("/subscriptions/%s/resourcegroups/%s/providers/microsoft.eventhub/namespaces/%s"
                                                  % (d.subscription_id, d.resource_group.lower(), ns.upper())),
}


@pytest.mark.parametrize("where", sorted(SCOPES))
def test_a_role_held_above_the_namespace_counts_in_both_modes(arm_double: Any, tmp_path: Path,
                                                              where: str) -> None:
    arm_double.reset()
    arm_double.set_management_groups(["platform", arm_double.tenant], others=["sandbox"])
    namespace = "ehscope-" + uuid.uuid4().hex[:8]
    made = run_tasks(arm_double, tmp_path, [{"name": "ns", "streamops.eventhub_connect.eventhub_namespace": {"name": namespace}}])
    assert made.returncode == 0, made.output
    scope = SCOPES[where](arm_double, namespace)
    for role in (SENDER, RECEIVER):
        assign_at(arm_double, scope, role, arm_double.connect_object_id)
    before = len(namespace_assignments(arm_double, namespace))
    arm_double.clear_requests()
    report = run_tasks(arm_double, tmp_path, [assignment_task(arm_double, namespace, mode="report")])
    assert report.returncode == 0, report.output
    assert report.task("roles")["missing"] == []
    run = run_tasks(arm_double, tmp_path, [assignment_task(arm_double, namespace)])
    assert run.returncode == 0, run.output
    result = run.task("roles")
    assert result["changed"] is False and result["missing"] == []
    assert {item["role"] for item in result["assignments"]} == {SENDER, RECEIVER}
    assert result["inherited"] == ([] if where.startswith("the namespace") else [RECEIVER, SENDER])
    assert arm_double.writes() == [] and len(namespace_assignments(arm_double, namespace)) == before


def test_roles_held_elsewhere_do_not_count(arm_double: Any, tmp_path: Path) -> None:
    """A management group the subscription is not under, a sibling namespace and another principal hold nothing."""
    arm_double.reset()
    arm_double.set_management_groups(["platform", arm_double.tenant], others=["sandbox"])
    namespace, sibling = "ehscope-" + uuid.uuid4().hex[:8], "ehscope-" + uuid.uuid4().hex[:8]
    made = run_tasks(arm_double, tmp_path, [{"name": n, "streamops.eventhub_connect.eventhub_namespace": {"name": n}}
                                            for n in (namespace, sibling)])
    assert made.returncode == 0, made.output
    base = "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.EventHub/namespaces/" % (
        arm_double.subscription_id, arm_double.resource_group)
    assign_at(arm_double, "/providers/Microsoft.Management/managementGroups/sandbox", SENDER, arm_double.connect_object_id)
    assign_at(arm_double, base + sibling, SENDER, arm_double.connect_object_id)
    assign_at(arm_double, base + namespace, RECEIVER, arm_double.client_object_id)
    report = run_tasks(arm_double, tmp_path, [assignment_task(arm_double, namespace, mode="report", fail_on_missing=False)])
    assert report.returncode == 0, report.output
    assert report.task("roles")["missing"] == [RECEIVER, SENDER]


@pytest.mark.parametrize("delay", [{"requests": 2}, {"seconds": 3}])
def test_a_principal_not_yet_replicated_is_waited_for(arm_double: Any, tmp_path: Path,
                                                      delay: dict) -> None:
    arm_double.reset()
    namespace = "ehrepl-" + uuid.uuid4().hex[:8]
    made = run_tasks(arm_double, tmp_path, [{"name": "ns", "streamops.eventhub_connect.eventhub_namespace": {"name": namespace}}])
    assert made.returncode == 0, made.output
    arm_double.delay_principal(arm_double.connect_object_id, **delay)
    run = run_tasks(arm_double, tmp_path, [assignment_task(arm_double, namespace, principal_wait_timeout=60)])
    assert run.returncode == 0, run.output
    assert run.task("roles")["changed"] is True and len(namespace_assignments(arm_double, namespace)) == 2
    refused = [r for r in arm_double.requests() if r["method"] == "PUT" and r["status"] == 400]
    assert refused, "the double answered PrincipalNotFound first"


def test_an_application_id_fails_after_the_wait_naming_the_difference(arm_double: Any, tmp_path: Path) -> None:
    namespace = "ehappid-" + uuid.uuid4().hex[:8]
    made = run_tasks(arm_double, tmp_path, [{"name": "ns", "streamops.eventhub_connect.eventhub_namespace": {"name": namespace}}])
    assert made.returncode == 0, made.output
    arm_double.clear_requests()
    run = run_tasks(arm_double, tmp_path, [assignment_task(arm_double, namespace, principal_id=arm_double.connect_client_id,
                                                           principal_wait_timeout=3)])
    result = run.task("roles")
    assert run.returncode != 0 and result["error_code"] == "PrincipalNotFound"
    assert arm_double.connect_client_id in result["msg"] and "principal_id" in result["msg"]
    assert "object id" in result["msg"] and "application (client) id" in result["msg"]
    assert "eventhub_connect/plugins" not in str(result.get("exception", ""))
    assert len([r for r in arm_double.requests() if r["method"] == "PUT"]) >= 2
