# SPDX-License-Identifier: GPL-3.0-or-later
"""connect_ready against a local HTTP server that refuses, answers 503/404, then 200, or never gets ready."""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

# `make setup` links the checkout as ansible_collections/streamops/eventhub_connect here
sys.path.insert(0, os.path.join(os.path.dirname(__file__), *[".."] * 3, "output", "collections"))

from ansible.module_utils import basic  # noqa: E402
from ansible.module_utils.testing import patch_module_args  # noqa: E402

from ansible_collections.streamops.eventhub_connect.plugins.modules import connect_ready  # noqa: E402

ROOT_ANSWER = {"version": "4.3.1", "commit": "abc123", "kafka_cluster_id": "cluster-1"}


class ModuleExit(Exception):
    def __init__(self, failed: bool, result: dict) -> None:
        super().__init__(result.get("msg", ""))
        self.failed = failed
        self.result = result


@pytest.fixture(autouse=True)
def capture_exit(monkeypatch):
    def exit_json(self, **kwargs):
        raise ModuleExit(False, kwargs)

    def fail_json(self, msg, **kwargs):
        kwargs["msg"] = msg
        raise ModuleExit(True, kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)


def run_module(args: dict) -> ModuleExit:
    with patch_module_args(args):
        with pytest.raises(ModuleExit) as exc:
            connect_ready.main()
    return exc.value


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ScriptedConnect:
    """A fake Connect worker: answers the scripted statuses on the polled path, then 200 forever."""

    def __init__(self, script, port=None, start_after=0.0, credentials=None):
        self.script = list(script)
        self.port = port or free_port()
        self.credentials = credentials
        self.requests = []
        self.ready_at = None
        self.server = None
        self._lock = threading.Lock()
        self._starter = threading.Timer(start_after, self._serve)

    @property
    def url(self) -> str:
        return "http://127.0.0.1:{0}".format(self.port)

    def _serve(self):
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                owner.requests.append((self.path, self.headers.get("Authorization")))
                status, body = owner.answer(self.path, self.headers.get("Authorization"))
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, path, authorization):
        if self.credentials and authorization != self.credentials:
            return 401, {"error_code": 401, "message": "Unauthorized"}
        if path == "/":
            return 200, ROOT_ANSWER
        with self._lock:
            if self.script:
                status = self.script.pop(0)
                return status, {"error_code": status, "message": "not yet"}
            if self.ready_at is None:
                self.ready_at = time.monotonic()
        return 200, ["pg-source", "jdbc-sink"]

    def __enter__(self):
        self._starter.start()
        return self

    def __exit__(self, *exc):
        self._starter.cancel()
        if self.server:
            self.server.shutdown()
            self.server.server_close()


def test_refused_then_503_404_then_200():
    with ScriptedConnect([503, 404, 503], start_after=0.6) as connect:
        outcome = run_module({"url": connect.url, "timeout": 20, "interval": 0.2, "max_interval": 0.5})
    result = outcome.result
    assert not outcome.failed, result
    assert result["changed"] is False
    assert result["status"] == 200
    assert result["connectors"] == ["jdbc-sink", "pg-source"]
    assert result["version"] == "4.3.1"
    assert result["kafka_cluster_id"] == "cluster-1"
    polled = [path for path, _auth in connect.requests if path == "/connectors"]
    # the three scripted answers and the 200, after at least one refused attempt
    assert len(polled) == 4
    assert result["attempts"] > len(polled)
    assert 0.6 <= result["elapsed"] < 10


def test_never_ready_fails_in_time_and_says_why():
    with ScriptedConnect([503] * 10000) as connect:
        started = time.monotonic()
        outcome = run_module({"url": connect.url, "timeout": 2, "interval": 0.2, "max_interval": 0.4})
        took = time.monotonic() - started
    result = outcome.result
    assert outcome.failed
    assert 2.0 <= took < 3.0
    assert result["status"] == 503
    assert "not yet" in result["body"]
    assert "did not answer 200 on GET /connectors within 2 s" in result["msg"]
    assert "last answer: HTTP 503" in result["msg"]
    assert result["attempts"] >= 4


def test_refused_forever_reports_the_transport_error():
    url = "http://127.0.0.1:{0}".format(free_port())
    started = time.monotonic()
    outcome = run_module({"url": url, "timeout": 1, "interval": 0.1, "max_interval": 0.2})
    took = time.monotonic() - started
    assert outcome.failed
    assert 1.0 <= took < 2.0
    assert outcome.result["status"] is None
    assert "last error" in outcome.result["msg"]
    assert "refused" in outcome.result["msg"].lower()


def test_health_path_and_custom_status():
    with ScriptedConnect([]) as connect:
        time.sleep(0.2)
        outcome = run_module({"url": connect.url, "path": "/health", "status_code": [200, 204], "timeout": 5})
    assert not outcome.failed, outcome.result
    assert outcome.result["attempts"] == 1
    # /connectors is read separately when another path was polled
    assert [path for path, _auth in connect.requests] == ["/health", "/", "/connectors"]
    assert outcome.result["connectors"] == ["jdbc-sink", "pg-source"]


def test_basic_auth_is_sent_and_password_not_returned():
    # "admin:s3cret" in base64
    with ScriptedConnect([], credentials="Basic YWRtaW46czNjcmV0") as connect:
        time.sleep(0.2)
        outcome = run_module(
            {"url": connect.url, "url_username": "admin", "url_password": "s3cret", "timeout": 5}
        )
    assert not outcome.failed, outcome.result
    assert "s3cret" not in json.dumps(outcome.result)
    assert all(auth == "Basic YWRtaW46czNjcmV0" for _path, auth in connect.requests)


def test_wrong_basic_auth_fails_with_401():
    with ScriptedConnect([], credentials="Basic YWRtaW46czNjcmV0") as connect:
        time.sleep(0.2)
        outcome = run_module(
            {"url": connect.url, "url_username": "admin", "url_password": "wrong", "timeout": 1, "interval": 0.2}
        )
    assert outcome.failed
    assert outcome.result["status"] == 401


def test_check_mode_polls_the_same_way():
    with ScriptedConnect([503]) as connect:
        time.sleep(0.2)
        outcome = run_module({"url": connect.url, "timeout": 5, "interval": 0.1, "_ansible_check_mode": True})
    assert not outcome.failed, outcome.result
    assert outcome.result["changed"] is False
    assert outcome.result["attempts"] == 2


def test_url_and_service_are_exclusive():
    outcome = run_module({"url": "http://127.0.0.1:1", "service": "kafka-connect", "namespace": "ns"})
    assert outcome.failed
    assert "mutually exclusive" in outcome.result["msg"]


def test_service_needs_namespace():
    outcome = run_module({"service": "kafka-connect"})
    assert outcome.failed
    assert "namespace" in outcome.result["msg"]


def test_workload_needs_namespace_and_is_refused_before_any_request():
    result = run_module({"url": "http://127.0.0.1:1", "workload": "kafka-connect"})
    assert result.failed
    assert "workload 'kafka-connect' needs namespace" in result.result["msg"]


def test_workload_kind_is_one_of_deployment_and_statefulset():
    result = run_module({"url": "http://127.0.0.1:1", "namespace": "kc", "workload": "kc", "workload_kind": "DaemonSet"})
    assert result.failed
    assert "workload_kind" in result.result["msg"]


def test_an_empty_workload_is_refused():
    result = run_module({"url": "http://127.0.0.1:1", "namespace": "kc", "workload": " "})
    assert result.failed
    assert result.result["msg"] == "workload is empty"
