# SPDX-License-Identifier: GPL-3.0-or-later
"""connect_connector and connect_connector_info against a fake Connect REST server in a thread.

The fake keeps connectors the way Connect does (configs as strings with `name` added, a run state,
one task each), answers 409 on demand like a rebalancing worker, and records every request, so the
tests check the comparison, the state machine, check mode and secret redaction by what reached
the server and what the module printed. It keeps offsets as KIP-875 does: read at any time, written
(PATCH, DELETE) only while the connector is STOPPED without tasks, otherwise refused with Connect's 400.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

# `make setup` links the checkout as ansible_collections/streamops/eventhub_connect here
sys.path.insert(0, os.path.join(os.path.dirname(__file__), *[".."] * 3, "output", "collections"))

from ansible.module_utils import basic  # noqa: E402
from ansible.module_utils.testing import patch_module_args  # noqa: E402

from ansible_collections.streamops.eventhub_connect.plugins.modules import (  # noqa: E402
    connect_connector,
    connect_connector_info,
)

SECRET = "s3cr3t-Pa55word"
SOURCE_CONFIG = {
    "connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
    "tasks.max": 1,
    "file": "/tmp/input.txt",
    "topic": "lines",
}


class ModuleResult(Exception):
    def __init__(self, result: dict) -> None:
        super().__init__(result.get("msg", ""))
        self.result = result
        self.failed = bool(result.get("failed"))


@pytest.fixture(autouse=True)
def capture_result(monkeypatch):
    """Capture what the module would print, after AnsibleModule masked its no_log values."""

    def record(self, result):
        raise ModuleResult(json.loads(json.dumps(result, default=str)))

    monkeypatch.setattr(basic.AnsibleModule, "_record_module_result", record)


NOT_STOPPED = ("Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the "
               "specified connector by issuing a 'PUT' request to the '/connectors/{0}/stop' endpoint")
ALTERED = ("The Connect framework-managed offsets for this connector have been altered successfully. However, if this "
           "connector manages offsets externally, they will need to be manually altered in the system that the connector uses.")
RESET = ("The Connect framework-managed offsets for this connector have been reset successfully. However, if this "
         "connector manages offsets externally, they will need to be manually reset in the system that the connector uses.")


def offset_key(partition: dict) -> str:
    return json.dumps(partition, sort_keys=True)


class FakeConnect:
    """Connectors in memory behind the Kafka Connect REST paths the modules use."""

    def __init__(self) -> None:
        # name -> {"config": {...}, "state": str, "task_state": str, "offsets": {partition key: entry}}
        self.connectors = {}
        self.requests = []
        self.conflicts = 0  # the next N requests answer 409, as during a rebalance
        # after PUT .../stop, the next N offset writes still see the connector's tasks (the leader removes them later)
        self.stop_lag = 0
        # after PUT .../stop, the next N status reads still show the old state
        self.status_lag = 0
        # answers, by "METHOD action", that replace the next one of that kind: (status, payload)
        self.failures = {}
        # offsets outlive their connector, as in Connect: a connector created again under its name finds them
        self.orphaned_offsets = {}
        self.version = None  # what GET / answers as the workers' Kafka version; None: GET / is not served
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return "http://127.0.0.1:{0}".format(self.server.server_address[1])

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add(self, name: str, config: dict, state: str = "RUNNING", task_state: str = None, offsets: list = None) -> None:
        stored = dict((key, str(value)) for key, value in config.items())
        stored["name"] = name
        kept = self.connectors[name]["offsets"] if name in self.connectors else self.orphaned_offsets.pop(name, {})
        self.connectors[name] = {"config": stored, "state": state, "task_state": task_state or state, "offsets": kept,
                                 "pending_tasks": 0, "stale_status": 0}
        for entry in offsets or []:
            kept[offset_key(entry["partition"])] = entry

    def offsets(self, name: str) -> list:
        return sorted(self.connectors[name]["offsets"].values(), key=lambda entry: offset_key(entry["partition"]))

    @staticmethod
    def kind(config: dict) -> str:
        return "sink" if config.get("connector.class", "").endswith(("SinkConnector", "Sink")) else "source"

    def check_offsets(self, config: dict, offsets: list):
        """What the worker answers for offsets it refuses: Connect's own checks and FileStreamSource's."""
        for entry in offsets:
            if not isinstance(entry.get("partition"), dict):
                return "Partition objects cannot be null"
            offset = entry.get("offset")
            if offset is None:
                continue
            if "FileStreamSource" in config.get("connector.class", ""):
                if "position" not in offset:
                    return "Offset objects should either be null or contain the key 'position'"
                if isinstance(offset["position"], bool) or not isinstance(offset["position"], int):
                    return "The value for the 'position' key in the offset is expected to be a Long value"
                if "filename" not in entry["partition"]:
                    return "Partition objects should contain the key 'filename'"
        return None

    def writes(self) -> list:
        """Requests that change something: not reads, not validation."""
        return [request for request in self.requests
                if not request.startswith("GET ") and not request.endswith("/config/validate")]

    def validations(self) -> list:
        return [request for request in self.requests if request.endswith("/config/validate")]

    @staticmethod
    def validate(body: dict) -> dict:
        """Connect's answer to PUT /connector-plugins/CLASS/config/validate, for the keys it requires."""
        configs = []
        for key in ("connector.class", "topic", "tasks.max"):
            errors = [] if body.get(key) else ['Missing required configuration "{0}" which has no default value.'.format(key)]
            configs.append({"definition": {"name": key}, "value": {"name": key, "value": body.get(key), "errors": errors}})
        return {"name": body.get("connector.class"), "error_count": sum(len(c["value"]["errors"]) for c in configs),
                "groups": ["Common"], "configs": configs}

    def status(self, name: str) -> dict:
        entry = self.connectors[name]
        task = {"id": 0, "state": entry["task_state"], "worker_id": "198.18.0.2:8083"}
        if entry["task_state"] == "FAILED":
            task["trace"] = entry.get("trace", "org.apache.kafka.connect.errors.ConnectException: file gone\n\tat ...")
        state = entry["state"]
        if entry["stale_status"]:
            entry["stale_status"] -= 1
            state = entry["stale_state"]
        tasks = [] if state == "STOPPED" else [task]
        return {
            "name": name,
            "connector": {"state": state, "worker_id": "198.18.0.1:8083"},
            "tasks": tasks,
            "type": self.kind(entry["config"]),
        }

    def offsets_call(self, method: str, name: str, body) -> tuple:
        entry = self.connectors[name]
        if method == "GET":
            return 200, {"offsets": self.offsets(name)}
        if method == "PATCH" and not (body or {}).get("offsets"):
            return 400, {"error_code": 400, "message": "Partitions / offsets need to be provided for an alter offsets request"}
        if entry["state"] != "STOPPED" or entry["pending_tasks"]:
            entry["pending_tasks"] = max(entry["pending_tasks"] - 1, 0)
            return 400, {"error_code": 400, "message": NOT_STOPPED.format(name)}
        if method == "DELETE":
            entry["offsets"].clear()
            return 200, {"message": RESET}
        refusal = self.check_offsets(entry["config"], body["offsets"])
        if refusal:
            return 400, {"error_code": 400, "message": "Failed to alter offsets for connector {0}: {1}".format(name, refusal)}
        for item in body["offsets"]:
            if item.get("offset") is None:
                entry["offsets"].pop(offset_key(item["partition"]), None)
            else:
                entry["offsets"][offset_key(item["partition"])] = {"partition": item["partition"], "offset": item["offset"]}
        return 200, {"message": ALTERED}

    def handle(self, method: str, raw_path: str, body) -> tuple:
        parts = urlsplit(raw_path)
        segments = [unquote(segment) for segment in parts.path.strip("/").split("/")]
        with self.lock:
            self.requests.append("{0} {1}".format(method, raw_path))
            if self.conflicts:
                self.conflicts -= 1
                return 409, {"error_code": 409, "message": "Cannot complete request because of a conflicting operation (e.g. worker rebalance)"}
            failure = self.failures.pop("{0} {1}".format(method, segments[-1]), None)
            if failure:
                return failure
            if segments == [""] and method == "GET" and self.version:
                return 200, {"version": self.version, "commit": "abc123", "kafka_cluster_id": "cluster-1"}
            if segments == ["connectors"] and method == "GET":
                if "expand" in parse_qs(parts.query):
                    return 200, dict(
                        (name, {"status": self.status(name), "info": {"name": name, "config": entry["config"], "tasks": [], "type": "source"}})
                        for name, entry in self.connectors.items()
                    )
                return 200, sorted(self.connectors)
            if segments == ["connectors"] and method == "POST":
                name = body["name"]
                if name in self.connectors:
                    return 409, {"error_code": 409, "message": "Connector {0} already exists".format(name)}
                self.add(name, body["config"], state=body.get("initial_state", "RUNNING"))
                return 201, {"name": name, "config": self.connectors[name]["config"], "tasks": [], "type": "source"}
            if segments[0] == "connector-plugins" and segments[2:] == ["config", "validate"] and method == "PUT":
                return 200, self.validate(body)
            if len(segments) < 2 or segments[0] != "connectors":
                return 404, {"error_code": 404, "message": "HTTP 404 Not Found"}
            name, action = segments[1], (segments[2] if len(segments) > 2 else None)
            if action == "config" and method == "PUT":
                if "connector.class" not in body:
                    return 400, {"error_code": 400, "message": "Connector config {} contains no connector type"}
                created = name not in self.connectors
                previous = self.connectors.get(name, {"state": "RUNNING"})
                self.add(name, body, state=previous["state"], task_state=previous["state"])
                return (201 if created else 200), {"name": name, "config": self.connectors[name]["config"]}
            if name not in self.connectors:
                return 404, {"error_code": 404, "message": "Connector {0} not found".format(name)}
            entry = self.connectors[name]
            if action is None and method == "GET":
                return 200, {"name": name, "config": entry["config"], "tasks": [] if entry["state"] == "STOPPED" else
                             [{"connector": name, "task": 0}], "type": self.kind(entry["config"])}
            if action == "offsets" and method in ("GET", "PATCH", "DELETE"):
                return self.offsets_call(method, name, body)
            if action == "config" and method == "GET":
                return 200, entry["config"]
            if action == "status" and method == "GET":
                return 200, self.status(name)
            if action in ("pause", "resume", "stop") and method == "PUT":
                if action == "stop" and entry["state"] != "STOPPED":
                    entry["pending_tasks"], entry["stale_status"], entry["stale_state"] = (
                        self.stop_lag, self.status_lag, entry["state"])
                entry["state"] = entry["task_state"] = {"pause": "PAUSED", "resume": "RUNNING", "stop": "STOPPED"}[action]
                return 202, None
            if action == "restart" and method == "POST":
                entry["state"] = entry["task_state"] = "RUNNING"
                return 202, self.status(name)
            if action is None and method == "DELETE":
                self.orphaned_offsets[name] = self.connectors.pop(name)["offsets"]
                return 204, None
            return 405, {"error_code": 405, "message": "HTTP 405 Method Not Allowed"}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                status, payload = fake.handle(method, self.path, body)
                data = b"" if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._serve("GET")

            def do_PUT(self):
                self._serve("PUT")

            def do_POST(self):
                self._serve("POST")

            def do_DELETE(self):
                self._serve("DELETE")

            def do_PATCH(self):
                self._serve("PATCH")

            def log_message(self, *args):
                pass

        return Handler


@pytest.fixture
def connect():
    fake = FakeConnect()
    yield fake
    fake.close()


def run(module, args: dict, check: bool = False, diff: bool = False) -> dict:
    args = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
    with patch_module_args(args):
        with pytest.raises(ModuleResult) as exc:
            module.main()
    return exc.value.result


def apply(connect: FakeConnect, check: bool = False, diff: bool = False, **args) -> dict:
    return run(connect_connector, dict({"url": connect.url, "name": "lines", "timeout": 5}, **args), check=check, diff=diff)


# --- comparison --------------------------------------------------------------------------------

def test_creates_then_reports_no_change(connect):
    first = apply(connect, config=SOURCE_CONFIG)
    assert first["changed"] is True
    assert first["operations"] == ["PUT /connectors/lines/config"]
    assert connect.connectors["lines"]["config"] == {
        "connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
        "tasks.max": "1",
        "file": "/tmp/input.txt",
        "topic": "lines",
        "name": "lines",
    }
    assert first["status"]["connector"]["state"] == "RUNNING"
    writes = len(connect.writes())

    second = apply(connect, config=SOURCE_CONFIG)
    assert second["changed"] is False
    assert second["operations"] == []
    assert len(connect.writes()) == writes


def test_values_compare_as_connect_stores_them(connect):
    connect.add("lines", {"connector.class": "X", "tasks.max": "2", "errors.tolerance": "all",
                          "errors.log.enable": "true", "topics": "a,b"})
    result = apply(connect, config={"connector.class": "X", "tasks.max": 2, "errors.tolerance": "all",
                                    "errors.log.enable": True, "topics": ["a", "b"], "unset.key": None})
    assert result["changed"] is False, result
    assert connect.writes() == []


def test_changed_setting_is_written_with_a_diff(connect):
    connect.add("lines", dict(SOURCE_CONFIG, **{"batch.size": 100}))
    result = apply(connect, config=dict(SOURCE_CONFIG, topic="other"), diff=True)
    assert result["changed"] is True
    assert result["changed_keys"] == ["batch.size", "topic"]
    assert connect.connectors["lines"]["config"]["topic"] == "other"
    assert "batch.size" not in connect.connectors["lines"]["config"]  # PUT replaces the whole config
    assert result["diff"]["before"]["config"]["topic"] == "lines"
    assert result["diff"]["after"]["config"]["topic"] == "other"
    assert "batch.size" not in result["diff"]["after"]["config"]


def test_name_in_config_must_match(connect):
    result = apply(connect, config=dict(SOURCE_CONFIG, name="another"))
    assert result["failed"] is True
    assert "another" in result["msg"]
    assert connect.writes() == []


def test_mapping_values_are_refused(connect):
    result = apply(connect, config=dict(SOURCE_CONFIG, transforms={"a": 1}))
    assert result["failed"] is True
    assert "transforms" in result["msg"]


def test_connect_refusal_is_reported_with_its_message(connect):
    result = apply(connect, config={"tasks.max": 1})
    assert result["failed"] is True
    assert "HTTP 400" in result["msg"] and "contains no connector type" in result["msg"]


# --- check mode --------------------------------------------------------------------------------

def test_check_mode_create_changes_nothing(connect):
    result = apply(connect, config=SOURCE_CONFIG, check=True, diff=True)
    assert result["changed"] is True
    assert result["operations"] == ["PUT /connectors/lines/config"]
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["config"]["tasks.max"] == "1"
    assert connect.connectors == {}
    assert connect.writes() == []


def test_check_mode_update_and_delete_change_nothing(connect):
    connect.add("lines", SOURCE_CONFIG)
    assert apply(connect, config=dict(SOURCE_CONFIG, topic="x"), check=True)["changed"] is True
    assert apply(connect, state="paused", check=True)["changed"] is True
    assert apply(connect, state="absent", check=True)["changed"] is True
    assert connect.writes() == []
    assert connect.connectors["lines"]["config"]["topic"] == "lines"
    assert connect.connectors["lines"]["state"] == "RUNNING"
    # the config that would be written was validated; a run-state change or a delete needs none
    assert connect.validations() == [
        "PUT /connector-plugins/org.apache.kafka.connect.file.FileStreamSourceConnector/config/validate"]


def test_check_mode_fails_like_the_run_on_a_config_connect_refuses(connect):
    invalid = dict(SOURCE_CONFIG, topic=None)
    result = apply(connect, config=invalid, check=True)
    assert result["failed"] is True
    assert result["msg"] == ('Connect would refuse the config of connector lines (1 error(s)): topic: '
                             'Missing required configuration "topic" which has no default value.')
    assert connect.writes() == []
    connect.add("lines", SOURCE_CONFIG)
    assert apply(connect, config=SOURCE_CONFIG, check=True)["changed"] is False
    assert len(connect.validations()) == 1  # an unchanged config is not validated again


# --- run states --------------------------------------------------------------------------------

def test_pause_resume_stop_only_when_needed(connect):
    connect.add("lines", SOURCE_CONFIG)
    assert apply(connect, config=SOURCE_CONFIG, state="paused")["operations"] == ["PUT /connectors/lines/pause"]
    assert connect.connectors["lines"]["state"] == "PAUSED"
    assert apply(connect, config=SOURCE_CONFIG, state="paused")["changed"] is False
    # present leaves the run state alone
    assert apply(connect, config=SOURCE_CONFIG, state="present")["changed"] is False
    assert connect.connectors["lines"]["state"] == "PAUSED"
    assert apply(connect, config=SOURCE_CONFIG, state="running")["operations"] == ["PUT /connectors/lines/resume"]
    assert apply(connect, config=SOURCE_CONFIG, state="running")["changed"] is False
    assert apply(connect, state="stopped")["operations"] == ["PUT /connectors/lines/stop"]
    assert connect.connectors["lines"]["state"] == "STOPPED"
    assert apply(connect, state="stopped")["changed"] is False
    result = apply(connect, state="running")
    assert result["operations"] == ["PUT /connectors/lines/resume"]
    assert result["status"]["connector"]["state"] == "RUNNING"


def test_new_connector_is_created_in_its_run_state(connect):
    result = apply(connect, config=SOURCE_CONFIG, state="stopped")
    assert result["operations"] == ["POST /connectors"]
    assert connect.connectors["lines"]["state"] == "STOPPED"
    assert connect.connectors["lines"]["config"]["name"] == "lines"


def test_creating_a_connector_stopped_is_refused_on_a_worker_before_kafka_3_7(connect):
    connect.version = "3.6.2"
    result = apply(connect, config=SOURCE_CONFIG, state="stopped")
    assert result["failed"] is True
    assert "KIP-980" in result["msg"] and "Kafka 3.7 or later" in result["msg"] and "3.6.2" in result["msg"]
    assert connect.writes() == [] and connect.connectors == {}
    assert "GET /" in connect.requests


def test_creating_a_connector_paused_asks_the_workers_version_first(connect):
    connect.version = "3.7.0"
    result = apply(connect, config=SOURCE_CONFIG, state="paused")
    assert result["operations"] == ["POST /connectors"]
    assert connect.requests.index("GET /") < connect.requests.index("POST /connectors")
    assert connect.connectors["lines"]["state"] == "PAUSED"


def test_config_change_keeps_a_paused_connector_paused(connect):
    connect.add("lines", SOURCE_CONFIG, state="PAUSED")
    result = apply(connect, config=dict(SOURCE_CONFIG, topic="x"), state="paused")
    assert result["operations"] == ["PUT /connectors/lines/config"]
    assert connect.connectors["lines"]["state"] == "PAUSED"


def test_run_state_of_a_missing_connector_needs_a_config(connect):
    result = apply(connect, state="paused")
    assert result["failed"] is True
    assert "config is required" in result["msg"]


def test_present_needs_a_config(connect):
    result = apply(connect)
    assert result["failed"] is True
    assert "config" in result["msg"]


def test_restart_failed_restarts_only_failures(connect):
    connect.add("lines", SOURCE_CONFIG, task_state="FAILED")
    assert apply(connect, config=SOURCE_CONFIG)["changed"] is False  # not asked
    result = apply(connect, config=SOURCE_CONFIG, restart_failed=True)
    assert result["operations"] == ["POST /connectors/lines/restart?includeTasks=true&onlyFailed=true"]
    assert connect.connectors["lines"]["task_state"] == "RUNNING"
    assert apply(connect, config=SOURCE_CONFIG, restart_failed=True)["changed"] is False


def test_wait_fails_fast_on_a_failed_task(connect):
    connect.add("lines", SOURCE_CONFIG, task_state="FAILED")
    result = apply(connect, config=SOURCE_CONFIG, state="running", wait=True)
    assert result["failed"] is True
    assert "task 0 FAILED: org.apache.kafka.connect.errors.ConnectException: file gone" in result["msg"]


def test_wait_returns_the_reached_status(connect):
    result = apply(connect, config=SOURCE_CONFIG, state="paused", wait=True)
    assert result["status"]["connector"]["state"] == "PAUSED"
    assert [task["state"] for task in result["status"]["tasks"]] == ["PAUSED"]


def test_absent_deletes_once(connect):
    connect.add("lines", SOURCE_CONFIG)
    result = apply(connect, state="absent", diff=True)
    assert result["operations"] == ["DELETE /connectors/lines"]
    assert result["diff"]["after"] == {}
    assert result["config"] is None
    assert "lines" not in connect.connectors
    assert apply(connect, state="absent")["changed"] is False


# --- retries -----------------------------------------------------------------------------------

def test_rebalance_conflicts_are_retried(connect):
    connect.conflicts = 3
    result = apply(connect, config=SOURCE_CONFIG)
    assert result["changed"] is True
    assert connect.requests[:3] == ["GET /connectors/lines/config"] * 3
    assert "lines" in connect.connectors


def test_endless_conflict_fails_at_the_timeout(connect):
    connect.conflicts = 10 ** 6
    result = apply(connect, config=SOURCE_CONFIG, timeout=1.5)
    assert result["failed"] is True
    assert "HTTP 409" in result["msg"] and "rebalance" in result["msg"]


def test_unreachable_connect_fails_with_the_reason(connect):
    connect.close()
    result = apply(connect, config=SOURCE_CONFIG, timeout=1)
    assert result["failed"] is True
    assert "refused" in result["msg"].lower()


# --- secrets -----------------------------------------------------------------------------------

def secret_config(password: str) -> dict:
    return {
        "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
        "database.hostname": "postgres",
        "database.user": "debezium",
        "database.password": password,
        "tasks.max": 1,
    }


def test_secrets_never_reach_the_output(connect):
    result = apply(connect, config=secret_config(SECRET), diff=True,
                   allow_literal_secrets=True)
    assert result["changed"] is True
    assert connect.connectors["lines"]["config"]["database.password"] == SECRET  # Connect got it
    assert result["config"]["database.password"] == "********"
    assert result["config"]["database.user"] == "debezium"
    assert SECRET not in json.dumps(result)  # neither in config, diff nor invocation.module_args


def test_changed_secret_shows_as_changed_without_values(connect):
    connect.add("lines", secret_config("old-" + SECRET))
    result = apply(connect, config=secret_config(SECRET), diff=True,
                   allow_literal_secrets=True)
    assert result["changed_keys"] == ["database.password"]
    assert result["diff"]["before"]["config"]["database.password"] == "******** (old)"
    assert result["diff"]["after"]["config"]["database.password"] == "******** (new)"
    dumped = json.dumps(result)
    assert SECRET not in dumped


def test_secret_values_are_masked_in_failures_too(connect):
    connect.add("lines", secret_config(SECRET), task_state="FAILED")
    # drivers quote connection settings in their errors
    connect.connectors["lines"]["trace"] = "PSQLException: password authentication failed: {0}".format(SECRET)
    result = apply(connect, config=secret_config(SECRET), state="running", wait=True,
                   allow_literal_secrets=True)
    assert result["failed"] is True
    assert "PSQLException: password authentication failed" in result["msg"]
    assert SECRET not in json.dumps(result)


# --- connect_connector_info --------------------------------------------------------------------

def info(connect: FakeConnect, **args) -> dict:
    return run(connect_connector_info, dict({"url": connect.url}, **args))


def test_info_lists_everything_in_one_call(connect):
    connect.add("lines", SOURCE_CONFIG)
    connect.add("pg", secret_config(SECRET), state="PAUSED")
    connect.add("broken", SOURCE_CONFIG, task_state="FAILED")
    result = info(connect)
    assert connect.requests == ["GET /connectors?expand=status&expand=info"]
    assert result["names"] == ["broken", "lines", "pg"]
    by_name = dict((item["name"], item) for item in result["connectors"])
    assert by_name["pg"]["state"] == "PAUSED"
    assert by_name["pg"]["config"]["database.password"] == "********"
    assert by_name["lines"]["type"] == "source"
    assert by_name["lines"]["tasks"][0]["state"] == "RUNNING"
    assert [item["name"] for item in result["connectors"] if item["failed"]] == ["broken"]
    assert SECRET not in json.dumps(result)


def test_info_filters_by_name_and_shows_secrets_on_request(connect):
    connect.add("lines", SOURCE_CONFIG)
    connect.add("pg", secret_config(SECRET))
    result = info(connect, names=["pg", "missing"], show_secrets=True)
    assert [item["name"] for item in result["connectors"]] == ["pg"]
    assert result["connectors"][0]["config"]["database.password"] == SECRET
    assert result["changed"] is False


def test_info_of_an_empty_cluster(connect):
    result = info(connect)
    assert result["connectors"] == [] and result["names"] == []
