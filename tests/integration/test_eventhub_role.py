# SPDX-License-Identifier: GPL-3.0-or-later
"""Role eventhub through ansible-playbook against the ARM test double, read back from the double."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict

from conftest import FQCN, run_tasks, unique

POSTGRES = "io.debezium.connector.postgresql.PostgresConnector"

ROLE = "streamops.eventhub_connect.eventhub"
RECAP = re.compile(r"localhost\s+: ok=\d+\s+changed=(\d+)\s+unreachable=0\s+failed=(\d+)")
TOPICS = [{"name": "orders", "partitions": 3, "retention_hours": 48}, {"name": "customers"}]


def role_task(namespace: str, double: Any, tasks_from: str = "main", **role_vars: Any) -> dict:
    variables = {"eventhub_namespace_name": namespace, "eventhub_resource_group": double.resource_group,
                 "eventhub_connect_offsets_partitions": 4, "eventhub_connect_status_partitions": 2}
    variables.update(role_vars)
    return {"name": "role", "ansible.builtin.include_role": {"name": ROLE, "tasks_from": tasks_from},
            "vars": variables}


def run_role(double: Any, tmp_path: Path, namespace: str, tasks_from: str = "main", *args: str, **role_vars: Any):
    """Run the role with the default callback; return (changed, failed, output)."""
    run = run_tasks(double, tmp_path, [role_task(namespace, double, tasks_from, **role_vars)], *args,
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
    assert ("Topic budget exceeded on the Standard namespace '%s': limit 10 event hubs, used 0, requested 11 new, "
            "free 10; wanted: Connect 3, application 8, other event hubs 0. Ways out: the Premium tier"
            % namespace) in " ".join(output.split())
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


def inventory(tables: int, **entry: Any) -> Dict[str, Any]:
    config = {"connector.class": POSTGRES, "topic.prefix": "inventory", "database.password": "${dir:/opt/kafka/external-configuration/connector-secrets:pw}",
              "table.include.list": ",".join("public.t%d" % index for index in range(1, tables + 1))}
    config.update(entry.pop("config", {}))
    return dict({"name": "inventory", "config": config}, **entry)


def role_facts(double: Any, tmp_path: Path, namespace: str, *args: str, **role_vars: Any) -> Dict[str, Any]:
    """Run the role, then return the facts it publishes."""
    shown = {"name": "facts", "ansible.builtin.debug": {"msg": {
        "plan": "{{ eventhub_topic_plan }}", "topics": "{{ eventhub_connect_topics }}",
        "kafka": "{{ eventhub_kafka_connection.keys() | sort }}",
        "bootstrap": "{{ eventhub_kafka_connection.bootstrap_servers }}"}}}
    run = run_tasks(double, tmp_path, [role_task(namespace, double, **role_vars), shown], *args)
    assert run.returncode == 0, run.output
    return run.task("facts")["msg"]


def test_role_creates_the_connectors_planned_topics_and_publishes_the_plan(arm_double: Any, tmp_path: Path) -> None:
    namespace = unique("ehrole-")
    connectors = [inventory(2, topic_partitions=3, topic_retention_hours=72,
                            config={"heartbeat.interval.ms": 10000, "topic.heartbeat.prefix": "debezium-heartbeat"}),
                  {"name": "lines", "config": {"connector.class": "FileStreamSource", "topic": "lines"}},
                  {"name": "old", "config": {"connector.class": "FileStreamSource", "topic": "old"}, "state": "absent"}]
    facts = role_facts(arm_double, tmp_path, namespace, eventhub_connectors=connectors,
                       eventhub_topics=[{"name": "orders"}])
    stored = hubs(arm_double, namespace)
    planned = ["inventory.public.t1", "inventory.public.t2", "debezium-heartbeat.inventory"]
    assert sorted(stored) == sorted(["connect-configs", "connect-offsets", "connect-status", "orders", "lines"]
                                    + planned)
    for name in planned:
        assert stored[name]["partitionCount"] == 3
        assert stored[name]["retentionDescription"] == {"cleanupPolicy": "Delete", "retentionTimeInHours": 72}
    assert stored["lines"]["partitionCount"] == 1
    assert facts["topics"] == {"config": "connect-configs", "offsets": "connect-offsets", "status": "connect-status"}
    assert facts["kafka"] == ["bootstrap_servers", "sasl_jaas_config", "sasl_mechanism", "security_protocol"]
    assert facts["plan"]["connectors"] == [{"name": "inventory", "topics": planned}, {"name": "lines", "topics": ["lines"]}]
    assert facts["plan"]["budget"] == {"tier": "Standard", "limit": 10, "used": 0, "requested": 8, "free": 10,
                                       "fits": True, "connect": 3, "application": 1, "others": 0,
                                       "connectors": {"inventory": 3, "lines": 1}}
    assert "${dir:" not in str(facts)

    arm_double.clear_requests()
    changed, failed, output = run_role(arm_double, tmp_path, namespace, eventhub_connectors=connectors,
                                       eventhub_topics=[{"name": "orders"}])
    assert (changed, failed) == (0, 0), output
    assert arm_double.writes() == []

    changed, failed, output = run_role(arm_double, tmp_path, namespace, "teardown", eventhub_connectors=connectors,
                                       eventhub_topics=[{"name": "orders"}])
    assert failed == 0 and changed > 0, output
    assert hubs(arm_double, namespace) == {}


def test_a_plan_that_does_not_fit_changes_nothing_not_even_the_namespace(arm_double: Any, tmp_path: Path) -> None:
    namespace = unique("ehrole-")
    arm_double.clear_requests()
    changed, failed, output = run_role(arm_double, tmp_path, namespace, eventhub_connectors=[inventory(8)])
    assert (changed, failed) == (0, 1), output
    flat = " ".join(output.split())
    assert ("limit 10 event hubs, used 0, requested 11 new, free 10; wanted: Connect 3, application 0, connector "
            "'inventory' 8 (inventory.public.t1, inventory.public.t2," in flat), output
    assert "Ways out: the Premium tier (100 event hubs per processing unit), fewer topics" in flat
    assert arm_double.writes() == [] and arm_double.namespace(namespace) is None

    assert run_role(arm_double, tmp_path, namespace, eventhub_connectors=[inventory(5)])[1] == 0
    foreign = run_tasks(arm_double, tmp_path, [{"name": "foreign", FQCN + "eventhub": {
        "namespace_name": namespace, "hubs": [{"name": "foreign-1"}, {"name": "foreign-2"}]}}])
    assert foreign.returncode == 0, foreign.output
    before = arm_double.namespace(namespace)
    arm_double.clear_requests()
    # the input alone fits (9 topics); the namespace's two foreign hubs make it 11: the call refuses, writing nothing
    changed, failed, output = run_role(arm_double, tmp_path, namespace, eventhub_connectors=[inventory(6)],
                                       eventhub_tags={"changed": "yes"})
    assert (changed, failed) == (0, 1), output
    flat = " ".join(output.split())
    assert ("used 10, requested 1 new, free 0; wanted: Connect 3, application 0, connector 'inventory' 6 "
            "(inventory.public.t1," in flat), output
    assert "other event hubs 2. Ways out:" in flat, output
    assert arm_double.writes() == []
    assert arm_double.namespace(namespace) == before


def test_every_topic_and_the_rule_are_checked_before_the_first_write(arm_double: Any, tmp_path: Path) -> None:
    namespace = unique("ehrole-")
    arm_double.clear_requests()
    changed, failed, output = run_role(
        arm_double, tmp_path, namespace, eventhub_connect_rule_name="bad rule",
        eventhub_topics=[{"name": "zero", "partitions": 0}, {"name": "never", "retention_hours": 0},
                         {"name": "toolong", "retention_hours": 169}, {"name": "bad/name"}],
        eventhub_connectors=[inventory(1, config={"heartbeat.interval.ms": 5000}),
                             {"name": "pattern", "config": {"connector.class": POSTGRES, "topic.prefix": "p",
                                                            "table.include.list": "public.*"}}])
    assert (changed, failed) == (0, 1), output
    flat = " ".join(output.split())
    for expected in ("invalid authorization rule name 'bad rule'",
                     "event hub 'zero': partition_count 0 is outside 1-32 allowed on Standard",
                     "event hub 'never': retention 0 hours is outside 1-168 allowed on Standard",
                     "event hub 'toolong': retention 169 hours is outside 1-168 allowed on Standard",
                     "invalid event hub name 'bad/name'",
                     "heartbeat topic '__debezium-heartbeat.inventory' starts with '_', which an event hub name may "
                     "not; set topic.heartbeat.prefix=debezium-heartbeat",
                     "table.include.list entry 'public.*' is not one PostgreSQL table (schema.table) the plan can "
                     "expand; list the tables one by one or give the connector's topics: explicitly"):
        assert expected in flat, expected
    assert arm_double.writes() == [] and arm_double.namespace(namespace) is None


def test_check_mode_on_a_fresh_target_predicts_and_writes_nothing(arm_double: Any, tmp_path: Path) -> None:
    namespace = unique("ehrole-")
    arm_double.clear_requests()
    changed, failed, output = run_role(arm_double, tmp_path, namespace, "main", "--check",
                                       eventhub_connectors=[inventory(2)])
    assert failed == 0 and changed == 2, output
    assert ("would create 5 event hubs (connect-configs, connect-offsets, connect-status, inventory.public.t1, "
            "inventory.public.t2) and the SAS rule kafka-connect (Listen, Send)") in " ".join(output.split())
    facts = role_facts(arm_double, tmp_path, namespace, "--check", eventhub_connectors=[inventory(2)])
    assert facts["plan"]["connectors"] == [{"name": "inventory",
                                            "topics": ["inventory.public.t1", "inventory.public.t2"]}]
    assert facts["topics"]["config"] == "connect-configs"
    assert facts["bootstrap"] == "%s.servicebus.windows.net:9093" % namespace
    assert arm_double.writes() == [] and arm_double.namespace(namespace) is None
