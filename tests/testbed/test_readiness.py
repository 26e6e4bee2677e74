# SPDX-License-Identifier: GPL-3.0-or-later
"""The pod runner's readiness prober follows the kubelet's rules for a readinessProbe.

No testbed needed: the probe is run against a local HTTP server that answers as Connect does
while it starts (connection refused, then 404 before its REST resources exist, then 200).
"""
from __future__ import annotations

import http.server
import sys
import threading
from pathlib import Path
from typing import Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pod_runner import Probe, Readiness, pod_readiness, readiness_patch  # noqa: E402  pylint: disable=wrong-import-position
from worker_env import WorkerEnvError  # noqa: E402  pylint: disable=wrong-import-position

CONTAINER = {
    "name": "kafka-connect",
    "ports": [{"name": "rest", "containerPort": 8083}],
    "readinessProbe": {"httpGet": {"path": "/connectors", "port": "rest"}, "initialDelaySeconds": 40,
                       "periodSeconds": 10, "timeoutSeconds": 5, "failureThreshold": 3},
}


class Answers(http.server.BaseHTTPRequestHandler):
    status = 404

    def do_GET(self) -> None:  # noqa: N802  pylint: disable=invalid-name
        self.send_response(self.status if self.path == "/connectors" else 404)
        self.end_headers()
        self.wfile.write(b"[]")

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture()
def worker_port() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answers)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Answers.status = 404
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_probe_takes_the_pod_spec_and_the_kubelet_defaults() -> None:
    assert Probe.of(CONTAINER) == Probe("/connectors", 8083, 40.0, 10.0, 5.0, 1, 3)
    assert Probe.of({"readinessProbe": {"httpGet": {"port": 8083}}}) == Probe("/", 8083, 0.0, 10.0, 1.0, 1, 3)
    assert Probe.of({"name": "no-probe"}) is None


@pytest.mark.parametrize("container, message", [
    ({"readinessProbe": {"exec": {"command": ["true"]}}}, "httpGet over HTTP only"),
    ({"readinessProbe": {"httpGet": {"port": 8083, "scheme": "HTTPS"}}}, "httpGet over HTTP only"),
    ({"ports": [], "readinessProbe": {"httpGet": {"port": "rest"}}}, "names port 'rest'"),
])
def test_probes_the_testbed_cannot_run_are_refused_by_name(container: dict, message: str) -> None:
    with pytest.raises(WorkerEnvError, match=message):
        Probe.of(container)


def test_ready_only_after_the_delay_and_a_200_then_not_ready_after_three_failures(worker_port: int) -> None:
    probe = Probe("/connectors", worker_port, initial_delay=40, period=10, timeout=2, failure_threshold=3)
    readiness = Readiness(probe, started=0.0)
    Answers.status = 200
    assert readiness.update(39.0, running=True, pod_ip="127.0.0.1") is False  # initialDelaySeconds not over
    assert readiness.update(40.0, running=True, pod_ip="127.0.0.1") is True
    Answers.status = 404  # as Connect answers before its REST resources exist
    assert readiness.update(45.0, running=True, pod_ip="127.0.0.1") is True  # not due before 50 s
    assert [readiness.update(t, running=True, pod_ip="127.0.0.1") for t in (50.0, 60.0, 70.0)] == [True, True, False]
    Answers.status = 200
    assert readiness.update(80.0, running=True, pod_ip="127.0.0.1") is True


def test_a_refused_connection_fails_and_a_stopped_worker_is_not_ready_at_once(worker_port: int) -> None:
    Answers.status = 200
    readiness = Readiness(Probe("/connectors", worker_port, timeout=2), started=0.0)
    assert readiness.update(1.0, running=True, pod_ip="127.0.0.1") is True
    assert readiness.update(2.0, running=False, pod_ip="127.0.0.1") is False
    closed = Readiness(Probe("/connectors", 1, timeout=2), started=0.0)  # nothing listens on port 1
    assert closed.update(1.0, running=True, pod_ip="127.0.0.1") is False


def test_without_a_probe_a_running_worker_is_ready() -> None:
    readiness = Readiness(None, started=0.0)
    assert readiness.update(0.0, running=True, pod_ip="127.0.0.1") is True
    assert readiness.update(1.0, running=False, pod_ip="127.0.0.1") is False


def test_an_adopted_worker_keeps_the_pods_readiness_until_a_probe_says_otherwise(worker_port: int) -> None:
    container = dict(CONTAINER, ports=[{"name": "rest", "containerPort": worker_port}])
    pod = {"metadata": {"annotations": {}}, "spec": {"containers": [container]},
           "status": {"conditions": [{"type": "Ready", "status": "True"}]}}
    name, fresh = pod_readiness(pod)
    assert name == "kafka-connect" and fresh.ready is False
    adopted = pod_readiness(pod, adopted=True)[1]
    Answers.status = 404
    assert adopted.ready is True
    # no initial delay for a worker that was running before: the first probe is due at once
    assert [adopted.update(t, running=True, pod_ip="127.0.0.1") for t in (1.0, 11.0, 21.0)] == [True, True, False]


def test_the_status_patch_sets_both_conditions_and_the_container() -> None:
    patch = readiness_patch("kafka-connect", False)["status"]
    assert [(c["type"], c["status"], c["reason"]) for c in patch["conditions"]] == [
        ("Ready", "False", "ContainersNotReady"), ("ContainersReady", "False", "ContainersNotReady")]
    assert patch["containerStatuses"] == [{"name": "kafka-connect", "ready": False}]
    assert [c["reason"] for c in readiness_patch("kafka-connect", True)["status"]["conditions"]] == [None, None]
