# SPDX-License-Identifier: GPL-3.0-or-later
"""Connector offsets as code against real Kafka Connect workers on the testbed.

Two Connect workers deployed by the kafka_connect role in a namespace of their own run a FileStreamSource
connector over a file of ten fixed-width lines. The connector is created with starting offsets (KIP-980
STOPPED, then PATCH, then resumed), moved back with connect_connector_offsets while it runs (stopped for the
write, resumed after), and reset; after each step the records that follow are read from its topic with a
Kafka consumer, and the offsets and state are read back through the API server's service proxy,
independently of the modules.
"""
from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

# the module-scoped `testbed` fixture, the play helpers and the two-worker play of the connectors tests
from test_connectors_testbed import (  # noqa: F401  pylint: disable=unused-import
    TESTBED_ENV,
    LiveTestbed,
    connect_play,
    failures,
    task_results,
    testbed,
)

pytestmark = [
    pytest.mark.testbed,
    pytest.mark.skipif(not TESTBED_ENV.exists(), reason="testbed not running: %s is absent (make testbed-up)" % TESTBED_ENV),
]

FQCN = "streamops.eventhub_connect."
CONNECTOR = "file-offsets"
LINES = ["line-%03d" % index for index in range(10)]
WIDTH = len(LINES[0]) + 1  # every line and its newline: line n starts at byte n * WIDTH
RECORD_SECONDS = 120.0


def position(line: int) -> int:
    return line * WIDTH


@pytest.fixture(scope="module")
def connect_namespace(testbed: LiveTestbed) -> Iterator[str]:
    """Two Connect workers that commit source offsets every second (the default waits a minute)."""
    namespace = "it-offs-" + uuid.uuid4().hex[:8]
    play = connect_play(namespace)
    play["vars"]["kafka_connect_worker_settings"] = {"offset.flush.interval.ms": 1000}
    try:
        rc, document, output = testbed.playbook(play)
        assert rc == 0, failures(document)
        assert testbed.proxy(namespace, "/connectors") == (200, [])
        yield namespace
    finally:
        testbed.delete_namespace(namespace)


def kafka_config(testbed: LiveTestbed) -> Dict[str, Any]:
    """The testbed's own connection string: a superuser, so the test creates and reads a plain topic."""
    return {"bootstrap.servers": testbed.env["KAFKA_BOOTSTRAP_LOCAL"], "security.protocol": "SASL_SSL",
            "sasl.mechanism": "PLAIN", "sasl.username": "$ConnectionString",
            "sasl.password": testbed.env["KAFKA_TESTBED_CONNECTION_STRING"], "ssl.ca.location": testbed.env["KAFKA_CA_FILE"]}


@pytest.fixture(scope="module")
def topic(testbed: LiveTestbed) -> str:
    """A one-partition topic for the connector: nothing on the broker is auto-created."""
    from confluent_kafka.admin import AdminClient, NewTopic

    name = "it-offsets-" + uuid.uuid4().hex[:8]
    admin = AdminClient(kafka_config(testbed))  # kept: a client collected early cancels its futures
    admin.create_topics([NewTopic(name, 1, 1)], request_timeout=30)[name].result()
    return name


def payload(value: bytes) -> Any:
    """The line a record carries: the workers' JsonConverter wraps it as {"schema": ..., "payload": line}."""
    decoded = json.loads(value)
    return decoded.get("payload") if isinstance(decoded, dict) else decoded


def records(testbed: LiveTestbed, topic: str, count: int) -> List[Any]:
    """The lines of the topic's first `count` records, waiting for them; fails with what came when too few do."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    consumer = Consumer(dict(kafka_config(testbed), **{"group.id": "it-offsets-" + uuid.uuid4().hex[:8],
                                                       "enable.auto.commit": False}))
    seen = []  # type: List[Any]
    try:
        consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
        deadline = time.monotonic() + RECORD_SECONDS
        while len(seen) < count and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                seen.append(payload(message.value()))
    finally:
        consumer.close()
    assert len(seen) >= count, "only %d of %d records within %.0f s: %s" % (len(seen), count, RECORD_SECONDS, seen)
    return seen


def settle(testbed: LiveTestbed, namespace: str, expected: Any) -> List[Dict[str, Any]]:
    """GET .../offsets through the proxy until they are `expected` (the task commits them every second)."""
    deadline = time.monotonic() + RECORD_SECONDS
    answer = None
    while time.monotonic() < deadline:
        status, answer = testbed.proxy(namespace, "/connectors/%s/offsets" % CONNECTOR)
        if status == 200 and answer["offsets"] == expected:
            return answer["offsets"]
        time.sleep(1)
    pytest.fail("offsets of %s are not %s within %.0f s: %s" % (CONNECTOR, expected, RECORD_SECONDS, answer))


def state(testbed: LiveTestbed, namespace: str) -> str:
    return testbed.proxy(namespace, "/connectors/%s/status" % CONNECTOR)[1]["connector"]["state"]


def at(path: Path, offset: int) -> List[Dict[str, Any]]:
    return [{"partition": {"filename": str(path)}, "offset": {"position": offset}}]


def play(namespace: str, name: str, tasks: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {"name": name, "tasks": tasks,
            "module_defaults": {"group/streamops.eventhub_connect.connect": {
                "namespace": namespace, "service": "kafka-connect", "timeout": 180}}}


def offsets_task(**options: Any) -> Dict[str, Any]:
    return {"name": "offsets", FQCN + "connect_connector_offsets": dict({"name": CONNECTOR}, **options)}


def connector_task(path: Path, topic: str, **options: Any) -> Dict[str, Any]:
    config = {"connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector", "tasks.max": 1,
              "file": str(path), "topic": topic}
    return {"name": "connector", FQCN + "connect_connector": dict({"name": CONNECTOR, "config": config}, **options)}


def result(document: Dict[str, Any], name: str) -> Dict[str, Any]:
    found = task_results(document, name)
    assert len(found) == 1, found
    return found[0]


def test_a_file_source_moved_by_its_offsets(testbed: LiveTestbed, connect_namespace: str, topic: str,
                                            tmp_path: Path) -> None:
    namespace = connect_namespace
    # the workers run as root on this machine and read this path as it is
    source = tmp_path / "input.txt"
    source.write_text("".join(line + "\n" for line in LINES), encoding="utf-8")
    end = position(len(LINES))

    # created with starting offsets: STOPPED, offsets written, then resumed, so lines 0-2 are never sent
    rc, document, output = testbed.playbook(play(namespace, "create at line 3", [
        connector_task(source, topic, state="running", wait=True, offsets=at(source, position(3)))]))
    assert rc == 0, failures(document)
    assert result(document, "connector")["operations"] == [
        "POST /connectors", "PATCH /connectors/%s/offsets" % CONNECTOR, "PUT /connectors/%s/resume" % CONNECTOR]
    assert records(testbed, topic, 7) == LINES[3:]
    assert settle(testbed, namespace, at(source, end)) == at(source, end)

    # running: refused without allow_stop, and in check mode nothing moves
    rc, document, output = testbed.playbook(play(namespace, "refused", [offsets_task(offsets=at(source, position(6)))]))
    assert rc != 0
    assert "connector '%s' is RUNNING" % CONNECTOR in result(document, "offsets")["msg"]
    rc, document, output = testbed.playbook(play(namespace, "predicted", [
        offsets_task(offsets=at(source, position(6)), allow_stop=True)]), "--check", "--diff")
    assert rc == 0, failures(document)
    predicted = result(document, "offsets")
    assert predicted["changed"] is True and predicted["offsets"] == at(source, position(6))
    assert settle(testbed, namespace, at(source, end)) == at(source, end)
    assert state(testbed, namespace) == "RUNNING"

    # moved back to line 6 while it runs: stopped for the write, resumed, and lines 6-9 follow again
    rc, document, output = testbed.playbook(play(namespace, "back to line 6", [
        offsets_task(offsets=at(source, position(6)), allow_stop=True)]), "--diff")
    assert rc == 0, failures(document)
    moved = result(document, "offsets")
    assert moved["changed"] is True
    assert moved["operations"] == ["PUT /connectors/%s/stop" % CONNECTOR, "PATCH /connectors/%s/offsets" % CONNECTOR,
                                   "PUT /connectors/%s/resume" % CONNECTOR]
    assert moved["before"] == at(source, end)
    assert moved["connector_state_before"] == "RUNNING" and moved["connector_state_after"] in ("RUNNING", "UNASSIGNED")
    assert records(testbed, topic, 11) == LINES[3:] + LINES[6:]
    assert settle(testbed, namespace, at(source, end)) == at(source, end)
    assert state(testbed, namespace) == "RUNNING"

    # stopped, the same offsets again change nothing, and the _info module reads what Connect holds
    rc, document, output = testbed.playbook(play(namespace, "idempotent", [
        connector_task(source, topic, state="stopped", wait=True),
        offsets_task(offsets=at(source, end)),
        {"name": "info", FQCN + "connect_connector_offsets_info": {"name": CONNECTOR}}]))
    assert rc == 0, failures(document)
    assert result(document, "offsets")["changed"] is False
    assert result(document, "info")["offsets"] == at(source, end)
    assert result(document, "info")["connector_state"] == "STOPPED"

    # reset while STOPPED (no stop needed), then started: the whole file follows once more
    rc, document, output = testbed.playbook(play(namespace, "reset", [offsets_task(state="absent")]))
    assert rc == 0, failures(document)
    assert result(document, "offsets")["operations"] == ["DELETE /connectors/%s/offsets" % CONNECTOR]
    assert testbed.proxy(namespace, "/connectors/%s/offsets" % CONNECTOR) == (200, {"offsets": []})
    assert state(testbed, namespace) == "STOPPED"
    rc, document, output = testbed.playbook(play(namespace, "reset again", [offsets_task(state="absent")]))
    assert rc == 0 and result(document, "offsets")["changed"] is False, failures(document)
    rc, document, output = testbed.playbook(play(namespace, "start", [connector_task(source, topic, state="running",
                                                                                     wait=True)]))
    assert rc == 0, failures(document)
    assert records(testbed, topic, 21) == LINES[3:] + LINES[6:] + LINES
    assert settle(testbed, namespace, at(source, end)) == at(source, end)

    # bad input is refused before any write, naming the field
    rc, document, output = testbed.playbook(play(namespace, "bad position", [
        offsets_task(offsets=at(source, "abc"), allow_stop=True)]))
    assert rc != 0
    assert "offsets[0].offset.position is 'abc'" in result(document, "offsets")["msg"]
    rc, document, output = testbed.playbook(play(namespace, "missing connector", [
        {"name": "offsets", FQCN + "connect_connector_offsets": {"name": "no-such-connector", "state": "absent"}}]))
    assert rc != 0
    assert "connector 'no-such-connector' does not exist on " in result(document, "offsets")["msg"]
    assert state(testbed, namespace) == "RUNNING"
    assert settle(testbed, namespace, at(source, end)) == at(source, end)
