# SPDX-License-Identifier: GPL-3.0-or-later
"""The connectors role against real Kafka Connect workers on the testbed.

Deploys two Connect workers with the kafka_connect role in a namespace of its own, applies a
FileStreamSource connector with the connectors role through ansible-playbook, and reads every
outcome back from Connect through the API server's service proxy, independently of the modules.
"""
from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COLLECTIONS = REPO / "tests" / "output" / "collections"
TESTBED_STATE = Path(os.environ.get("TESTBED_STATE") or REPO / "tests" / "output" / "testbed")
TESTBED_ENV = TESTBED_STATE / "testbed.env"
SECRET = "it-secret-" + uuid.uuid4().hex
CONNECTOR = "file-source"
PLACEHOLDER = "${dir:/opt/kafka/external-configuration/connector-secrets:api-password}"

pytestmark = [
    pytest.mark.testbed,
    pytest.mark.skipif(not TESTBED_ENV.exists(), reason="testbed not running: %s is absent (make testbed-up)" % TESTBED_ENV),
]


def read_env_file(path: Path) -> Dict[str, str]:
    env = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            env[key.strip()] = value.strip().strip('"').strip("'")
    return env


class LiveTestbed:
    """The testbed's env, a way to run plays against it, and a direct line to the service proxy."""

    def __init__(self, env: Dict[str, str], workdir: Path) -> None:
        self.env = env
        self.workdir = workdir
        self.host = env["K8S_AUTH_HOST"].rstrip("/")
        self.context = ssl.create_default_context(cafile=env.get("K8S_AUTH_SSL_CA_CERT"))

    def playbook(self, play: Dict[str, Any], *args: str) -> Tuple[int, Dict[str, Any], str]:
        """Run one play on localhost with the JSON callback; return rc, the JSON document and raw output."""
        play = dict({"hosts": "localhost", "connection": "local", "gather_facts": False,
                     "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"}}, **play)
        path = self.workdir / ("play-%s.yml" % uuid.uuid4().hex[:8])
        path.write_text(yaml.safe_dump([play], sort_keys=False), encoding="utf-8")
        env = dict(os.environ)
        env.update(self.env)
        env.update({
            "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS),
            "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_LOCALHOST_WARNING": "False",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False",
        })
        command = [str(Path(sys.executable).with_name("ansible-playbook")), "-i", "localhost,", str(path), *args]
        started = time.monotonic()
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900, check=False)
        # shown with pytest -s: what a user waits for per run
        print("%-28s %-18s %6.1f s" % (play["name"], " ".join(args) or "-", time.monotonic() - started))
        output = done.stdout + done.stderr
        try:
            document = json.loads(done.stdout)
        except ValueError:
            pytest.fail("ansible-playbook did not print JSON:\n%s" % output[-4000:])
        return done.returncode, document, output

    def proxy(self, namespace: str, path: str) -> Tuple[int, Any]:
        """GET a Connect path through the API server's service proxy, without the collection's code."""
        url = "%s/api/v1/namespaces/%s/services/kafka-connect:8083/proxy%s" % (self.host, namespace, path)
        request = urllib.request.Request(url, headers={"Authorization": "Bearer " + self.env["K8S_AUTH_API_KEY"],
                                                       "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, context=self.context, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as err:
            body = err.read()
            try:
                return err.code, json.loads(body)
            except ValueError:
                return err.code, body.decode(errors="replace")

    def delete_namespace(self, namespace: str) -> None:
        url = "%s/api/v1/namespaces/%s" % (self.host, namespace)
        request = urllib.request.Request(url, method="DELETE",
                                         headers={"Authorization": "Bearer " + self.env["K8S_AUTH_API_KEY"]})
        try:
            urllib.request.urlopen(request, context=self.context, timeout=30).close()
        except urllib.error.HTTPError as err:
            if err.code != 404:
                raise


def task_results(document: Dict[str, Any], name: str) -> List[Dict[str, Any]]:
    """The localhost results of every task with this name (loop items flattened)."""
    results = []
    for play in document["plays"]:
        for task in play["tasks"]:
            # tasks of an included role are named "role : task"
            if task["task"]["name"].split(" : ")[-1] == name and "localhost" in task["hosts"]:
                result = task["hosts"]["localhost"]
                results.extend(result.get("results") or [result])
    return results


def failures(document: Dict[str, Any]) -> str:
    """The failed tasks and their messages, to read when a play did not pass."""
    lines = []
    for play in document["plays"]:
        for task in play["tasks"]:
            result = task["hosts"].get("localhost", {})
            for item in result.get("results") or [result]:
                if item.get("failed") and not item.get("ignore_errors"):
                    lines.append("%s: %s" % (task["task"]["name"], item.get("msg")))
    return "\n".join(lines) or json.dumps(document["stats"])


APPLY_TASK = "Apply connectors_list"


def applied(document: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The per-connector results of the role's one connect_connectors call."""
    results = task_results(document, APPLY_TASK)
    assert len(results) == 1, results
    return results[0]["connectors"]


def changed_count(document: Dict[str, Any]) -> int:
    return document["stats"]["localhost"]["changed"]


def changed_tasks(document: Dict[str, Any]) -> List[str]:
    return [task["task"]["name"] for play in document["plays"] for task in play["tasks"]
            if task["hosts"].get("localhost", {}).get("changed")]


def connect_play(namespace: str) -> Dict[str, Any]:
    return {
        "name": "Two Kafka Connect workers",
        "tasks": [{"name": "kafka_connect", "ansible.builtin.include_role": {"name": "streamops.eventhub_connect.kafka_connect"}}],
        "vars": {
            "ansible_python_interpreter": "{{ ansible_playbook_python }}",
            "kafka_connect_namespace": namespace,
            "kafka_connect_replicas": 2,
            "kafka_connect_image_pull_policy": "IfNotPresent",
            "kafka_connect_bootstrap_servers": "{{ lookup('ansible.builtin.env', 'KAFKA_BOOTSTRAP_PODS') }}",
            "kafka_connect_sasl_password": "{{ lookup('ansible.builtin.env', 'KAFKA_TESTBED_CONNECTION_STRING') }}",
            # a group and internal topics of its own, so no other run shares this cluster's state
            "kafka_connect_group_id": namespace,
            "kafka_connect_config_storage_topic": namespace + "-configs",
            "kafka_connect_offset_storage_topic": namespace + "-offsets",
            "kafka_connect_status_storage_topic": namespace + "-status",
            "kafka_connect_pod_annotations": {"testbed.streamops.io/connect-worker": "true"},
            "kafka_connect_rollout_timeout": 420,
            "kafka_connect_ready_timeout": 300,
        },
    }


def connectors_play(namespace: str, connectors: List[Dict[str, Any]], prune: bool = False) -> Dict[str, Any]:
    return {
        "name": "Connectors (%d)" % len(connectors),
        "tasks": [{"name": "connectors", "ansible.builtin.include_role": {"name": "streamops.eventhub_connect.connectors"}}],
        "vars": {
            "ansible_python_interpreter": "{{ ansible_playbook_python }}",
            "connectors_namespace": namespace,
            "connectors_service": "kafka-connect",
            "connectors_wait": True,
            "connectors_prune": prune,
            "connectors_list": connectors,
        },
    }


def file_source(topic: str, state: Optional[str] = None) -> Dict[str, Any]:
    entry = {
        "name": CONNECTOR,
        "config": {
            "connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
            "tasks.max": 1,
            # a file that never appears: the task stays RUNNING without producing to Kafka
            "file": "/nonexistent/streamops-it/input.txt",
            "topic": topic,
            "batch.size": 100,
            # Connect keeps keys it does not know; this one must never show up in Ansible's output
            "testbed.api.token": SECRET,
            # Connect answers GET with a placeholder as written, so it compares equal on every run
            "testbed.api.password": PLACEHOLDER,
        },
        # the literal token above is on purpose: it checks the masking
        "allow_literal_secrets": True,
    }
    if state:
        entry["state"] = state
    return entry


@pytest.fixture(scope="module")
def testbed(tmp_path_factory: pytest.TempPathFactory) -> LiveTestbed:
    if not (COLLECTIONS / "ansible_collections" / "streamops" / "eventhub_connect").exists():
        pytest.fail("the collection link is missing: run `make setup` first")
    return LiveTestbed(read_env_file(TESTBED_ENV), tmp_path_factory.mktemp("connectors"))


@pytest.fixture(scope="module")
def connect_namespace(testbed: LiveTestbed) -> Iterator[str]:
    """Two Connect workers deployed by the kafka_connect role in a namespace of their own."""
    namespace = "it-conn-" + uuid.uuid4().hex[:8]
    try:
        rc, document, output = testbed.playbook(connect_play(namespace))
        assert rc == 0, failures(document)
        status, names = testbed.proxy(namespace, "/connectors")
        assert (status, names) == (200, []), names
        yield namespace
    finally:
        testbed.delete_namespace(namespace)


def test_connector_lifecycle_on_two_real_workers(testbed: LiveTestbed, connect_namespace: str) -> None:
    namespace = connect_namespace
    # create, with the task RUNNING on one of the two workers
    rc, document, output = testbed.playbook(connectors_play(namespace, [file_source("lines")]), "--diff")
    assert rc == 0, failures(document)
    assert SECRET not in output
    results = applied(document)
    assert [(r["name"], r["changed"]) for r in results] == [(CONNECTOR, True)]
    assert results[0]["config"]["testbed.api.token"] == "********"
    status, config = testbed.proxy(namespace, "/connectors/%s/config" % CONNECTOR)
    assert status == 200
    assert config["topic"] == "lines" and config["tasks.max"] == "1" and config["name"] == CONNECTOR
    assert config["testbed.api.token"] == SECRET  # Connect got the real value
    assert config["testbed.api.password"] == PLACEHOLDER
    status, connector_status = testbed.proxy(namespace, "/connectors/%s/status" % CONNECTOR)
    assert connector_status["connector"]["state"] == "RUNNING"
    assert [task["state"] for task in connector_status["tasks"]] == ["RUNNING"]
    assert connector_status["tasks"][0]["worker_id"].startswith("198.18.")

    # the same list again changes nothing, in one request
    rc, document, output = testbed.playbook(connectors_play(namespace, [file_source("lines")]))
    assert rc == 0, failures(document)
    assert changed_count(document) == 0, changed_tasks(document)
    assert task_results(document, APPLY_TASK)[0]["requests"] == 1

    # a literal secret without the opt-out is refused before any write
    literal = file_source("lines-v3")
    del literal["allow_literal_secrets"]
    rc, document, output = testbed.playbook(connectors_play(namespace, [literal]))
    assert rc != 0
    assert "literal secret under testbed.api.token" in task_results(document, APPLY_TASK)[0]["msg"]
    assert SECRET not in output
    assert testbed.proxy(namespace, "/connectors/%s/config" % CONNECTOR)[1]["topic"] == "lines"

    # check mode reports the change and Connect keeps the old value
    rc, document, output = testbed.playbook(connectors_play(namespace, [file_source("lines-v2")]), "--check", "--diff")
    assert rc == 0, failures(document)
    predicted = applied(document)[0]
    assert predicted["changed"] is True and predicted["changed_keys"] == ["topic"]
    assert testbed.proxy(namespace, "/connectors/%s/config" % CONNECTOR)[1]["topic"] == "lines"

    # a config Connect refuses: check mode fails as the real run does, and nothing changes
    invalid = file_source("lines-v2")
    del invalid["config"]["topic"]
    for extra in (("--check",), ()):
        rc, document, output = testbed.playbook(connectors_play(namespace, [invalid]), *extra)
        assert rc != 0, extra
        refused = task_results(document, APPLY_TASK)[0]
        assert refused["failed"] is True and 'Missing required configuration "topic"' in refused["msg"], refused
        assert refused["connectors"][0]["failed"] is True
        assert SECRET not in output
    assert testbed.proxy(namespace, "/connectors/%s/config" % CONNECTOR)[1]["topic"] == "lines"

    # a changed setting is written and read back
    rc, document, output = testbed.playbook(connectors_play(namespace, [file_source("lines-v2")]))
    assert rc == 0, failures(document)
    assert applied(document)[0]["changed"] is True
    assert testbed.proxy(namespace, "/connectors/%s/config" % CONNECTOR)[1]["topic"] == "lines-v2"

    # paused, then once more paused: one pause, then nothing
    rc, document, output = testbed.playbook(connectors_play(namespace, [file_source("lines-v2", "paused")]))
    assert rc == 0, failures(document)
    assert applied(document)[0]["operations"] == [
        "PUT /connectors/%s/pause" % CONNECTOR]
    assert testbed.proxy(namespace, "/connectors/%s/status" % CONNECTOR)[1]["connector"]["state"] == "PAUSED"
    rc, document, output = testbed.playbook(connectors_play(namespace, [file_source("lines-v2", "paused")]))
    assert rc == 0, failures(document)
    assert changed_count(document) == 0, changed_tasks(document)

    # absent: gone from Connect
    rc, document, output = testbed.playbook(connectors_play(namespace, [{"name": CONNECTOR, "state": "absent"}]))
    assert rc == 0, failures(document)
    assert applied(document)[0]["changed"] is True
    assert testbed.proxy(namespace, "/connectors/%s/config" % CONNECTOR)[0] == 404
    assert testbed.proxy(namespace, "/connectors")[1] == []


def test_prune_removes_only_unlisted_connectors(testbed: LiveTestbed, connect_namespace: str) -> None:
    namespace = connect_namespace
    two = [file_source("a"), dict(file_source("b"), name="stray")]
    rc, document, output = testbed.playbook(connectors_play(namespace, two))
    assert rc == 0, failures(document)
    assert sorted(testbed.proxy(namespace, "/connectors")[1]) == [CONNECTOR, "stray"]

    rc, document, output = testbed.playbook(connectors_play(namespace, [file_source("a")], prune=True))
    assert rc == 0, failures(document)
    result = task_results(document, APPLY_TASK)[0]
    assert result["pruned"] == ["stray"] and result["changed"] is True
    assert testbed.proxy(namespace, "/connectors")[1] == [CONNECTOR]
