# SPDX-License-Identifier: GPL-3.0-or-later
"""The shipped Grafana dashboard: a dashboard Grafana imports (schemaVersion, uid, panels with targets on a
Prometheus data source variable), whose queries read only series that the role's JMX exporter rules or the
postgres exporter queries produce, with the panels an operator looks at first."""
from __future__ import annotations

import json
import re
from typing import Any, Dict, List

import pytest

from exporter_series import DASHBOARD_FILE, jmx_names, postgres_names, promql_metric_names

PANEL_TYPES = {"row", "stat", "table", "timeseries", "gauge", "bargauge", "text"}


def dashboard() -> Dict[str, Any]:
    return json.loads(DASHBOARD_FILE.read_text(encoding="utf-8"))


def panels() -> List[Dict[str, Any]]:
    return [panel for panel in dashboard()["panels"] if panel["type"] != "row"]


def exprs() -> List[str]:
    return [target["expr"] for panel in panels() for target in panel["targets"]]


def test_it_is_a_dashboard_grafana_imports():
    board = dashboard()
    assert isinstance(board["schemaVersion"], int) and board["schemaVersion"] >= 36
    assert re.fullmatch(r"[a-zA-Z0-9_-]{1,40}", board["uid"])
    assert board["title"] and "id" not in board  # an id would tie the import to one Grafana's database
    variables = {variable["name"]: variable for variable in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids)), "panel ids repeat"
    assert panels()


@pytest.mark.parametrize("panel", panels(), ids=lambda panel: panel["title"])
def test_every_panel_queries_prometheus_through_the_variable(panel):
    assert panel["type"] in PANEL_TYPES
    assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
    assert panel["targets"], "a panel without targets"
    ref_ids = [target["refId"] for target in panel["targets"]]
    assert len(ref_ids) == len(set(ref_ids))
    for target in panel["targets"]:
        assert target["expr"].strip() and target["datasource"] == panel["datasource"]
    grid = panel["gridPos"]
    assert all(isinstance(grid[key], int) for key in ("h", "w", "x", "y")) and grid["x"] + grid["w"] <= 24


def test_no_two_panels_overlap():
    cells = {}
    for panel in dashboard()["panels"]:
        grid = panel["gridPos"]
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                assert (x, y) not in cells, (panel["title"], cells.get((x, y)))
                cells[(x, y)] = panel["title"]


@pytest.mark.parametrize("expr", exprs())
def test_every_query_reads_series_the_exporters_produce(expr):
    names = promql_metric_names(expr)
    assert names, expr
    assert sorted(names - jmx_names() - postgres_names()) == []


def test_the_namespace_variable_reads_a_produced_series():
    variable = {v["name"]: v for v in dashboard()["templating"]["list"]}["namespace"]
    metric = re.fullmatch(r"label_values\((\w+), namespace\)", variable["query"]["query"]).group(1)
    assert metric in jmx_names()
    assert all('namespace=~"$namespace"' in expr for expr in exprs() if not promql_metric_names(expr) <= postgres_names())


@pytest.mark.parametrize("series", [
    "kafka_connect_connector_status", "kafka_connect_connector_task_status",
    "kafka_connect_source_task_source_record_poll_total", "kafka_connect_source_task_source_record_write_total",
    "kafka_connect_sink_task_sink_record_send_total", "debezium_metrics_millisecondsbehindsource",
    "kafka_connect_worker_rebalance_completed_rebalances_total", "pg_replication_slot_wal_retained_bytes"])
def test_the_first_things_an_operator_looks_at_have_a_panel(series):
    assert any(series in promql_metric_names(expr) for expr in exprs())
