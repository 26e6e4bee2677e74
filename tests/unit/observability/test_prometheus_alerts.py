# SPDX-License-Identifier: GPL-3.0-or-later
"""The shipped Prometheus alerts: promtool checks them and runs their unit tests (tests/*_test.yml), each alert
has its labels, annotations and runbook section, both a firing and a quiet test, and reads only series that the
role's JMX exporter rules or the postgres exporter queries produce.

promtool is required, not optional: `make prometheus` (a prerequisite of `make unit`) unpacks it from Debian's
prometheus package into the testbed cache; a promtool on PATH, or $PROMTOOL, is used first.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml

from exporter_series import ALERT_TESTS, ALERTS_FILE, REPO, jmx_names, postgres_names, promql_metric_names

TROUBLESHOOTING = REPO / "docs" / "troubleshooting.md"
RUNBOOK = "https://github.com/streamops/eventhub_connect/blob/main/docs/troubleshooting.md#"


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(os.environ.get("TESTBED_CACHE") or Path(base) / "streamops-testbed")


def promtool() -> str:
    for candidate in (os.environ.get("PROMTOOL"), shutil.which("promtool"), str(cache_dir() / "prometheus" / "bin" / "promtool")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail("promtool is missing: run `make prometheus` (it unpacks Debian's prometheus package into %s/prometheus), "
                "or put Prometheus' promtool on PATH or in $PROMTOOL" % cache_dir(), pytrace=False)
    raise AssertionError("unreachable")


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([promtool(), *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def alerts() -> List[Dict[str, Any]]:
    groups = yaml.safe_load(ALERTS_FILE.read_text(encoding="utf-8"))["groups"]
    return [rule for group in groups for rule in group["rules"]]


def rule_tests() -> List[Dict[str, Any]]:
    return [case for path in sorted(ALERT_TESTS.glob("*_test.yml"))
            for test in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"] for case in test["alert_rule_test"]]


def github_anchor(heading: str) -> str:
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_promtool_checks_the_rules():
    result = run("check", "rules", ALERTS_FILE.name, cwd=ALERTS_FILE.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: %d rules found" % len(alerts()) in result.stdout


def test_the_alerts_unit_tests_pass():
    files = sorted(str(path.relative_to(ALERTS_FILE.parent)) for path in ALERT_TESTS.glob("*_test.yml"))
    assert files, "no promtool unit tests"
    result = run("test", "rules", *files, cwd=ALERTS_FILE.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAILED" not in result.stdout + result.stderr


def test_promtool_fails_a_rule_test_that_expects_the_wrong_alert(tmp_path):
    """The unit tests can fail: a test expecting a firing alert where the rule does not fire is refused."""
    (tmp_path / "alerts.yml").write_text(ALERTS_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "wrong_test.yml").write_text(yaml.safe_dump({
        "rule_files": ["alerts.yml"], "evaluation_interval": "1m",
        "tests": [{"interval": "1m", "input_series": [
            {"series": 'kafka_connect_connector_status{connector="a", status="running"}', "values": "1x10"}],
            "alert_rule_test": [{"eval_time": "5m", "alertname": "KafkaConnectConnectorFailed",
                                 "exp_alerts": [{"exp_labels": {"severity": "critical", "connector": "a", "status": "running"}}]}]}],
    }), encoding="utf-8")
    result = run("test", "rules", "wrong_test.yml", cwd=tmp_path)
    assert result.returncode != 0 and "FAILED" in result.stdout + result.stderr, result.stdout + result.stderr


@pytest.mark.parametrize("rule", alerts(), ids=lambda rule: rule["alert"])
def test_every_alert_has_severity_summary_description_and_a_runbook_section(rule):
    assert rule["labels"]["severity"] in ("critical", "warning")
    annotations = rule["annotations"]
    assert set(annotations) == {"summary", "description", "runbook_url"}
    assert annotations["runbook_url"] == RUNBOOK + rule["alert"].lower()
    headings = [line.lstrip("#").strip() for line in TROUBLESHOOTING.read_text(encoding="utf-8").splitlines()
                if line.startswith("#")]
    assert rule["alert"].lower() in {github_anchor(heading) for heading in headings}, "no runbook section"
    # what fails is named: the connector (and task), the Debezium server, the slot, or the worker
    names = promql_metric_names(rule["expr"])
    wanted = ({"connector", "task"} if any("_task_" in name for name in names)
              else {"connector"} if any(name.startswith("kafka_connect_connector") for name in names)
              else {"server"} if any(name.startswith("debezium_") for name in names)
              else {"slot_name"} if any(name.startswith("pg_") for name in names) else {"pod"})
    for label in wanted:
        assert "$labels.%s" % label in annotations["description"] and "$labels.%s" % label in annotations["summary"], label


@pytest.mark.parametrize("rule", alerts(), ids=lambda rule: rule["alert"])
def test_every_alert_is_tested_firing_and_quiet(rule):
    cases = [case for case in rule_tests() if case["alertname"] == rule["alert"]]
    assert [case for case in cases if case.get("exp_alerts")], "no test where it fires"
    assert [case for case in cases if not case.get("exp_alerts")], "no test where it stays quiet"


@pytest.mark.parametrize("rule", alerts(), ids=lambda rule: rule["alert"])
def test_every_alert_reads_series_the_exporters_produce(rule):
    names = promql_metric_names(rule["expr"])
    assert names, rule["expr"]
    assert sorted(names - jmx_names() - postgres_names()) == []
