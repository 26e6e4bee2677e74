# SPDX-License-Identifier: GPL-3.0-or-later
"""connect_connectors (the whole list in one run) and the input checks of every Connect module.

Runs against the fake Connect REST server of test_connect_connector.py, which records every
request, so the tests count what reached the server: one read for an unchanged list, only the
differing connectors written, nothing at all when the input is refused.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time

import pytest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), *[".."] * 3, "output", "collections"))

# the fake server, its fixture and the autouse capture of module results are shared
from test_connect_connector import (  # noqa: E402,F401  pylint: disable=unused-import
    SECRET,
    SOURCE_CONFIG,
    FakeConnect,
    capture_result,
    connect,
    run,
    secret_config,
)

from ansible_collections.streamops.eventhub_connect.plugins.modules import (  # noqa: E402
    connect_connector,
    connect_connector_info,
    connect_connectors,
    connect_ready,
)

PLACEHOLDER = "${dir:/opt/kafka/external-configuration/connector-secrets:postgres-password}"


def source(topic: str = "lines") -> dict:
    return dict(SOURCE_CONFIG, topic=topic)


def bulk(connect: FakeConnect, connectors: list, check: bool = False, diff: bool = False, **args) -> dict:
    return run(connect_connectors, dict({"url": connect.url, "connectors": connectors, "timeout": 5}, **args),
               check=check, diff=diff)


def fifty() -> list:
    return [{"name": "c%02d" % index, "config": source("t%02d" % index)} for index in range(50)]


def test_an_unchanged_list_costs_one_read(connect):
    first = bulk(connect, fifty())
    assert first["changed"] is True and len(connect.writes()) == 50
    assert sorted(connect.connectors) == ["c%02d" % index for index in range(50)]
    connect.requests.clear()
    again = bulk(connect, fifty(), wait=True)
    assert again["changed"] is False
    assert connect.requests == ["GET /connectors?expand=status&expand=info"]
    assert again["requests"] == 1
    assert [entry["changed"] for entry in again["connectors"]] == [False] * 50


def test_only_the_differing_connectors_are_written(connect):
    bulk(connect, fifty())
    wanted = fifty()
    wanted[7]["config"] = source("moved")
    wanted[9]["state"] = "paused"
    connect.requests.clear()
    result = bulk(connect, wanted, diff=True)
    assert sorted(connect.writes()) == ["PUT /connectors/c07/config", "PUT /connectors/c09/pause"]
    assert [entry["name"] for entry in result["connectors"] if entry["changed"]] == ["c07", "c09"]
    assert result["connectors"][7]["changed_keys"] == ["topic"]
    assert sorted(result["diff"]["after"]) == ["c07", "c09"]
    assert result["diff"]["before"]["c07"]["config"]["topic"] == "t07"
    assert result["diff"]["after"]["c09"]["state"] == "PAUSED"


def test_writes_run_concurrently_and_bounded(connect):
    active = {"now": 0, "max": 0}
    lock = threading.Lock()
    handle = connect.handle

    def slow_handle(method, raw_path, body):
        if method == "GET":
            return handle(method, raw_path, body)
        with lock:
            active["now"] += 1
            active["max"] = max(active["max"], active["now"])
        time.sleep(0.2)
        with lock:
            active["now"] -= 1
        return handle(method, raw_path, body)

    connect.handle = slow_handle
    bulk(connect, fifty()[:12], max_workers=4)
    # more than one write at a time, never more than max_workers
    assert active["max"] == 4


def test_check_mode_validates_and_writes_nothing(connect):
    connect.add("c00", source("t00"))
    wanted = [{"name": "c00", "config": source("other")}, {"name": "new", "config": source("x")}]
    result = bulk(connect, wanted, check=True, diff=True)
    assert result["changed"] is True and connect.writes() == []
    assert sorted(connect.validations()) == [
        "PUT /connector-plugins/org.apache.kafka.connect.file.FileStreamSourceConnector/config/validate"] * 2
    assert connect.connectors["c00"]["config"]["topic"] == "t00" and "new" not in connect.connectors

    invalid = dict(source())
    del invalid["topic"]
    failed = bulk(connect, [{"name": "new", "config": invalid}], check=True)
    assert failed["failed"] is True and 'Missing required configuration "topic"' in failed["msg"]
    assert failed["connectors"][0]["failed"] is True


def test_prune_deletes_only_the_unlisted(connect):
    connect.add("keep", source())
    connect.add("stray", source())
    result = bulk(connect, [{"name": "keep", "config": source()}], prune=True)
    assert result["pruned"] == ["stray"] and sorted(connect.connectors) == ["keep"]
    assert connect.writes() == ["DELETE /connectors/stray"]
    assert [entry["name"] for entry in result["connectors"]] == ["keep"]


def test_absent_and_run_state_only_entries(connect):
    connect.add("gone", source())
    connect.add("run", source(), state="PAUSED")
    result = bulk(connect, [{"name": "gone", "state": "absent"}, {"name": "run"}, {"name": "missing", "state": "absent"}])
    assert sorted(connect.writes()) == ["DELETE /connectors/gone", "PUT /connectors/run/resume"]
    assert [entry["changed"] for entry in result["connectors"]] == [True, True, False]


def test_failed_tasks_are_restarted_and_reported_one_line_each(connect):
    connect.add("broken", source(), task_state="FAILED")
    connect.connectors["broken"]["trace"] = ("org.apache.kafka.connect.errors.ConnectException: boom\n\tat x.y(Z.java:1)\n"
                                             "Caused by: java.nio.file.NoSuchFileException: /data/in.txt\n\tat a.b")
    connect.add("fine", source())
    result = bulk(connect, [{"name": "broken", "config": source()}, {"name": "fine", "config": source()}],
                  restart_failed=True)
    assert result["restarted"] == ["broken"]
    assert connect.writes() == ["POST /connectors/broken/restart?includeTasks=true&onlyFailed=true"]
    assert result["failures"] == [
        "connector broken task 0 FAILED on 198.18.0.2:8083: org.apache.kafka.connect.errors.ConnectException: boom"
        " | Caused by: java.nio.file.NoSuchFileException: /data/in.txt"]
    assert connect.connectors["broken"]["task_state"] == "RUNNING"
    # opted out per connector: reported, not restarted
    connect.connectors["broken"]["task_state"] = "FAILED"
    connect.requests.clear()
    kept = bulk(connect, [{"name": "broken", "config": source(), "restart_failed": False}], restart_failed=True)
    assert kept["restarted"] == [] and connect.writes() == [] and len(kept["failures"]) == 1


def test_one_failing_connector_does_not_stop_the_others(connect):
    wanted = [{"name": "good", "config": source()}, {"name": "bad", "config": {"tasks.max": 1}}]
    result = bulk(connect, wanted)
    assert result["failed"] is True and "1 of 2 connector(s) failed: bad: PUT /connectors/bad/config answered HTTP 400" in result["msg"]
    assert "good" in connect.connectors
    assert [entry["failed"] for entry in result["connectors"]] == [False, True]


# --- secrets -------------------------------------------------------------------------------------

def test_a_literal_secret_is_refused_before_any_request(connect):
    result = bulk(connect, [{"name": "pg", "config": secret_config(SECRET)}])
    assert result["failed"] is True
    assert "connectors[0].config of connector 'pg' holds a literal secret under database.password" in result["msg"]
    assert "allow_literal_secrets" in result["msg"] and SECRET not in json.dumps(result)
    assert connect.requests == []
    single = run(connect_connector, {"url": connect.url, "name": "pg", "config": secret_config(SECRET)})
    assert single["failed"] is True and "literal secret under database.password" in single["msg"]
    assert connect.requests == []


def test_a_password_inside_a_url_is_refused_masked_and_allowed_on_request(connect):
    config = dict(source(), **{"connection.url": "jdbc:postgresql://app:%s@db:5432/inventory" % SECRET})
    refused = bulk(connect, [{"name": "jdbc", "config": config}])
    assert refused["failed"] is True and "literal secret under connection.url" in refused["msg"]
    assert connect.requests == []
    allowed = bulk(connect, [{"name": "jdbc", "config": config, "allow_literal_secrets": True}], diff=True)
    assert allowed["changed"] is True
    assert allowed["connectors"][0]["config"]["connection.url"] == "jdbc:postgresql://app:********@db:5432/inventory"
    assert SECRET not in json.dumps(allowed)
    single = run(connect_connector, {"url": connect.url, "name": "jdbc", "config": config, "allow_literal_secrets": True},
                 diff=True)
    assert single["changed"] is False
    assert single["config"]["connection.url"] == "jdbc:postgresql://app:********@db:5432/inventory"
    assert SECRET not in json.dumps(single)


def test_placeholders_are_accepted_and_stay_idempotent(connect):
    # Connect answers GET with the placeholder, never with the resolved value
    config = secret_config(PLACEHOLDER)
    first = bulk(connect, [{"name": "pg", "config": config}])
    assert first["changed"] is True
    assert connect.connectors["pg"]["config"]["database.password"] == PLACEHOLDER
    again = bulk(connect, [{"name": "pg", "config": config}])
    assert again["changed"] is False and again["requests"] == 1
    single = run(connect_connector, {"url": connect.url, "name": "pg", "config": config})
    assert single["changed"] is False
    assert single["config"]["database.password"] == "********"


# --- input checks of every Connect module -----------------------------------------------------------

@pytest.mark.parametrize("module, args, expected", [
    (connect_connectors, {"url": "connect:8083"}, "url 'connect:8083' is not an http:// or https:// URL"),
    (connect_connector, {"url": "connect.example.com", "name": "x", "state": "absent"}, "is not an http:// or https://"),
    (connect_connector_info, {"url": "ftp://connect"}, "is not an http:// or https://"),
    (connect_ready, {"url": "127.0.0.1:8083"}, "is not an http:// or https://"),
    (connect_connectors, {"connectors": [{"name": ""}]}, "connectors[0].name is empty"),
    (connect_connectors, {"connectors": [{"name": "a/b", "state": "absent"}]}, "connectors[0].name 'a/b' contains '/'"),
    (connect_connectors, {"connectors": [{"name": "a", "state": "absent"}, {"name": "a", "state": "absent"}]},
     "names a connector more than once: a"),
    (connect_connector, {"name": " ", "state": "absent"}, "name is empty"),
    (connect_connector, {"name": "x/y", "state": "absent"}, "contains '/'"),
    (connect_connector_info, {"names": ["ok", ""]}, "names[1] is empty"),
    (connect_connector, {"name": "x", "state": "absent", "timeout": -1}, "timeout is -1; it must be 0 or more"),
    (connect_connector, {"name": "x", "state": "absent", "request_timeout": 0}, "request_timeout is 0; it must be more than 0"),
    (connect_connectors, {"ready_timeout": -5}, "ready_timeout is -5"),
    (connect_connectors, {"max_workers": 0}, "max_workers is 0"),
    (connect_connector_info, {"request_timeout": -2}, "request_timeout is -2"),
    (connect_ready, {"interval": 0}, "interval is 0; it must be more than 0"),
    (connect_ready, {"interval": -1}, "interval is -1"),
    (connect_ready, {"max_interval": 0}, "max_interval is 0"),
    (connect_ready, {"timeout": -3}, "timeout is -3"),
    (connect_connectors, {"connectors": [{"name": "a", "state": "present"}]}, "has state present but no config"),
    (connect_connectors, {"connectors": [{"name": "a", "config": {"x": {"y": 1}}}]}, "is a mapping"),
    # the rollout wait's options, shared by connect_ready and connect_connectors
    (connect_connectors, {"workload": "kafka-connect"}, "workload 'kafka-connect' needs namespace"),
    (connect_connectors, {"namespace": "kc", "workload": " "}, "workload is empty"),
    (connect_connectors, {"namespace": "kc", "workload": "kc", "workload_kind": "DaemonSet"}, "workload_kind"),
    (connect_connectors, {"namespace": "kc", "workload": "kc", "poll_interval": 0}, "poll_interval is 0"),
    (connect_ready, {"poll_interval": -1}, "poll_interval is -1; it must be more than 0"),
])
def test_bad_input_is_refused_before_any_request(connect, module, args, expected):
    args = dict({"url": connect.url, "timeout": 5}, **args)
    result = run(module, args)
    assert result["failed"] is True
    assert expected in result["msg"], result["msg"]
    assert connect.requests == []
    assert "Traceback" not in result["msg"]


def test_a_connector_to_create_stopped_on_a_worker_before_kafka_3_7_fails_alone(connect):
    """KIP-980: an older worker would start it; the others of the list are still written."""
    connect.version = "3.6.1"
    result = bulk(connect, [{"name": "held", "config": source("held"), "state": "stopped"},
                            {"name": "free", "config": source("free")}])
    held = [entry for entry in result["connectors"] if entry["name"] == "held"][0]
    assert held["failed"] is True and "KIP-980" in held["msg"] and "3.6.1" in held["msg"]
    assert held["operations"] == []
    assert sorted(connect.connectors) == ["free"]
    assert connect.writes() == ["PUT /connectors/free/config"]


def test_the_workers_version_is_read_only_when_a_connector_is_created_paused_or_stopped(connect):
    connect.version = "4.3.0"
    bulk(connect, [{"name": "free", "config": source("free")}])
    assert "GET /" not in connect.requests
    bulk(connect, [{"name": "held", "config": source("held"), "state": "paused"}])
    assert connect.requests.count("GET /") == 1
    assert connect.connectors["held"]["state"] == "PAUSED"
