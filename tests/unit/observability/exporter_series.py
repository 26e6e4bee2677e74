# SPDX-License-Identifier: GPL-3.0-or-later
"""The series the shipped exporter configurations produce, and the metric names a PromQL expression reads.

`jmx_series` applies the kafka_connect role's JMX exporter rules to the MBean attributes Kafka Connect and
Debezium register, as the exporter does: each rule's pattern is searched in "domain<key=value, ...><>attribute:
value", the first rule that matches decides, names and label names are sanitized and lower-cased, and a text
value without a rule `value` is dropped. `postgres_series` names what prometheus-postgres-exporter makes of the
custom queries file: "<query>_<column>" for every non-label column.
"""
from __future__ import annotations

import fnmatch
import re
from pathlib import Path
from typing import Any, Dict, FrozenSet, Iterable, List, Tuple

import yaml

REPO = Path(__file__).resolve().parents[3]
RULES_FILE = REPO / "roles" / "kafka_connect" / "files" / "kafka-connect-metrics.yml"
OBSERVABILITY = REPO / "extensions" / "observability"
ALERTS_FILE = OBSERVABILITY / "prometheus" / "alerts.yml"
ALERT_TESTS = OBSERVABILITY / "prometheus" / "tests"
QUERIES_FILE = OBSERVABILITY / "prometheus" / "postgres-exporter-queries.yml"
DASHBOARD_FILE = OBSERVABILITY / "grafana" / "kafka-connect.json"

Sample = Tuple[str, str, Any]  # ObjectName, attribute, value

# The MBeans of the Kafka documentation's "Connect Monitoring" (Kafka 3.9 / 4.x), with example values.
WORKER = "kafka.connect:type=connect-worker-metrics"
CONNECTOR = "connector=pg-orders"
TASK = "connector=pg-orders,task=0"
CONNECT_ATTRIBUTES: Dict[str, Dict[str, Any]] = {
    WORKER: {name: 1.0 for name in (
        "connector-count", "connector-startup-attempts-total", "connector-startup-failure-percentage",
        "connector-startup-failure-total", "connector-startup-success-percentage", "connector-startup-success-total",
        "task-count", "task-startup-attempts-total", "task-startup-failure-percentage", "task-startup-failure-total",
        "task-startup-success-percentage", "task-startup-success-total")},
    WORKER + "," + CONNECTOR: {name: 1.0 for name in (
        "connector-destroyed-task-count", "connector-failed-task-count", "connector-paused-task-count",
        "connector-restarting-task-count", "connector-running-task-count", "connector-total-task-count",
        "connector-unassigned-task-count")},
    "kafka.connect:type=connect-worker-rebalance-metrics": {
        "completed-rebalances-total": 3.0, "connect-protocol": "sessioned", "epoch": 7.0, "leader-name": "http://w0:8083/",
        "rebalance-avg-time-ms": 40.0, "rebalance-max-time-ms": 90.0, "rebalancing": 0.0,
        "time-since-last-rebalance-ms": 1000.0},
    "kafka.connect:type=connector-metrics," + CONNECTOR: {
        "connector-class": "io.debezium.connector.postgresql.PostgresConnector", "connector-type": "source",
        "connector-version": "3.0.8.Final", "status": "running"},
    "kafka.connect:type=connector-task-metrics," + TASK: {
        "batch-size-avg": 5.0, "batch-size-max": 9.0, "offset-commit-avg-time-ms": 3.0,
        "offset-commit-failure-percentage": 0.0, "offset-commit-max-time-ms": 8.0, "offset-commit-success-percentage": 1.0,
        "pause-ratio": 0.0, "running-ratio": 1.0, "status": "running"},
    "kafka.connect:type=source-task-metrics," + TASK: {
        "poll-batch-avg-time-ms": 2.0, "poll-batch-max-time-ms": 4.0, "source-record-active-count": 1.0,
        "source-record-active-count-avg": 1.0, "source-record-active-count-max": 2.0, "source-record-poll-rate": 3.0,
        "source-record-poll-total": 300.0, "source-record-write-rate": 3.0, "source-record-write-total": 300.0,
        "transaction-size-avg": 1.0, "transaction-size-max": 1.0, "transaction-size-min": 1.0},
    "kafka.connect:type=sink-task-metrics,connector=es-orders,task=1": {
        "offset-commit-completion-rate": 1.0, "offset-commit-completion-total": 5.0, "offset-commit-seq-no": 5.0,
        "offset-commit-skip-rate": 0.0, "offset-commit-skip-total": 0.0, "partition-count": 3.0,
        "put-batch-avg-time-ms": 4.0, "put-batch-max-time-ms": 9.0, "sink-record-active-count": 0.0,
        "sink-record-active-count-avg": 0.0, "sink-record-active-count-max": 1.0, "sink-record-lag-max": 0.0,
        "sink-record-read-rate": 2.0, "sink-record-read-total": 20.0, "sink-record-send-rate": 2.0,
        "sink-record-send-total": 20.0},
    "kafka.connect:type=task-error-metrics," + TASK: {
        "deadletterqueue-produce-failures": 0.0, "deadletterqueue-produce-requests": 0.0, "last-error-timestamp": 0.0,
        "total-errors-logged": 0.0, "total-record-errors": 0.0, "total-record-failures": 0.0,
        "total-records-skipped": 0.0, "total-retries": 0.0},
    "kafka.connect:type=connect-coordinator-metrics,client-id=connect-1": {"assigned-connectors": 1.0, "assigned-tasks": 2.0},
    "kafka.connect:type=app-info,client-id=connect-1": {"commit-id": "abc123", "version": "3.9.0", "start-time-ms": 1.0},
}

# Debezium's connector metrics (PostgreSQL, MySQL and MariaDB documentation, "Monitoring").
STREAMING = {"LastEvent": "insert", "MilliSecondsSinceLastEvent": 10.0, "TotalNumberOfEventsSeen": 42.0,
             "TotalNumberOfCreateEventsSeen": 40.0, "TotalNumberOfUpdateEventsSeen": 1.0,
             "TotalNumberOfDeleteEventsSeen": 1.0, "NumberOfEventsFiltered": 0.0, "CapturedTables": ["public.orders"],
             "QueueTotalCapacity": 8192.0, "QueueRemainingCapacity": 8192.0, "Connected": True,
             "MilliSecondsBehindSource": 120.0, "NumberOfCommittedTransactions": 40.0, "LastTransactionId": "771",
             "MaxQueueSizeInBytes": 0.0, "CurrentQueueSizeInBytes": 0.0}
SNAPSHOT = {"LastEvent": "read", "MilliSecondsSinceLastEvent": 10.0, "TotalNumberOfEventsSeen": 100.0,
            "NumberOfEventsFiltered": 0.0, "CapturedTables": ["public.orders"], "QueueTotalCapacity": 8192.0,
            "QueueRemainingCapacity": 8192.0, "TotalTableCount": 1.0, "RemainingTableCount": 0.0,
            "SnapshotRunning": False, "SnapshotPaused": False, "SnapshotAborted": False, "SnapshotCompleted": True,
            "SnapshotDurationInSeconds": 3.0, "SnapshotPausedDurationInSeconds": 0.0, "MaxQueueSizeInBytes": 0.0,
            "CurrentQueueSizeInBytes": 0.0}
DEBEZIUM_ATTRIBUTES: Dict[str, Dict[str, Any]] = {
    **{"debezium.%s:type=connector-metrics,context=streaming,server=shop" % plugin: STREAMING
       for plugin in ("postgres", "mysql", "mariadb")},
    **{"debezium.%s:type=connector-metrics,context=snapshot,server=shop" % plugin: SNAPSHOT
       for plugin in ("postgres", "mysql", "mariadb")},
    "debezium.mysql:type=connector-metrics,context=schema-history,server=shop": {
        "Status": "RUNNING", "ChangesRecovered": 3.0, "ChangesApplied": 3.0, "MilliSecondsSinceLastAppliedChange": 1.0},
    # connectors with more tasks (SQL Server) register server, task, then context
    "debezium.sql_server:type=connector-metrics,server=shop,task=0,context=streaming": {"MilliSecondsBehindSource": 5.0},
}


def samples() -> List[Sample]:
    return [(bean, attribute, value) for beans in (CONNECT_ATTRIBUTES, DEBEZIUM_ATTRIBUTES)
            for bean, attributes in beans.items() for attribute, value in attributes.items()]


def load_rules() -> Dict[str, Any]:
    return yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))


def exporter_text(object_name: str, attribute: str, value: Any) -> str:
    """What the exporter matches a rule against: keys in registration order, ", " between them."""
    domain, keys = object_name.split(":", 1)
    return "%s<%s><>%s: %s" % (domain, ", ".join(keys.split(",")), attribute, value)


def object_name_matches(pattern: str, object_name: str) -> bool:
    """javax.management.ObjectName pattern matching, as far as includeObjectNames needs it."""
    pattern_domain, pattern_keys = pattern.split(":", 1)
    domain, keys = object_name.split(":", 1)
    if not fnmatch.fnmatchcase(domain, pattern_domain):
        return False
    wanted = [key for key in pattern_keys.split(",") if key != "*"]
    given = keys.split(",")
    return set(wanted) <= set(given) if "*" in pattern_keys.split(",") else set(wanted) == set(given)


def safe_name(name: str) -> str:
    return re.sub(r"_+", "_", re.sub(r"[^a-zA-Z0-9:_]", "_", name))


def _substitute(template: str, match: re.Match) -> str:
    return re.sub(r"\$(\d+)", lambda ref: match.group(int(ref.group(1))) or "", str(template))


def _number(value: Any) -> Any:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    return float(value) if isinstance(value, (int, float)) else None


def jmx_series(config: Dict[str, Any] | None = None, given: Iterable[Sample] | None = None) -> List[Tuple[str, Dict[str, str]]]:
    config = config if config is not None else load_rules()
    rules = [(re.compile("^.*(?:%s).*$" % rule["pattern"]), rule) for rule in config["rules"]]
    lower_names = config.get("lowercaseOutputName", False)
    lower_labels = config.get("lowercaseOutputLabelNames", False)
    found = []
    for object_name, attribute, value in (samples() if given is None else given):
        text = exporter_text(object_name, attribute, value)
        for regex, rule in rules:
            match = regex.match(text)
            if not match:
                continue
            if _number(rule["value"] if "value" in rule else value) is None:
                break  # the first matching rule decides; a text value without a rule value is dropped
            name = safe_name(_substitute(rule["name"], match))
            labels = {}
            for key, label_value in (rule.get("labels") or {}).items():
                label = safe_name(_substitute(key, match))
                labels[label.lower() if lower_labels else label] = _substitute(label_value, match)
            found.append((name.lower() if lower_names else name, labels))
            break
    return found


def jmx_names() -> FrozenSet[str]:
    return frozenset(name for name, _labels in jmx_series())


def postgres_names() -> FrozenSet[str]:
    queries = yaml.safe_load(QUERIES_FILE.read_text(encoding="utf-8"))
    return frozenset("%s_%s" % (query, column) for query, spec in queries.items()
                     for entry in spec["metrics"] for column, usage in entry.items() if usage["usage"] != "LABEL")


PROMQL_WORDS = {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool",
                "inf", "nan"}


def promql_metric_names(expr: str) -> FrozenSet[str]:
    """The metric names a PromQL expression (or a Grafana query using $variables) reads."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', expr)  # strings
    text = re.sub(r"\{[^}]*\}", " ", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)  # ranges
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)  # label lists
    text = re.sub(r"\$\{?\w+\}?", " ", text)  # Grafana variables
    names = set()
    for match in re.finditer(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?", text):
        word, call = match.group(1), match.group(2)
        if call or word.lower() in PROMQL_WORDS or re.fullmatch(r"\d+[smhdwy]", word):
            continue
        names.add(word)
    return frozenset(names)
