# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks that the testbed's Kubernetes control plane behaves like a real cluster.

Runs against a testbed brought up by `python3 tests/testbed/kube.py up`; skipped
only when its environment file is absent. The checks talk to the API with the
standard library so they run with or without the project's virtualenv.
"""

from __future__ import annotations

import ipaddress
import json
import os
import ssl
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
POD_NETWORK = ipaddress.ip_network("198.18.0.0/16")
HOSTNAME_KEY = "kubernetes.io/hostname"
WAIT_SECONDS = 60.0


def env_file() -> Path:
    state = Path(os.environ.get("TESTBED_STATE") or "tests/output/testbed")
    return (state if state.is_absolute() else REPO_ROOT / state) / "kube.env"


def read_env(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs}


class ApiError(Exception):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"HTTP {status}: {body}")
        self.status = status


class Cluster:
    """JSON over HTTPS with the admin token, configured exactly as AWX would be."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.host = env["K8S_AUTH_HOST"]
        self.token = env["K8S_AUTH_API_KEY"]
        self.context = ssl.create_default_context(cafile=env["K8S_AUTH_SSL_CA_CERT"])

    def request(self, method: str, path: str, body: Any = None,
                content_type: str = "application/json") -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.host + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(request, timeout=15, context=self.context) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            raise ApiError(error.code, error.read().decode(errors="replace")) from None

    def get(self, path: str) -> Any:
        return self.request("GET", path)

    def post(self, path: str, body: Any) -> Any:
        return self.request("POST", path, body)

    def merge_patch(self, path: str, body: Any) -> Any:
        return self.request("PATCH", path, body, "application/merge-patch+json")

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)


@pytest.fixture(scope="module")
def cluster() -> Cluster:
    path = env_file()
    if not path.is_file():
        pytest.skip(f"testbed is not up ({path} is absent)")
    return Cluster(read_env(path))


@pytest.fixture
def namespace(cluster: Cluster) -> Iterator[str]:
    name = f"testbed-{uuid.uuid4().hex[:8]}"
    cluster.post("/api/v1/namespaces", {"metadata": {"name": name}})
    try:
        yield name
    finally:
        try:
            cluster.delete(f"/api/v1/namespaces/{name}")
        except ApiError as error:
            if error.status != 404:
                raise


def wait_for(check: Callable[[], Any], what: str, timeout: float = WAIT_SECONDS) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.5)


def spread_deployment(name: str, replicas: int) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [{
                        "name": "worker",
                        # kwok never pulls images; the name only has to be valid.
                        "image": "registry.invalid/testbed/worker:1",
                        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
                    }],
                    "affinity": {"podAntiAffinity": {
                        "requiredDuringSchedulingIgnoredDuringExecution": [{
                            "labelSelector": {"matchLabels": labels},
                            "topologyKey": HOSTNAME_KEY,
                        }],
                    }},
                },
            },
        },
    }


def list_pods(cluster: Cluster, namespace: str, app: str) -> list[dict[str, Any]]:
    return cluster.get(f"/api/v1/namespaces/{namespace}/pods?labelSelector=app%3D{app}")["items"]


def running_pods(cluster: Cluster, namespace: str, app: str, count: int) -> list[Any] | None:
    pods = [pod for pod in list_pods(cluster, namespace, app)
            if pod["status"].get("phase") == "Running" and pod["status"].get("podIP")]
    return pods if len(pods) >= count else None


def is_unschedulable(pod: dict[str, Any]) -> bool:
    conditions = pod["status"].get("conditions", [])
    return pod["status"].get("phase") == "Pending" and any(
        c["type"] == "PodScheduled" and c.get("reason") == "Unschedulable" for c in conditions
    )


def test_server_version(cluster: Cluster) -> None:
    version = cluster.get("/version")
    assert version["gitVersion"].startswith("v1.36."), version


def test_three_ready_nodes_in_three_zones(cluster: Cluster) -> None:
    nodes = cluster.get("/api/v1/nodes?labelSelector=type%3Dkwok")["items"]
    zones = {}
    for node in nodes:
        name = node["metadata"]["name"]
        ready = [c for c in node["status"].get("conditions", []) if c["type"] == "Ready"]
        assert ready and ready[0]["status"] == "True", f"{name} is not Ready"
        assert not node["spec"].get("taints"), f"{name} is tainted"
        zones[node["metadata"]["labels"]["topology.kubernetes.io/zone"]] = name
    assert sorted(zones) == ["a", "b", "c"]


def test_anti_affinity_spreads_and_fourth_replica_stays_pending(
    cluster: Cluster, namespace: str
) -> None:
    app = "spread"
    deployments = f"/apis/apps/v1/namespaces/{namespace}/deployments"
    cluster.post(deployments, spread_deployment(app, 3))

    pods = wait_for(lambda: running_pods(cluster, namespace, app, 3), "3 running pods")
    assert len({pod["spec"]["nodeName"] for pod in pods}) == 3
    for pod in pods:
        assert ipaddress.ip_address(pod["status"]["podIP"]) in POD_NETWORK, pod["status"]

    cluster.merge_patch(f"{deployments}/{app}/scale", {"spec": {"replicas": 4}})
    pending = wait_for(
        lambda: next((p for p in list_pods(cluster, namespace, app) if is_unschedulable(p)), None),
        "an unschedulable fourth pod",
    )
    assert not pending["spec"].get("nodeName")
    assert len(running_pods(cluster, namespace, app, 3) or []) == 3


def test_kubernetes_client_accepts_the_awx_environment(cluster: Cluster) -> None:
    # kubernetes.core modules read these same K8S_AUTH_* values through this client.
    kubernetes = pytest.importorskip("kubernetes")
    config = kubernetes.client.Configuration()
    config.host = cluster.env["K8S_AUTH_HOST"]
    config.api_key = {"BearerToken": cluster.env["K8S_AUTH_API_KEY"]}
    config.api_key_prefix = {"BearerToken": "Bearer"}
    config.verify_ssl = cluster.env["K8S_AUTH_VERIFY_SSL"] == "True"
    config.ssl_ca_cert = cluster.env["K8S_AUTH_SSL_CA_CERT"]
    with kubernetes.client.ApiClient(config) as api:
        names = [n.metadata.name for n in kubernetes.client.CoreV1Api(api).list_node().items]
    assert {"testbed-a", "testbed-b", "testbed-c"} <= set(names)

    kubeconfig = kubernetes.config.new_client_from_config(cluster.env["KUBECONFIG"])
    assert kubernetes.client.VersionApi(kubeconfig).get_code().git_version.startswith("v1.36.")
