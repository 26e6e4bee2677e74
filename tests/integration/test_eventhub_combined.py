# SPDX-License-Identifier: GPL-3.0-or-later
"""eventhub with namespace and authorization_rule: the Event Hubs side of Connect in one module process,
through ansible-playbook against the ARM test double, read back from the double."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

from conftest import FQCN, run_tasks, unique

CONNECT_HUBS = [{"name": "connect-configs", "partition_count": 1}, {"name": "connect-offsets", "partition_count": 4},
                {"name": "connect-status", "partition_count": 2}]


def combined_task(namespace: str, hubs: List[dict], tags: Dict[str, str], **options: Any) -> dict:
    return {"name": "eventhubs", "register": "eventhubs", FQCN + "eventhub": dict(
        namespace_name=namespace, cleanup_policy="compact", hubs=hubs,
        namespace={"location": "westeurope", "sku": "Standard", "capacity": 1, "tags": tags, "polling_interval": 0.2},
        authorization_rule={"name": "kafka-connect", "rights": ["Listen", "Send"], "return_keys": True}, **options)}


# Not secret in a test: the endpoint, and whether the password is the rule's connection string.
SHOW_KAFKA = {"name": "kafka", "ansible.builtin.debug": {"msg": {
    "bootstrap": "{{ eventhubs.kafka.bootstrap_servers | default('none') }}",
    "rule_password": "{{ 'SharedAccessKeyName=kafka-connect;' in (eventhubs.kafka.sasl_jaas_config | default('')) }}",
    "rule": "{{ eventhubs.rule }}", "namespace_state": "{{ eventhubs.namespace.state }}",
    "states": "{{ eventhubs.hubs | map(attribute='state') | list }}"}}}


def stored_rules(double: Any, namespace: str) -> Dict[str, List[str]]:
    return {rule["name"]: sorted(rule["properties"]["rights"])
            for rule in double.namespace(namespace)["authorizationRules"]}


def test_one_call_predicts_then_builds_namespace_hubs_and_rule_then_changes_nothing(
        arm_double: Any, tmp_path: Path) -> None:
    namespace = unique("ehone-")
    arm_double.clear_requests()
    check = run_tasks(arm_double, tmp_path, [combined_task(namespace, CONNECT_HUBS, {"owner": "it"}), SHOW_KAFKA],
                      "--check", "--diff")
    assert check.returncode == 0, check.output
    assert check.task("eventhubs")["changed"] is True
    shown = check.task("kafka")["msg"]
    assert shown["namespace_state"] == "created" and shown["states"] == ["created"] * 3
    assert shown["rule"]["state"] == "created" and shown["bootstrap"] == "none"  # keys exist after a real run only
    assert arm_double.writes() == [] and arm_double.namespace(namespace) is None

    run = run_tasks(arm_double, tmp_path, [combined_task(namespace, CONNECT_HUBS, {"owner": "it"}), SHOW_KAFKA])
    assert run.returncode == 0, run.output
    assert run.task("eventhubs")["changed"] is True
    assert "primary_connection_string" not in run.output  # the result carries keys: hidden
    shown = run.task("kafka")["msg"]
    assert shown["bootstrap"] == "%s.servicebus.windows.net:9093" % namespace and shown["rule_password"] is True
    stored = arm_double.namespace(namespace)
    assert stored["tags"] == {"owner": "it"}
    assert sorted(hub["name"] for hub in stored["eventhubs"]) == [hub["name"] for hub in CONNECT_HUBS]
    assert stored_rules(arm_double, namespace)["kafka-connect"] == ["Listen", "Send"]

    arm_double.set_latency(100)
    arm_double.clear_requests()
    try:
        again = run_tasks(arm_double, tmp_path, [combined_task(namespace, CONNECT_HUBS, {"owner": "it"}), SHOW_KAFKA])
    finally:
        arm_double.set_latency(0)
    assert again.returncode == 0, again.output
    assert again.task("eventhubs")["changed"] is False
    assert again.task("kafka")["msg"]["states"] == ["unchanged"] * 3
    assert arm_double.writes() == []
    log = [entry for entry in arm_double.requests() if "/oauth2/" not in entry["path"]]
    reads = [entry for entry in log if entry["method"] == "GET"]
    assert len(reads) == 3 and len(log) == 4, log  # namespace, hubs, rules together; then the rule's keys
    assert max(e["timestamp"] for e in reads) < min(e["timestamp"] + e["duration_ms"] / 1000 for e in reads), reads


def test_foreign_hubs_over_the_budget_are_refused_before_any_write_even_the_namespace(
        arm_double: Any, tmp_path: Path) -> None:
    namespace = unique("ehfor-")
    setup = run_tasks(arm_double, tmp_path, [
        {"name": "namespace", FQCN + "eventhub_namespace": {"name": namespace, "tags": {"owner": "first"}}},
        {"name": "foreign", FQCN + "eventhub": {"namespace_name": namespace,
                                                "hubs": [{"name": "foreign-%d" % i} for i in range(8)]}}])
    assert setup.returncode == 0, setup.output
    before = arm_double.namespace(namespace)
    arm_double.clear_requests()
    run = run_tasks(arm_double, tmp_path, [combined_task(namespace, CONNECT_HUBS, {"owner": "second"})])
    assert run.returncode != 0
    result = run.task("eventhubs")
    assert ("Topic budget exceeded on the Standard namespace '%s': limit 10 event hubs, used 8, requested 3 new, "
            "free 2" % namespace) in result["msg"], result["msg"]
    assert arm_double.writes() == []
    assert arm_double.namespace(namespace) == before  # neither the tags nor a rule nor a hub
