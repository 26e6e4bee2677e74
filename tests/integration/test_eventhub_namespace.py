# SPDX-License-Identifier: GPL-3.0-or-later
"""eventhub_namespace through ansible-playbook against the ARM test double, read back from the double."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import FQCN, run_tasks, unique


def namespace_task(name: str, **options: Any) -> dict:
    return {"name": "namespace", FQCN + "eventhub_namespace": dict(name=name, **options)}


def test_create_is_changed_then_idempotent_then_update_shows_diff_then_absent_is_gone(arm_double: Any, tmp_path: Path) -> None:
    name = unique("ehns-")
    created = run_tasks(arm_double, tmp_path, [namespace_task(name, capacity=1, tags={"team": "data"})])
    assert created.returncode == 0, created.output
    result = created.task("namespace")
    assert result["changed"] is True
    assert result["namespace"]["provisioning_state"] == "Succeeded"
    stored = arm_double.namespace(name)
    assert stored["sku"]["name"] == "Standard"
    assert stored["properties"]["minimumTlsVersion"] == "1.2"
    assert stored["properties"]["kafkaEnabled"] is True
    assert stored["tags"] == {"team": "data"}

    arm_double.clear_requests()
    again = run_tasks(arm_double, tmp_path, [namespace_task(name, capacity=1, tags={"team": "data"})])
    assert again.returncode == 0, again.output
    assert again.task("namespace")["changed"] is False
    assert arm_double.writes() == []

    updated = run_tasks(arm_double, tmp_path, [namespace_task(name, capacity=2, auto_inflate=True,
                                                              maximum_throughput_units=6)], "--diff")
    assert updated.returncode == 0, updated.output
    diff = updated.task("namespace")["diff"]
    assert (diff["before"]["capacity"], diff["after"]["capacity"]) == (1, 2)
    assert (diff["before"]["maximum_throughput_units"], diff["after"]["maximum_throughput_units"]) == (0, 6)
    stored = arm_double.namespace(name)
    assert stored["sku"]["capacity"] == 2
    assert stored["properties"]["isAutoInflateEnabled"] is True

    gone = run_tasks(arm_double, tmp_path, [namespace_task(name, state="absent")])
    assert gone.returncode == 0, gone.output
    assert gone.task("namespace")["changed"] is True
    assert arm_double.namespace(name) is None


def test_check_mode_on_a_fresh_target_predicts_change_and_writes_nothing(arm_double: Any, tmp_path: Path) -> None:
    name = unique("ehns-")
    arm_double.clear_requests()
    run = run_tasks(arm_double, tmp_path, [namespace_task(name)], "--check", "--diff")
    assert run.returncode == 0, run.output
    result = run.task("namespace")
    assert result["changed"] is True
    assert result["diff"]["after"]["sku"] == "Standard"
    assert arm_double.writes() == []
    assert arm_double.namespace(name) is None


def test_leaving_out_tier_and_tls_keeps_what_an_existing_namespace_has(arm_double: Any, tmp_path: Path) -> None:
    name = unique("ehns-")
    created = run_tasks(arm_double, tmp_path, [namespace_task(name, sku="Premium", capacity=2,
                                                              minimum_tls_version="1.3")])
    assert created.returncode == 0, created.output
    arm_double.clear_requests()
    for extra in (["--check", "--diff"], []):
        run = run_tasks(arm_double, tmp_path, [namespace_task(name)], *extra)
        assert run.returncode == 0, run.output
        assert run.task("namespace")["changed"] is False
    assert arm_double.writes() == []
    stored = arm_double.namespace(name)
    assert (stored["sku"]["name"], stored["sku"]["capacity"]) == ("Premium", 2)
    assert stored["properties"]["minimumTlsVersion"] == "1.3"


def test_basic_is_refused_without_kafka_opt_out_and_nothing_is_written(arm_double: Any, tmp_path: Path) -> None:
    name = unique("ehns-")
    arm_double.clear_requests()
    run = run_tasks(arm_double, tmp_path, [namespace_task(name, sku="Basic")])
    assert run.returncode != 0
    result = run.task("namespace")
    assert result["failed"] is True
    assert "Basic tier has no Kafka endpoint" in result["msg"]
    assert arm_double.writes() == []

    allowed = run_tasks(arm_double, tmp_path, [namespace_task(name, sku="Basic", require_kafka=False)])
    assert allowed.returncode == 0, allowed.output
    assert arm_double.namespace(name)["properties"]["kafkaEnabled"] is False


def test_invalid_name_is_refused_before_any_request(arm_double: Any, tmp_path: Path) -> None:
    arm_double.clear_requests()
    run = run_tasks(arm_double, tmp_path, [namespace_task("9-bad")])
    assert run.returncode != 0
    assert "invalid namespace name '9-bad'" in run.task("namespace")["msg"]
    assert arm_double.writes() == []


def test_wrong_client_secret_is_a_clear_authentication_error(arm_double: Any, tmp_path: Path) -> None:
    run = run_tasks(arm_double, tmp_path, [namespace_task(unique("ehns-"))], env={"AZURE_SECRET": "not-the-secret"})
    assert run.returncode != 0
    result = run.task("namespace")
    assert result["error_code"] == "AuthenticationFailed"
    assert result["msg"].startswith("AuthenticationFailed: authentication failed")
    assert "not-the-secret" not in run.output


def test_throttling_and_server_errors_are_retried(arm_double: Any, tmp_path: Path) -> None:
    name = unique("ehns-")
    arm_double.clear_requests()
    arm_double.inject(429, count=2, method="PUT", retry_after=1)
    arm_double.inject(500, count=2, method="GET")
    run = run_tasks(arm_double, tmp_path, [namespace_task(name)])
    assert run.returncode == 0, run.output
    assert run.task("namespace")["changed"] is True
    injected = [entry["status"] for entry in arm_double.requests() if entry.get("injected")]
    assert sorted(injected) == [429, 429, 500, 500]
    assert arm_double.namespace(name)["properties"]["provisioningState"] == "Succeeded"
