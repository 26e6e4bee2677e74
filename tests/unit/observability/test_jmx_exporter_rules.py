# SPDX-License-Identifier: GPL-3.0-or-later
"""The kafka_connect role's JMX exporter rules: the exporter's schema, and the stable series names they make
of Kafka Connect's and Debezium's MBeans (the names the shipped alerts and dashboard read)."""
from __future__ import annotations

import re

import pytest

from exporter_series import (CONNECT_ATTRIBUTES, DEBEZIUM_ATTRIBUTES, RULES_FILE, jmx_series, load_rules,
                             object_name_matches, promql_metric_names, samples)

# The exporter's configuration keys (prometheus/jmx_exporter README, 0.17 to 1.x); jmxUrl and hostPort are for
# the standalone exporter and refused by the agent.
TOP_KEYS = {"startDelaySeconds", "username", "password", "ssl", "lowercaseOutputName", "lowercaseOutputLabelNames",
            "includeObjectNames", "excludeObjectNames", "autoExcludeObjectNameAttributes",
            "excludeObjectNameAttributes", "includeObjectNameAttributes", "rules", "metricCustomizers", "httpServer"}
RULE_KEYS = {"pattern", "name", "value", "valueFactor", "help", "labels", "type", "attrNameSnakeCase", "cache"}
TYPES = {"GAUGE", "COUNTER", "UNTYPED"}


def series() -> dict:
    found: dict = {}
    for name, labels in jmx_series():
        found.setdefault(name, []).append(labels)
    return found


def test_the_rule_file_is_a_yaml_document_of_the_exporters_schema():
    assert RULES_FILE.read_text(encoding="utf-8").startswith("---\n")
    config = load_rules()
    assert set(config) <= TOP_KEYS, set(config) - TOP_KEYS
    assert config["lowercaseOutputName"] is True and config["lowercaseOutputLabelNames"] is True
    assert config["rules"], "no rules"
    for rule in config["rules"]:
        assert set(rule) <= RULE_KEYS and {"pattern", "name", "type"} <= set(rule), rule
        assert rule["type"] in TYPES, rule
        re.compile(rule["pattern"])
        assert isinstance(rule.get("labels", {}), dict)
        # a counter's name ends in _total in every exporter version (1.x appends it when missing)
        assert rule["type"] != "COUNTER" or "-total)" in rule["pattern"], rule["pattern"]


def test_include_object_names_keep_every_mbean_the_rules_read():
    patterns = load_rules()["includeObjectNames"]
    for bean in [*CONNECT_ATTRIBUTES, *DEBEZIUM_ATTRIBUTES]:
        assert any(object_name_matches(pattern, bean) for pattern in patterns), bean
    assert not any(object_name_matches(pattern, "kafka.producer:type=producer-metrics,client-id=p") for pattern in patterns)
    assert not object_name_matches("kafka.connect:type=connect-worker-metrics", "kafka.connect:type=connect-worker-metrics,connector=a")


STABLE = {
    "kafka_connect_connector_status": {"connector": "pg-orders", "status": "running"},
    "kafka_connect_connector_task_status": {"connector": "pg-orders", "task": "0", "status": "running"},
    "kafka_connect_source_task_source_record_poll_rate": {"connector": "pg-orders", "task": "0"},
    "kafka_connect_source_task_source_record_poll_total": {"connector": "pg-orders", "task": "0"},
    "kafka_connect_source_task_source_record_write_total": {"connector": "pg-orders", "task": "0"},
    "kafka_connect_sink_task_sink_record_send_rate": {"connector": "es-orders", "task": "1"},
    "kafka_connect_sink_task_sink_record_read_total": {"connector": "es-orders", "task": "1"},
    "kafka_connect_sink_task_sink_record_send_total": {"connector": "es-orders", "task": "1"},
    "kafka_connect_connector_task_offset_commit_success_percentage": {"connector": "pg-orders", "task": "0"},
    "kafka_connect_task_error_total_record_errors": {"connector": "pg-orders", "task": "0"},
    "kafka_connect_task_error_deadletterqueue_produce_requests": {"connector": "pg-orders", "task": "0"},
    "kafka_connect_worker_rebalance_completed_rebalances_total": {},
    "kafka_connect_worker_rebalance_rebalancing": {},
    "kafka_connect_worker_rebalance_leader_name": {"leader_name": "http://w0:8083/"},
    "kafka_connect_worker_connector_count": {},
    "kafka_connect_worker_task_startup_failure_total": {},
    "kafka_connect_worker_connector_running_task_count": {"connector": "pg-orders"},
    "kafka_connect_coordinator_assigned_tasks": {"clientid": "connect-1"},
    "kafka_connect_version_info": {"clientid": "connect-1", "version": "3.9.0"},
    "kafka_connect_start_time_seconds": {"clientid": "connect-1"},
    "kafka_connect_connector_type_info": {"connector": "pg-orders", "connector_type": "source"},
    "kafka_connect_connector_class_info": {"connector": "pg-orders",
                                           "connector_class": "io.debezium.connector.postgresql.PostgresConnector"},
}


@pytest.mark.parametrize("name", sorted(STABLE))
def test_connect_mbeans_become_the_stable_series(name):
    assert name in series(), sorted(series())
    assert STABLE[name] in series()[name]


@pytest.mark.parametrize("plugin", ["postgres", "mysql", "mariadb"])
@pytest.mark.parametrize("context, attribute", [
    ("streaming", "millisecondsbehindsource"), ("streaming", "queueremainingcapacity"), ("streaming", "connected"),
    ("streaming", "totalnumberofeventsseen"), ("snapshot", "snapshotrunning"), ("snapshot", "snapshotcompleted"),
    ("snapshot", "remainingtablecount")])
def test_debezium_mbeans_become_debezium_metrics_series(plugin, context, attribute):
    labels = {"plugin": plugin, "context": context, "server": "shop"}
    assert labels in series()["debezium_metrics_" + attribute]


def test_debezium_booleans_are_numbers_and_text_is_left_out():
    found = jmx_series(given=[("debezium.postgres:type=connector-metrics,context=streaming,server=shop", "Connected", True),
                              ("debezium.postgres:type=connector-metrics,context=streaming,server=shop", "LastEvent", "x"),
                              ("debezium.postgres:type=connector-metrics,context=streaming,server=shop",
                               "CapturedTables", ["public.orders"])])
    assert found == [("debezium_metrics_connected", {"plugin": "postgres", "context": "streaming", "server": "shop"})]
    assert {"plugin": "sql_server", "context": "streaming", "server": "shop", "task": "0"} in series()[
        "debezium_metrics_millisecondsbehindsource"]


def test_every_numeric_attribute_is_exported_once_and_no_name_has_two_shapes():
    numeric = [sample for sample in samples() if isinstance(sample[2], (int, float))]
    status = [sample for sample in samples() if sample[1] in ("status", "connector-type", "version")]
    assert len(jmx_series(given=numeric + status)) == len(numeric) + len(status)
    for name, label_sets in series().items():
        # Debezium connectors with more than one task add a task label
        optional = {"task"} if name.startswith("debezium_") else set()
        assert len({frozenset(labels) - optional for labels in label_sets}) == 1, (name, label_sets)
        assert re.fullmatch(r"[a-z_][a-z0-9_]*", name), name


def test_a_rule_change_that_renames_a_series_is_caught():
    config = load_rules()
    for rule in config["rules"]:
        rule["name"] = rule["name"].replace("kafka_connect_connector_task_status", "kafka_connect_task_status")
    assert "kafka_connect_connector_task_status" not in {series[0] for series in jmx_series(config)}


@pytest.mark.parametrize("expr, names", [
    ('sum by (connector) (rate(kafka_connect_source_task_source_record_poll_total{namespace=~"$namespace"}[5m]))',
     {"kafka_connect_source_task_source_record_poll_total"}),
    ("increase(a_total[10m]) > 0 and on (pod) b == 0", {"a_total", "b"}),
    ('max by (server) (x{context="streaming"}) / 1000 > 300 or vector(0)', {"x"}),
    ('count(up{job="a"} == 1) without (instance)', {"up"}),
])
def test_the_promql_scan_finds_the_metric_names(expr, names):
    assert promql_metric_names(expr) == names
