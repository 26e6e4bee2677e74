# SPDX-License-Identifier: GPL-3.0-or-later
"""connect_ready's rollout wait against the testbed's real API server, for the kinds a Connect cluster runs as.

The happy path (a Deployment of real workers) is what every role test on the testbed waits through; here,
what a user sees when the workload is missing, or rolled out (KWOK runs its pods, without a worker) but
without its Service, for a Deployment and a StatefulSet; and that connect_connectors, given the workload
(as site.yml does), waits the same way and writes nothing until the wait is over.
"""
from __future__ import annotations

import json
import urllib.request
import uuid
from typing import Any, Dict, Iterator

import pytest

# the module-scoped `testbed` fixture: the testbed's env and a way to run plays against it
from test_connectors_testbed import TESTBED_ENV, LiveTestbed, task_results, testbed  # noqa: F401  pylint: disable=unused-import

pytestmark = [
    pytest.mark.testbed,
    pytest.mark.skipif(not TESTBED_ENV.exists(), reason="testbed not running: %s is absent (make testbed-up)" % TESTBED_ENV),
]

LABELS = {"app.kubernetes.io/name": "ready-it"}


def api(testbed: LiveTestbed, method: str, path: str, body: Any = None) -> Dict[str, Any]:
    request = urllib.request.Request(testbed.host + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": "Bearer " + testbed.env["K8S_AUTH_API_KEY"],
                                              "Content-Type": "application/json"})
    with urllib.request.urlopen(request, context=testbed.context, timeout=30) as response:
        return json.loads(response.read())


def workload(kind: str, name: str) -> Dict[str, Any]:
    spec: Dict[str, Any] = {
        "replicas": 1, "selector": {"matchLabels": LABELS},
        "template": {"metadata": {"labels": LABELS}, "spec": {"containers": [{"name": "c", "image": "not-run:1"}]}},
    }
    if kind == "StatefulSet":
        spec["serviceName"] = name
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name}, "spec": spec}


@pytest.fixture(scope="module")
def namespace(testbed: LiveTestbed) -> Iterator[str]:
    name = "it-ready-" + uuid.uuid4().hex[:8]
    api(testbed, "POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    try:
        api(testbed, "POST", "/apis/apps/v1/namespaces/%s/deployments" % name, workload("Deployment", "kc-deploy"))
        api(testbed, "POST", "/apis/apps/v1/namespaces/%s/statefulsets" % name, workload("StatefulSet", "kc-sts"))
        yield name
    finally:
        testbed.delete_namespace(name)


def wait(testbed: LiveTestbed, namespace: str, module: str = "connect_ready", **options: Any) -> Dict[str, Any]:
    task = {"name": "wait", "streamops.eventhub_connect." + module: dict(
        {"namespace": namespace, "service": "kc", "poll_interval": 0.5}, **options), "ignore_errors": True}
    task["streamops.eventhub_connect." + module].setdefault("ready_timeout" if module == "connect_connectors" else "timeout", 3)
    rc, document, output = testbed.playbook({"name": "connect_ready", "tasks": [task]})
    results = task_results(document, "wait")
    assert len(results) == 1, output[-3000:]
    return results[0]


def test_a_missing_workload_fails_in_time_saying_so(testbed: LiveTestbed, namespace: str) -> None:
    result = wait(testbed, namespace, workload="no-such-connect")
    assert result["failed"]
    assert result["msg"] == ("Deployment %s/no-such-connect was not ready within 3 s: the Deployment does not exist" % namespace)
    assert result["workload_status"] == {} and result["elapsed"] < 6


@pytest.mark.parametrize("kind, name", [("Deployment", "kc-deploy"), ("StatefulSet", "kc-sts")])
def test_a_rolled_out_workload_without_its_service_fails_naming_the_endpoints(
        testbed: LiveTestbed, namespace: str, kind: str, name: str) -> None:
    # KWOK marks these pods Ready (they carry no worker annotation): the rollout is over, the Service missing
    result = wait(testbed, namespace, workload=name, workload_kind=kind)
    assert result["failed"]
    assert result["msg"] == "%s %s/%s was not ready within 3 s: Service kc has 0 ready endpoint(s) of 1" % (
        kind, namespace, name)
    status = result["workload_status"]
    assert status["readyReplicas"] == 1 and status["observedGeneration"] == 1
    if kind == "StatefulSet":
        assert status["currentRevision"] == status["updateRevision"]


def test_connect_connectors_waits_for_the_workload_as_connect_ready_does_before_any_write(
        testbed: LiveTestbed, namespace: str) -> None:
    connector = {"name": "never-written", "config": {
        "connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector", "topic": "t", "file": "/dev/null"}}
    result = wait(testbed, namespace, module="connect_connectors", workload="kc-deploy", connectors=[connector])
    assert result["failed"]
    assert result["msg"] == "Deployment %s/kc-deploy was not ready within 3 s: Service kc has 0 ready endpoint(s) of 1" % (
        namespace,)
    assert result["workload_status"]["readyReplicas"] == 1
    # the wait asked the workload and its EndpointSlices only: no REST request, so nothing was written
    assert "connectors" not in result and result["attempts"] == 0
