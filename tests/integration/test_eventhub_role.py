# SPDX-License-Identifier: GPL-3.0-or-later
"""Role eventhub through ansible-playbook against the ARM test double, read back from the double."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict

from conftest import run_tasks, unique

ROLE = "streamops.eventhub_connect.eventhub"
RECAP = re.compile(r"localhost\s+: ok=\d+\s+changed=(\d+)\s+unreachable=0\s+failed=(\d+)")
TOPICS = [{"name": "orders", "partitions": 3, "retention_hours": 48}, {"name": "customers"}]


def role_task(namespace: str, double: Any, tasks_from: str = "main", **role_vars: Any) -> dict:
    variables = {"eventhub_namespace_name": namespace, "eventhub_resource_group": double.resource_group,
                 "eventhub_connect_offsets_partitions": 4, "eventhub_connect_status_partitions": 2}
    variables.update(role_vars)
    return {"name": "role", "ansible.builtin.include_role": {"name": ROLE, "tasks_from": tasks_from},
            "vars": variables}


def run_role(double: Any, tmp_path: Path, namespace: str, tasks_from: str = "main", **role_vars: Any):
    """Run the role with the default callback; return (changed, failed, output)."""
    run = run_tasks(double, tmp_path, [role_task(namespace, double, tasks_from, **role_vars)],
                    callback="ansible.builtin.default", env={"ANSIBLE_NOCOLOR": "1"})
    recap = RECAP.search(run.output)
    assert recap, run.output
    return int(recap.group(1)), int(recap.group(2)), run.output


def hubs(double: Any, namespace: str) -> Dict[str, dict]:
    return {hub["name"]: hub["properties"] for hub in double.namespace(namespace).get("eventhubs", [])}


def rules(double: Any, namespace: str) -> Dict[str, list]:
    return {rule["name"]: sorted(rule["properties"]["rights"]) for rule in double.namespace(namespace)["authorizationRules"]}


def test_role_builds_the_namespace_then_changes_nothing(arm_double: Any, tmp_path: Path) -> None:
    namespace = unique("ehrole-")
    changed, failed, output = run_role(arm_double, tmp_path, namespace, eventhub_topics=TOPICS)
    assert failed == 0 and changed > 0, output
    stored = hubs(arm_double, namespace)
    internal = ("connect-configs", "connect-offsets", "connect-status")
    assert {stored[name]["retentionDescription"]["cleanupPolicy"] for name in internal} == {"Compact"}
    assert [stored[name]["partitionCount"] for name in internal] == [1, 4, 2]
    assert stored["orders"]["partitionCount"] == 3
    assert stored["orders"]["retentionDescription"] == {"cleanupPolicy": "Delete", "retentionTimeInHours": 48}
    assert stored["customers"]["partitionCount"] == 1
    assert rules(arm_double, namespace)["kafka-connect"] == ["Listen", "Send"]

    arm_double.clear_requests()
    changed, failed, output = run_role(arm_double, tmp_path, namespace, eventhub_topics=TOPICS)
    assert (changed, failed) == (0, 0), output
    assert arm_double.writes() == []


def test_auto_creation_adds_manage_to_the_rule(arm_double: Any, tmp_path: Path) -> None:
    namespace = unique("ehrole-")
    changed, failed, output = run_role(arm_double, tmp_path, namespace, eventhub_topic_auto_create=True)
    assert failed == 0 and changed > 0, output
    assert rules(arm_double, namespace)["kafka-connect"] == ["Listen", "Manage", "Send"]


def test_topic_budget_fails_with_the_numbers_before_any_write(arm_double: Any, tmp_path: Path) -> None:
    namespace = unique("ehrole-")
    arm_double.clear_requests()
    topics = [{"name": "topic-%d" % index} for index in range(8)]
    changed, failed, output = run_role(arm_double, tmp_path, namespace, eventhub_topics=topics)
    assert (changed, failed) == (0, 1), output
    assert ("Topic budget exceeded on the Standard namespace '%s': limit 10 event hubs, used by Connect 3, "
            "used by other event hubs 0, requested 8 application topics, free 7." % namespace) in " ".join(output.split())
    assert arm_double.writes() == []
    assert arm_double.namespace(namespace) is None


def test_basic_tier_is_refused_by_the_argument_spec(arm_double: Any, tmp_path: Path) -> None:
    changed, failed, output = run_role(arm_double, tmp_path, unique("ehrole-"), eventhub_sku="Basic")
    assert (changed, failed) == (0, 1)
    assert "value of eventhub_sku must be one of: Standard, Premium, got: Basic" in output


def test_teardown_keeps_the_namespace_unless_asked(arm_double: Any, tmp_path: Path) -> None:
    namespace = unique("ehrole-")
    assert run_role(arm_double, tmp_path, namespace, eventhub_topics=TOPICS)[1] == 0

    changed, failed, output = run_role(arm_double, tmp_path, namespace, "teardown", eventhub_topics=TOPICS)
    assert failed == 0 and changed > 0, output
    assert hubs(arm_double, namespace) == {}
    assert "kafka-connect" not in rules(arm_double, namespace)

    changed, failed, output = run_role(arm_double, tmp_path, namespace, "teardown",
                                       eventhub_teardown_delete_namespace=True)
    assert failed == 0 and changed > 0, output
    assert arm_double.namespace(namespace) is None
    changed, failed, output = run_role(arm_double, tmp_path, namespace, "teardown", eventhub_topics=TOPICS)
    assert (changed, failed) == (0, 0), output
