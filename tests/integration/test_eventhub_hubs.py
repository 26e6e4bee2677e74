# SPDX-License-Identifier: GPL-3.0-or-later
"""eventhub and eventhub_info through ansible-playbook against the ARM test double, read back from the double."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

from conftest import FQCN, run_tasks, unique


def hubs_task(namespace: str, **options: Any) -> dict:
    return {"name": "hubs", FQCN + "eventhub": dict(namespace_name=namespace, **options)}


def stored_hubs(double: Any, namespace: str) -> Dict[str, dict]:
    return {hub["name"]: hub["properties"] for hub in double.namespace(namespace).get("eventhubs", [])}


def connect_topics(prefix: str) -> List[dict]:
    return [{"name": prefix + "-configs", "partition_count": 1},
            {"name": prefix + "-offsets", "partition_count": 4},
            {"name": prefix + "-status", "partition_count": 2}]


def test_many_hubs_created_compacted_then_idempotent_then_retention_diff_then_absent(
        arm_double: Any, standard_namespace: str, tmp_path: Path) -> None:
    prefix = unique("connect-")
    created = run_tasks(arm_double, tmp_path, [hubs_task(standard_namespace, cleanup_policy="compact",
                                                         hubs=connect_topics(prefix))])
    assert created.returncode == 0, created.output
    result = created.task("hubs")
    assert result["changed"] is True
    assert [hub["state"] for hub in result["hubs"]] == ["created"] * 3
    stored = stored_hubs(arm_double, standard_namespace)
    for topic in connect_topics(prefix):
        assert stored[topic["name"]]["partitionCount"] == topic["partition_count"]
        assert stored[topic["name"]]["retentionDescription"]["cleanupPolicy"] == "Compact"

    arm_double.clear_requests()
    again = run_tasks(arm_double, tmp_path, [hubs_task(standard_namespace, cleanup_policy="compact",
                                                       hubs=connect_topics(prefix))])
    assert again.returncode == 0, again.output
    assert again.task("hubs")["changed"] is False
    assert arm_double.writes() == []

    app = prefix + "-orders"
    first = run_tasks(arm_double, tmp_path, [hubs_task(standard_namespace, name=app, partition_count=2,
                                                       retention_hours=24)])
    assert first.returncode == 0, first.output
    longer = run_tasks(arm_double, tmp_path, [hubs_task(standard_namespace, name=app, retention_days=3)], "--diff")
    assert longer.returncode == 0, longer.output
    diff = longer.task("hubs")["diff"]
    assert (diff["before"]["retention_hours"], diff["after"]["retention_hours"]) == (24, 72)
    assert stored_hubs(arm_double, standard_namespace)[app]["retentionDescription"]["retentionTimeInHours"] == 72

    names = [topic["name"] for topic in connect_topics(prefix)] + [app]
    gone = run_tasks(arm_double, tmp_path, [hubs_task(standard_namespace, state="absent",
                                                      hubs=[{"name": n} for n in names])])
    assert gone.returncode == 0, gone.output
    assert gone.task("hubs")["changed"] is True
    assert not set(names) & set(stored_hubs(arm_double, standard_namespace))


def test_check_mode_on_fresh_hubs_writes_nothing(arm_double: Any, standard_namespace: str, tmp_path: Path) -> None:
    arm_double.clear_requests()
    run = run_tasks(arm_double, tmp_path, [hubs_task(standard_namespace, hubs=[{"name": unique("chk-")}])],
                    "--check", "--diff")
    assert run.returncode == 0, run.output
    assert run.task("hubs")["changed"] is True
    assert run.task("hubs")["hubs"][0]["state"] == "created"
    assert arm_double.writes() == []


def test_budget_overrun_is_refused_with_the_numbers_and_nothing_written(arm_double: Any, tmp_path: Path) -> None:
    namespace = unique("ehbud-")
    setup = run_tasks(arm_double, tmp_path, [
        {"name": "namespace", FQCN + "eventhub_namespace": {"name": namespace}},
        hubs_task(namespace, cleanup_policy="compact", hubs=connect_topics("connect"))])
    assert setup.returncode == 0, setup.output
    arm_double.clear_requests()
    run = run_tasks(arm_double, tmp_path, [hubs_task(namespace, hubs=[{"name": "app-%d" % i} for i in range(8)])])
    assert run.returncode != 0
    result = run.task("hubs")
    assert ("Topic budget exceeded on the Standard namespace '%s': limit 10 event hubs, used 3, requested 8 new, "
            "free 7. Ways out: the Premium tier" % namespace in result["msg"])
    assert result["budget"] == {"tier": "Standard", "limit": 10, "used": 3, "requested": 8, "free": 7}
    assert arm_double.writes() == []
    assert len(stored_hubs(arm_double, namespace)) == 3

    info = run_tasks(arm_double, tmp_path, [{"name": "info", FQCN + "eventhub_info": {"namespace_name": namespace}}])
    assert info.returncode == 0, info.output
    read = info.task("info")
    assert read["budget"] == {"tier": "Standard", "limit": 10, "used": 3, "free": 7}
    assert [(hub["name"], hub["cleanup_policy"]) for hub in read["hubs"]] == [
        ("connect-configs", "compact"), ("connect-offsets", "compact"), ("connect-status", "compact")]
    assert read["hubs"][1]["partition_count"] == 4


def test_refusals_before_any_write(arm_double: Any, standard_namespace: str, tmp_path: Path) -> None:
    existing = unique("fixed-")
    setup = run_tasks(arm_double, tmp_path, [hubs_task(standard_namespace, name=existing, partition_count=2)])
    assert setup.returncode == 0, setup.output
    cases = {
        "partition_count cannot change on Standard (2 -> 4)": dict(name=existing, partition_count=4),
        "invalid event hub name '-bad-'": dict(hubs=[{"name": unique("ok-")}, {"name": "-bad-"}]),
        "retention 240 hours is outside 1-168 allowed on Standard": dict(name=unique("long-"), retention_days=10),
    }
    for expected, options in cases.items():
        arm_double.clear_requests()
        run = run_tasks(arm_double, tmp_path, [hubs_task(standard_namespace, **options)])
        assert run.returncode != 0, expected
        assert expected in run.task("hubs")["msg"]
        assert arm_double.writes() == [], expected
    assert stored_hubs(arm_double, standard_namespace)[existing]["partitionCount"] == 2


def test_compaction_on_basic_is_refused(arm_double: Any, tmp_path: Path) -> None:
    namespace = unique("ehbas-")
    setup = run_tasks(arm_double, tmp_path, [
        {"name": "namespace", FQCN + "eventhub_namespace": {"name": namespace, "sku": "Basic", "require_kafka": False}}])
    assert setup.returncode == 0, setup.output
    arm_double.clear_requests()
    run = run_tasks(arm_double, tmp_path, [hubs_task(namespace, name="connect-configs", cleanup_policy="compact")])
    assert run.returncode != 0
    assert "cleanup_policy compact (log compaction) is not available on Basic" in run.task("hubs")["msg"]
    assert arm_double.writes() == []


def test_hub_writes_survive_injected_429_and_500(arm_double: Any, standard_namespace: str, tmp_path: Path) -> None:
    names = [unique("retry-%d-" % index) for index in range(2)]
    arm_double.clear_requests()
    arm_double.inject(429, count=1, method="PUT", path_regex="/eventhubs/")
    arm_double.inject(500, count=1, method="PUT", path_regex="/eventhubs/")
    run = run_tasks(arm_double, tmp_path, [hubs_task(standard_namespace, hubs=[{"name": n} for n in names])])
    assert run.returncode == 0, run.output
    assert sorted(e["status"] for e in arm_double.requests() if e.get("injected")) == [429, 500]
    assert set(names) <= set(stored_hubs(arm_double, standard_namespace))


def test_one_call_takes_three_round_trips_token_then_parallel_reads_then_one_wave_of_writes(
        arm_double: Any, standard_namespace: str, tmp_path: Path) -> None:
    prefix = unique("wave-")
    warm = run_tasks(arm_double, tmp_path, [hubs_task(standard_namespace, name=prefix + "-warm")])
    assert warm.returncode == 0, warm.output  # discovery documents are cached from here on
    arm_double.set_latency(300)
    arm_double.clear_requests()
    try:
        run = run_tasks(arm_double, tmp_path, [hubs_task(standard_namespace,
                                                         hubs=[{"name": "%s-%d" % (prefix, i)} for i in range(4)])])
    finally:
        arm_double.set_latency(0)
    assert run.returncode == 0, run.output
    log = arm_double.requests()
    assert [entry["method"] for entry in log if "/oauth2/" in entry["path"]] == ["POST"]
    assert not [entry for entry in log if entry["path"].endswith(("openid-configuration", "/metadata/endpoints",
                                                                  "/discovery/instance"))]
    reads = [entry for entry in log if entry["method"] == "GET"]
    writes = [entry for entry in log if entry["method"] == "PUT"]
    assert len(reads) == 2 and len(writes) == 4

    def overlapping(entries: List[dict]) -> bool:
        return max(e["timestamp"] for e in entries) < min(e["timestamp"] + e["duration_ms"] / 1000 for e in entries)

    assert overlapping(reads), reads
    assert overlapping(writes), writes
