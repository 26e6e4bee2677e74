# SPDX-License-Identifier: GPL-3.0-or-later
"""A real Kafka Connect worker on a Listen+Send rule of a namespace, as on Event Hubs: it runs when its three
internal topics were created beforehand as compacted event hubs, and fails with a clear error when it would
have to create them itself.

Workers run on the host against the broker's LOCAL listener (the pod runner's tests cover the pod path).
Needs the testbed's double and broker; skipped without them.
"""
from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

import kafka as testbed_kafka
from test_namespace_broker import Namespace, arm, double, kafka_env, namespace_factory  # noqa: F401  pylint: disable=unused-import

START_SECONDS = 240.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def worker_properties(namespace: Namespace, connection_string: str, prefix: str, port: int) -> str:
    jaas = ("org.apache.kafka.common.security.plain.PlainLoginModule required "
            f'username="$ConnectionString" password="{connection_string}";')
    settings = {
        "bootstrap.servers": namespace.bootstrap,
        "group.id": f"{prefix}-connect",
        "config.storage.topic": f"{prefix}-configs",
        "offset.storage.topic": f"{prefix}-offsets",
        "status.storage.topic": f"{prefix}-status",
        "config.storage.replication.factor": "1",
        "offset.storage.replication.factor": "1",
        "status.storage.replication.factor": "1",
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "listeners": f"http://127.0.0.1:{port}",
        "rest.advertised.host.name": "127.0.0.1",
        "plugin.path": str(testbed_kafka.Artifacts().plugin_path),
    }
    for client in ("", "producer.", "consumer.", "admin."):
        settings.update({f"{client}security.protocol": "SASL_SSL", f"{client}sasl.mechanism": "PLAIN",
                         f"{client}sasl.jaas.config": jaas})
    return "".join(f"{key}={value}\n" for key, value in settings.items())


class Worker:
    def __init__(self, folder: Path, properties: str, port: int, kafka_env: dict[str, str]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        config = folder / "worker.properties"
        config.write_text(properties, encoding="utf-8")
        config.chmod(0o600)
        self.url = f"http://127.0.0.1:{port}"
        self.log = folder / "worker.log"
        artifacts = testbed_kafka.Artifacts()
        command = ["java", "-Xms128m", "-Xmx320m", f"-Djavax.net.ssl.trustStore={kafka_env['KAFKA_TRUSTSTORE']}",
                   f"-Djavax.net.ssl.trustStoreType={kafka_env['KAFKA_TRUSTSTORE_TYPE']}",
                   f"-Djavax.net.ssl.trustStorePassword={kafka_env['KAFKA_TRUSTSTORE_PASSWORD']}",
                   "-cp", str(artifacts.worker_lib / "*"), "org.apache.kafka.connect.cli.ConnectDistributed", str(config)]
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)

    def get(self, path: str) -> tuple[int, Any]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=5) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, None
        except OSError:
            return 0, None

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Callable[..., Worker]]:
    started: list[Worker] = []

    def start(name: str, namespace: Namespace, connection_string: str, prefix: str) -> Worker:
        port = free_port()
        worker = Worker(tmp_path / name, worker_properties(namespace, connection_string, prefix, port), port,
                        namespace.kafka_env)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def until(check: Callable[[], Any], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(2)
    return check()


def test_a_listen_send_worker_runs_on_precreated_hubs_and_fails_clearly_without(
        namespace_factory: Callable[..., Namespace], workers: Callable[..., Worker]) -> None:  # noqa: F811
    namespace = namespace_factory()
    ready = "ready"
    for suffix in ("configs", "offsets", "status"):
        namespace.hub(f"{ready}-{suffix}", partitions=1, policy="Compact", hours=None)
    connection_string = namespace.rule("connect", "Listen", "Send")
    started = time.monotonic()
    # Both start at once: each JVM costs ~40 CPU-seconds.
    good = workers("good", namespace, connection_string, ready)
    bad = workers("bad", namespace, connection_string, "missing")

    status, root = until(lambda: good.get("/") if good.get("/connectors")[0] == 200 else None, START_SECONDS) or (0, None)
    assert status == 200, f"the worker on pre-created hubs did not start:\n{good.log_text()[-4000:]}"
    print(f"\nListen+Send worker answered after {time.monotonic() - started:.0f} s")
    assert root["kafka_cluster_id"]
    assert good.get("/connectors") == (200, [])

    refused = until(lambda: "TopicAuthorizationException" in bad.log_text(), START_SECONDS)
    assert refused, f"no authorization error in the log of the worker without hubs:\n{bad.log_text()[-4000:]}"
    assert "Not authorized to access topics: [missing-" in bad.log_text()
    assert bad.get("/connectors")[0] != 200
    assert "missing" not in " ".join(namespace.hub_names())
