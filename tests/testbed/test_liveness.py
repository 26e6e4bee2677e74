# SPDX-License-Identifier: GPL-3.0-or-later
"""The pod runner's liveness and startup probers, restart back-off and container status follow the kubelet.

No testbed needed: probes run against a local HTTP server, and against a socket that accepts
connections but never answers, as a SIGSTOPped worker does. test_pod_runner.py shows the same
rules on the testbed with a real worker.
"""
from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pod_runner import (Liveness, Probe, Startup, Worker, container_status_patch, pod_liveness,  # noqa: E402
                        restart_delay, rfc3339)
from test_readiness import Answers, worker_port  # noqa: E402,F401  pylint: disable=unused-import


@pytest.fixture()
def hung_port() -> Iterator[int]:
    """A port whose connections are accepted by the kernel and never answered."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield server.getsockname()[1]
    server.close()


def test_liveness_kills_after_failure_threshold_consecutive_failures(worker_port: int) -> None:
    liveness = Liveness(Probe("/connectors", worker_port, initial_delay=60, period=5, timeout=1,
                              failure_threshold=3), started=0.0)
    Answers.status = 500
    assert liveness.update(59.0, "127.0.0.1") is False  # initialDelaySeconds not over: not even probed
    assert liveness.failures == 0
    assert [liveness.update(t, "127.0.0.1") for t in (60.0, 65.0)] == [False, False]
    Answers.status = 200  # one success resets the count
    assert liveness.update(70.0, "127.0.0.1") is False and liveness.failures == 0
    Answers.status = 404
    assert [liveness.update(t, "127.0.0.1") for t in (75.0, 77.0, 80.0, 85.0)] == [False, False, False, True]


def test_a_hung_worker_fails_by_timeout(hung_port: int) -> None:
    liveness = Liveness(Probe("/connectors", hung_port, timeout=0.3, failure_threshold=1), started=0.0)
    assert liveness.update(0.0, "127.0.0.1") is True


def test_startup_probe_gates_and_kills_a_worker_that_never_starts(worker_port: int) -> None:
    startup = Startup(Probe("/connectors", worker_port, period=2, failure_threshold=2), started=0.0)
    Answers.status = 404
    assert startup.update(0.0, "127.0.0.1") is False and not startup.done
    assert startup.update(2.0, "127.0.0.1") is True
    Answers.status = 200
    started = Startup(Probe("/connectors", worker_port, period=2, failure_threshold=2), started=0.0)
    assert started.update(0.0, "127.0.0.1") is False and started.done
    assert Startup(None).update(0.0, "127.0.0.1") is False


def test_grace_period_from_the_probe_then_the_pod_then_30s() -> None:
    probe = {"httpGet": {"path": "/", "port": 8083}}
    container = {"name": "c", "livenessProbe": dict(probe)}
    pod = {"metadata": {}, "spec": {"containers": [container]}}
    assert pod_liveness(pod)[2] == 30.0
    pod["spec"]["terminationGracePeriodSeconds"] = 3
    assert pod_liveness(pod)[2] == 3.0
    container["livenessProbe"]["terminationGracePeriodSeconds"] = 1
    assert pod_liveness(pod)[2] == 1.0


def test_restart_back_off_is_the_kubelets() -> None:
    assert [restart_delay(n) for n in range(1, 8)] == [0.0, 10.0, 20.0, 40.0, 80.0, 160.0, 300.0]


def test_container_status_reports_restart_count_state_and_last_state() -> None:
    terminated = {"exitCode": 137, "reason": "Error", "startedAt": rfc3339(0), "finishedAt": rfc3339(5)}
    patch = container_status_patch("kafka-connect", 1, terminated, {"running": {"startedAt": rfc3339(6)}}, False)
    status = patch["status"]["containerStatuses"][0]
    assert status["restartCount"] == 1 and status["started"] is True and status["ready"] is False
    assert status["state"] == {"running": {"startedAt": "1970-01-01T00:00:06Z"}, "waiting": None, "terminated": None}
    assert status["lastState"] == {"terminated": terminated}
    assert [c["status"] for c in patch["status"]["conditions"]] == ["False", "False"]
    assert rfc3339(1.5, ms=True) == "1970-01-01T00:00:01.500Z"


def test_exit_code_of_a_killed_worker_is_137_while_other_threads_poll_it() -> None:
    process = subprocess.Popen(["sleep", "30"])  # pylint: disable=consider-using-with
    worker = Worker("n", "p", "u", "198.18.0.9", process.pid, "http://198.18.0.9:8083", process)
    stop = threading.Event()

    def keep_polling() -> None:
        while not stop.is_set():
            process.poll()

    pollers = [threading.Thread(target=keep_polling), threading.Thread(target=keep_polling)]
    for poller in pollers:
        poller.start()
    process.send_signal(signal.SIGKILL)
    try:
        assert worker.exit_code() == 137
    finally:
        stop.set()
        for poller in pollers:
            poller.join()
