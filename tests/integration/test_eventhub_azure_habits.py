# SPDX-License-Identifier: GPL-3.0-or-later
"""Azure's habits, as the ARM test double plays them: provisioning states, placeholder answers, zone redundancy
forced by the region, answers without optional fields, error codes; each read back from the double."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import FQCN, run_tasks, unique


def namespace_task(name: str, **options: Any) -> dict:
    return {"name": "namespace", FQCN + "eventhub_namespace": dict(name=name, **options)}


def hubs_task(namespace: str, **options: Any) -> dict:
    return {"name": "hubs", FQCN + "eventhub": dict(namespace_name=namespace, **options)}


def create_namespace(double: Any, tmp_path: Path, **options: Any) -> str:
    name = unique("ehab-")
    run = run_tasks(double, tmp_path, [namespace_task(name, **options)])
    assert run.returncode == 0, run.output
    return name


def test_failed_provisioning_fails_with_azure_message_and_a_rerun_stops_before_any_hub(
        arm_double: Any, tmp_path: Path) -> None:
    name = unique("ehab-")
    arm_double.fail_next_lro()
    first = run_tasks(arm_double, tmp_path, [namespace_task(name)])
    assert first.returncode != 0
    assert "The namespace provisioning failed" in first.task("namespace")["msg"]
    assert arm_double.namespace(name)["properties"]["provisioningState"] == "Failed"

    arm_double.clear_requests()
    again = run_tasks(arm_double, tmp_path, [namespace_task(name), hubs_task(name, name="orders")])
    assert again.returncode != 0
    result = again.task("namespace")
    assert result["error_code"] == "ProvisioningFailed"
    assert "provisioning state Failed" in result["msg"]
    assert arm_double.writes() == []
    assert arm_double.namespace(name).get("eventhubs") == []

    gone = run_tasks(arm_double, tmp_path, [namespace_task(name, state="absent")])
    assert gone.returncode == 0, gone.output
    assert arm_double.namespace(name) is None


def test_a_namespace_being_deleted_is_waited_for_then_created(arm_double: Any, tmp_path: Path) -> None:
    name = create_namespace(arm_double, tmp_path)
    arm_double.hold_namespace(name, "Deleting", "Removing", seconds=2, outcome="deleted")
    run = run_tasks(arm_double, tmp_path, [namespace_task(name)])
    assert run.returncode == 0, run.output
    result = run.task("namespace")
    assert result["changed"] is True
    assert result["namespace"]["provisioning_state"] == "Succeeded"
    assert arm_double.namespace(name)["properties"]["provisioningState"] == "Succeeded"


def test_other_states_are_waited_for_within_wait_timeout_and_named_when_they_last(
        arm_double: Any, tmp_path: Path) -> None:
    name = create_namespace(arm_double, tmp_path)
    arm_double.hold_namespace(name, "Updating", "Active", seconds=2)
    arm_double.clear_requests()
    settled = run_tasks(arm_double, tmp_path, [namespace_task(name)])
    assert settled.returncode == 0, settled.output
    assert settled.task("namespace")["changed"] is False
    assert settled.task("namespace")["namespace"]["provisioning_state"] == "Succeeded"
    assert arm_double.writes() == []

    arm_double.hold_namespace(name, "Activating", "Activating", seconds=60)
    stuck = run_tasks(arm_double, tmp_path, [namespace_task(name, wait_timeout=2, capacity=2)])
    assert stuck.returncode != 0
    result = stuck.task("namespace")
    assert result["error_code"] == "Timeout"
    assert "still Activating" in result["msg"] and "after 2 seconds" in result["msg"]
    assert arm_double.writes() == []


def test_zone_redundancy_forced_by_the_region_is_a_warning_not_a_change_on_every_run(
        arm_double: Any, tmp_path: Path) -> None:
    name = unique("ehab-")
    created = run_tasks(arm_double, tmp_path, [namespace_task(name, zone_redundant=False)])
    assert created.returncode == 0, created.output
    assert arm_double.namespace(name)["properties"]["zoneRedundant"] is True  # westeurope has zones
    assert "zone redundancy cannot change" in " ".join(created.task("namespace").get("warnings", []))
    arm_double.clear_requests()
    again = run_tasks(arm_double, tmp_path, [namespace_task(name, zone_redundant=False)])
    assert again.returncode == 0, again.output
    assert again.task("namespace")["changed"] is False
    assert arm_double.writes() == []


def test_update_results_carry_the_partitions_not_the_placeholders_of_azures_answer(
        arm_double: Any, tmp_path: Path) -> None:
    name = create_namespace(arm_double, tmp_path, sku="Premium")
    first = run_tasks(arm_double, tmp_path, [hubs_task(name, name="orders", partition_count=2)])
    assert first.returncode == 0, first.output
    longer = run_tasks(arm_double, tmp_path, [hubs_task(name, name="orders", retention_hours=48)])
    assert longer.returncode == 0, longer.output
    assert longer.task("hubs")["eventhub"]["partition_ids"] == ["0", "1"]
    grown = run_tasks(arm_double, tmp_path, [hubs_task(name, name="orders", partition_count=3)])
    assert grown.returncode == 0, grown.output
    assert grown.task("hubs")["eventhub"]["partition_ids"] == ["0", "1", "2"]


def test_answers_without_optional_fields_are_unknown_and_cause_no_write(arm_double: Any, tmp_path: Path) -> None:
    name = create_namespace(arm_double, tmp_path, minimum_tls_version="1.2")
    created = run_tasks(arm_double, tmp_path, [hubs_task(name, name="offsets", cleanup_policy="compact")])
    assert created.returncode == 0, created.output
    arm_double.omit_fields("retentionDescription", "minimumTlsVersion", "publicNetworkAccess", "disableLocalAuth")
    try:
        arm_double.clear_requests()
        again = run_tasks(arm_double, tmp_path, [
            namespace_task(name, minimum_tls_version="1.2", public_network_access="Enabled", disable_local_auth=False),
            hubs_task(name, name="offsets", cleanup_policy="compact")])
        assert again.returncode == 0, again.output
        assert again.task("namespace")["changed"] is False
        assert again.task("hubs")["changed"] is False
        assert arm_double.writes() == []
    finally:
        arm_double.omit_fields()
    stored = {hub["name"]: hub for hub in arm_double.namespace(name)["eventhubs"]}
    assert stored["offsets"]["properties"]["retentionDescription"]["cleanupPolicy"] == "Compact"


def test_azure_error_code_is_printed_once(arm_double: Any, standard_namespace: str, tmp_path: Path) -> None:
    arm_double.inject(409, count=2, method="PUT", path_regex="/eventhubs/")
    run = run_tasks(arm_double, tmp_path, [hubs_task(standard_namespace, hubs=[{"name": unique("a-")},
                                                                               {"name": unique("b-")}])])
    arm_double.clear_faults()
    assert run.returncode != 0
    message = run.task("hubs")["msg"]
    assert message.startswith("InjectedFault: event hub '")
    assert message.count("InjectedFault") == 1 and message.count("event hub '") == 2
