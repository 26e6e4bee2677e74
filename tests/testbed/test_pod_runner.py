# SPDX-License-Identifier: GPL-3.0-or-later
"""The pod runner gives annotated pods real Kafka Connect workers that the API server can reach,
and makes a pod Ready only while its worker answers the pod's readinessProbe.

Runs against the testbed's kube, kafka and pods components (`python tests/testbed/testbed.py up`);
skipped only when `$TESTBED_STATE/kube.env` or `kafka.env` is absent.
"""
from __future__ import annotations

import json
import os
import re
import signal
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, NamedTuple, TypeVar

import pytest

kubernetes = pytest.importorskip("kubernetes")
from kubernetes import client, config  # noqa: E402
from kubernetes.client.rest import ApiException  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
ANNOTATION = "testbed.streamops.io/connect-worker"
READY_SECONDS = 240.0  # 2 cores shared with other JVMs: a worker has taken 170 s to answer
FILE_SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"
T = TypeVar("T")


def state_dir() -> Path:
    state = Path(os.environ.get("TESTBED_STATE") or "tests/output/testbed")
    return state if state.is_absolute() else REPO_ROOT / state


def read_env(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines() if "=" in line)
    return dict(pairs)


@pytest.fixture(scope="module")
def testbed_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for name in ("kube.env", "kafka.env"):
        path = state_dir() / name
        if not path.is_file():
            pytest.skip(f"no testbed: {path} is absent (run `python tests/testbed/testbed.py up`)")
        env.update(read_env(path))
    assert (state_dir() / "pods.env").is_file(), "kube and kafka are up but the pod runner is not: run pod_runner.py up"
    return env


@pytest.fixture(scope="module")
def core(testbed_env: dict[str, str]) -> client.CoreV1Api:
    return client.CoreV1Api(config.new_client_from_config(config_file=testbed_env["KUBECONFIG"]))


@pytest.fixture(scope="module")
def apps(core: client.CoreV1Api) -> client.AppsV1Api:
    return client.AppsV1Api(core.api_client)


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = READY_SECONDS, interval: float = 2.0) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(interval)
    value = probe()
    assert value, f"timed out after {timeout:.0f}s waiting for {what}"
    return value


def http(method: str, url: str, body: Any | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")
    except OSError:
        return 0, None


CREDENTIALS_DIR = "/opt/kafka/external-configuration/kafka-credentials"
CREDENTIALS_FILE = f"{CREDENTIALS_DIR}/kafka.properties"
CONNECTOR_SECRETS_DIR = "/opt/kafka/external-configuration/connector-secrets"


def debezium_worker_env(namespace: str, connection_string: str, topics: str | None = None,
                        bootstrap: str = "testbed.servicebus.windows.net:9093") -> tuple[dict[str, str], dict[str, str]]:
    """ConfigMap data in the Debezium image convention, as Event Hubs wants it, and the credentials Secret's data.

    The JAAS lines reach the worker through the mounted Secret and `${file:...}` placeholders, so the
    image's start script prints placeholders only (it would print admin.sasl.jaas.config in clear).
    """
    topics = topics or namespace
    settings = {
        "BOOTSTRAP_SERVERS": bootstrap,
        "GROUP_ID": f"{namespace}-connect",
        "CONFIG_STORAGE_TOPIC": f"{topics}-configs",
        "OFFSET_STORAGE_TOPIC": f"{topics}-offsets",
        "STATUS_STORAGE_TOPIC": f"{topics}-status",
        "CONNECT_CONFIG_STORAGE_REPLICATION_FACTOR": "1",
        "CONNECT_OFFSET_STORAGE_REPLICATION_FACTOR": "1",
        "CONNECT_STATUS_STORAGE_REPLICATION_FACTOR": "1",
        "CONNECT_OFFSET_STORAGE_PARTITIONS": "1",
        "CONNECT_STATUS_STORAGE_PARTITIONS": "1",
        "CONNECT_OFFSET_FLUSH_INTERVAL_MS": "10000",
        "CONNECT_CONFIG_PROVIDERS": "file,dir",
        "CONNECT_CONFIG_PROVIDERS_FILE_CLASS": "org.apache.kafka.common.config.provider.FileConfigProvider",
        "CONNECT_CONFIG_PROVIDERS_DIR_CLASS": "org.apache.kafka.common.config.provider.DirectoryConfigProvider",
        "HEAP_OPTS": "-Xms128m -Xmx320m",
    }
    jaas = ('org.apache.kafka.common.security.plain.PlainLoginModule required '
            f'username="$ConnectionString" password="{connection_string}";')
    for prefix in ("", "PRODUCER_", "CONSUMER_", "ADMIN_"):
        settings[f"CONNECT_{prefix}SECURITY_PROTOCOL"] = "SASL_SSL"
        settings[f"CONNECT_{prefix}SASL_MECHANISM"] = "PLAIN"
        settings[f"CONNECT_{prefix}SASL_JAAS_CONFIG"] = f"${{file:{CREDENTIALS_FILE}:sasl.jaas.config}}"
    return settings, {"kafka.properties": f"sasl.jaas.config={jaas}\n"}


def worker_container(probes: dict[str, Any] | None = None, extra_mounts: list[dict[str, Any]] | None = None
                     ) -> dict[str, Any]:
    """The Connect container: env from ConfigMap `connect`, credentials from Secret `kafka-credentials`'s volume."""
    return {
        "name": "kafka-connect", "image": "quay.io/debezium/connect:3.6",
        "ports": [{"name": "rest", "containerPort": 8083}],
        "envFrom": [{"configMapRef": {"name": "connect"}}],
        "env": [{"name": "ADVERTISED_HOST_NAME", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}],
        "volumeMounts": [{"name": "kafka-credentials", "mountPath": CREDENTIALS_DIR, "readOnly": True},
                         *(extra_mounts or [])],
        "readinessProbe": {"httpGet": {"path": "/connectors", "port": "rest"}, "periodSeconds": 2,
                           "failureThreshold": 1},
        **(probes or {}),
    }


def create_workers(core: client.CoreV1Api, apps: client.AppsV1Api, namespace: str, settings: dict[str, str],
                   credentials: dict[str, str], replicas: int, container: dict[str, Any],
                   extra_volumes: list[dict[str, Any]] | None = None) -> None:
    """ConfigMap, credentials Secret, a Deployment of annotated worker pods and the Service `connect`."""
    labels = {"app.kubernetes.io/name": "kafka-connect"}
    core.create_namespaced_config_map(namespace, {"metadata": {"name": "connect"}, "data": settings})
    core.create_namespaced_secret(namespace, {"metadata": {"name": "kafka-credentials"}, "stringData": credentials})
    volumes = [{"name": "kafka-credentials", "secret": {"secretName": "kafka-credentials"}}, *(extra_volumes or [])]
    apps.create_namespaced_deployment(namespace, {
        "metadata": {"name": "connect"},
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels}, "template": {
            "metadata": {"labels": labels, "annotations": {ANNOTATION: "true"}},
            "spec": {"terminationGracePeriodSeconds": 2, "containers": [container], "volumes": volumes}}}})
    core.create_namespaced_service(namespace, {"metadata": {"name": "connect"}, "spec": {
        "selector": labels, "ports": [{"name": "rest", "port": 8083, "targetPort": "rest"}]}})


@pytest.fixture(scope="module")
def connect_namespace(core: client.CoreV1Api, apps: client.AppsV1Api, testbed_env: dict[str, str]) -> Iterator[str]:
    namespace = f"podrunner-{uuid.uuid4().hex[:8]}"
    settings, credentials = debezium_worker_env(namespace, testbed_env["KAFKA_TESTBED_CONNECTION_STRING"])
    # The kubelet's rules: no liveness verdict before the startup probe passes (a JVM may take minutes here),
    # then three missed answers in a row, 1 s each, and the worker is killed with a 2 s grace period.
    probes = {"startupProbe": {"httpGet": {"path": "/connectors", "port": "rest"}, "periodSeconds": 2,
                               "failureThreshold": 150},
              "livenessProbe": {"httpGet": {"path": "/connectors", "port": "rest"}, "periodSeconds": 2,
                                "timeoutSeconds": 1, "failureThreshold": 3}}
    core.create_namespace({"metadata": {"name": namespace}})
    try:
        create_workers(core, apps, namespace, settings, credentials, 2, worker_container(probes))
        yield namespace
    finally:
        core.delete_namespace(namespace)


def proxy_connectors(core: client.CoreV1Api, namespace: str) -> list[str] | None:
    """GET /connectors through the API server's service proxy, as connect_ready does."""
    try:
        body = core.connect_get_namespaced_service_proxy_with_path("connect:8083", namespace, "connectors",
                                                                   _preload_content=False)
    except ApiException:
        return None
    return json.loads(body.data) if body.status == 200 else None


def worker_ips(core: client.CoreV1Api, namespace: str) -> dict[str, str]:
    pods = core.list_namespaced_pod(namespace).items
    return {pod.metadata.name: pod.status.pod_ip for pod in pods
            if pod.status.pod_ip and not pod.metadata.deletion_timestamp}


def answering(ip: str) -> bool:
    return http("GET", f"http://{ip}:8083/connectors")[0] == 200


def body_if_ok(url: str) -> Any | None:
    """The JSON body of a 200 answer, else None (refused, 404 while starting, 500/409 while rebalancing)."""
    status, body = http("GET", url)
    return body if status == 200 else None


def two_pod_ips(core: client.CoreV1Api, namespace: str) -> dict[str, str] | None:
    found = worker_ips(core, namespace)
    return found if len(found) == 2 else None


def both_connectors(ip: str) -> list[str] | None:
    listed = body_if_ok(f"http://{ip}:8083/connectors")
    return listed if listed is not None and sorted(listed) == ["lines-a", "lines-b"] else None


def wait_for_workers(core: client.CoreV1Api, namespace: str) -> dict[str, str]:
    """Pod name -> IP of the Deployment's two pods, once both workers answer on their IPs."""
    started = time.monotonic()
    ips = wait_for("two pods with IPs", lambda: two_pod_ips(core, namespace))
    for ip in ips.values():
        wait_for(f"the worker on {ip}", lambda ip=ip: answering(ip))
    print(f"\n{namespace}: both workers answered GET /connectors after {time.monotonic() - started:.0f}s")
    return ips


def put_connector(ip: str, name: str, topic: str) -> dict[str, Any]:
    config_body = {"connector.class": FILE_SOURCE, "tasks.max": "1", "file": "/dev/null", "topic": topic}

    def attempt() -> dict[str, Any] | None:
        status, body = http("PUT", f"http://{ip}:8083/connectors/{name}/config", config_body)
        return body if status in (200, 201) else None  # 409 while the group rebalances

    return wait_for(f"PUT connector {name} via {ip}", attempt, timeout=120)


def worker_record(namespace: str, pod: str) -> dict[str, Any]:
    return json.loads((state_dir() / "pods" / namespace / pod / "worker.json").read_text(encoding="utf-8"))


def process_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


class PodState(NamedTuple):
    ip: str
    ready: bool


def pod_states(core: client.CoreV1Api, namespace: str) -> dict[str, PodState]:
    """Pod name -> IP and Ready condition of the live pods that are Running with an IP."""
    found = {}
    for pod in core.list_namespaced_pod(namespace).items:
        if pod.status.phase == "Running" and pod.status.pod_ip and not pod.metadata.deletion_timestamp:
            ready = any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or [])
            found[pod.metadata.name] = PodState(pod.status.pod_ip, ready)
    return found


def two_running(core: client.CoreV1Api, namespace: str, ready: bool = False) -> dict[str, PodState] | None:
    """Both pods of the Deployment, once Running with IPs (and Ready, if asked)."""
    found = pod_states(core, namespace)
    return found if len(found) == 2 and (not ready or all(pod.ready for pod in found.values())) else None


def ready_endpoints(core: client.CoreV1Api, namespace: str) -> set[str]:
    """The addresses the Service `connect` routes to, from its EndpointSlices."""
    slices = client.DiscoveryV1Api(core.api_client).list_namespaced_endpoint_slice(
        namespace, label_selector="kubernetes.io/service-name=connect").items
    return {address for endpoint_slice in slices for endpoint in endpoint_slice.endpoints or []
            if endpoint.conditions and endpoint.conditions.ready for address in endpoint.addresses}


def test_pods_are_ready_only_while_their_workers_answer_the_readiness_probe(
        core: client.CoreV1Api, connect_namespace: str) -> None:
    namespace = connect_namespace
    # Running with an IP at once, but a JVM takes seconds to answer: not Ready, not routed to.
    running = wait_for("two Running pods with IPs", lambda: two_running(core, namespace), timeout=60, interval=0.5)
    assert not any(answering(pod.ip) for pod in running.values()), "a worker answered before the test could look"
    assert [pod.ready for pod in running.values()] == [False, False]
    assert ready_endpoints(core, namespace) == set()

    ready = wait_for("both pods Ready", lambda: two_running(core, namespace, ready=True))
    assert all(answering(pod.ip) for pod in ready.values())
    assert wait_for("both pods behind the Service", lambda: ready_endpoints(core, namespace) == {
        pod.ip for pod in ready.values()}, timeout=30)

    # A worker that dies makes its pod not Ready; the Service keeps answering through the other one.
    victim = sorted(ready)[0]
    victim_ip = ready[victim].ip
    os.kill(worker_record(namespace, victim)["pid"], 9)
    wait_for(f"{victim} not Ready", lambda: not pod_states(core, namespace)[victim].ready, timeout=30, interval=0.5)
    wait_for(f"{victim_ip} out of the Service", lambda: victim_ip not in ready_endpoints(core, namespace), timeout=30)
    assert wait_for("the Service answering through the other worker",
                    lambda: proxy_connectors(core, namespace) is not None, timeout=15, interval=1)
    # Restarted after the runner's back-off, it is Ready again once its new worker answers.
    wait_for(f"{victim} Ready again", lambda: pod_states(core, namespace)[victim].ready)
    assert answering(victim_ip)


def test_worker_files_keep_the_connection_string_private(
        core: client.CoreV1Api, connect_namespace: str, testbed_env: dict[str, str]) -> None:
    namespace = connect_namespace
    ips = wait_for_workers(core, namespace)  # they answer: the broker took the credentials read through the volume
    secret = testbed_env["KAFKA_TESTBED_CONNECTION_STRING"].split("SharedAccessKey=", 1)[1].rstrip("=")
    placeholder = f"${{file:{CREDENTIALS_FILE}:sasl.jaas.config}}"
    for pod in ips:
        folder = state_dir() / "pods" / namespace / pod
        properties = folder / "worker.properties"
        assert properties.stat().st_mode & 0o777 == 0o600
        assert secret not in properties.read_text(encoding="utf-8")
        assert f"admin.sasl.jaas.config={placeholder}" in properties.read_text(encoding="utf-8")
        volume = folder / "volumes" / "kafka-credentials"
        assert secret in (volume / "kafka.properties").read_text(encoding="utf-8")
        assert volume.parent.stat().st_mode & 0o777 == 0o700
        log_text = (folder / "worker.log").read_text(errors="replace")
        # The image's start script printed what it set, placeholders only.
        assert f"--- Setting property from CONNECT_ADMIN_SASL_JAAS_CONFIG: admin.sasl.jaas.config={placeholder}" in log_text
        assert secret not in log_text
    # The volume is mounted for the workers only: on the machine the mount point is an empty folder.
    assert not Path(CREDENTIALS_FILE).exists()
    assert secret not in (state_dir() / "logs" / "pod-runner.log").read_text(errors="replace")


FIRST_READY = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_the_moment_each_worker_first_answered_is_recorded_on_its_pod(
        core: client.CoreV1Api, connect_namespace: str) -> None:
    namespace = connect_namespace
    ips = wait_for_workers(core, namespace)
    for pod_name in ips:
        def annotation(pod_name: str = pod_name) -> str | None:
            pod = core.read_namespaced_pod(pod_name, namespace)
            return (pod.metadata.annotations or {}).get("testbed.streamops.io/first-ready-at")

        stamp = wait_for(f"the first-ready-at annotation of {pod_name}", annotation, timeout=30, interval=0.5)
        assert FIRST_READY.match(stamp), stamp
        moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
        created = core.read_namespaced_pod(pod_name, namespace).metadata.creation_timestamp
        assert created <= moment <= datetime.now(timezone.utc)
        recorded = (state_dir() / "pods" / namespace / pod_name / "first-ready-at").read_text(encoding="utf-8")
        assert recorded.strip() == stamp


def container_status(core: client.CoreV1Api, namespace: str, pod_name: str) -> Any:
    return core.read_namespaced_pod_status(pod_name, namespace).status.container_statuses[0]


def restarted(core: client.CoreV1Api, namespace: str, pod_name: str, before: int) -> Any:
    """The container status once its restartCount went past `before`, else None."""
    status = container_status(core, namespace, pod_name)
    return status if (status.restart_count or 0) > before else None


def test_a_hung_worker_fails_its_liveness_probe_and_is_restarted(
        core: client.CoreV1Api, connect_namespace: str) -> None:
    namespace = connect_namespace
    ips = wait_for_workers(core, namespace)
    victim = min(ips, key=lambda name: container_status(core, namespace, name).restart_count or 0)
    before = container_status(core, namespace, victim).restart_count or 0
    hung = worker_record(namespace, victim)["pid"]
    os.kill(hung, signal.SIGSTOP)
    stopped = time.monotonic()
    try:
        # 3 failed probes 2 s apart with 1 s timeouts, then SIGTERM (ignored while stopped), SIGKILL after 2 s.
        status = wait_for(f"{victim} restarted", lambda: restarted(core, namespace, victim, before),
                          timeout=60, interval=0.5)
    finally:
        if process_alive(hung):
            os.kill(hung, signal.SIGCONT)
    print(f"\n{victim}: restarted {time.monotonic() - stopped:.1f}s after SIGSTOP")
    assert not process_alive(hung)
    assert status.restart_count == before + 1
    assert status.last_state.terminated.exit_code == 137 and status.last_state.terminated.reason == "Error"
    # a container that crashed before waits out the kubelet's back-off (CrashLoopBackOff), then runs again
    wait_for(f"{victim}'s container running again",
             lambda: container_status(core, namespace, victim).state.running, timeout=60, interval=0.5)
    assert worker_record(namespace, victim)["pid"] != hung
    assert wait_for(f"{victim}'s new worker answering", lambda: answering(ips[victim]))
    assert "failed its livenessProbe" in (state_dir() / "logs" / "pod-runner.log").read_text(errors="replace")


def test_workers_for_a_deployment_form_one_group_behind_the_service_proxy(
        core: client.CoreV1Api, connect_namespace: str) -> None:
    namespace = connect_namespace
    assert wait_for("GET /connectors through the service proxy", lambda: proxy_connectors(core, namespace) is not None)
    ips = wait_for_workers(core, namespace)

    # One connector written through each worker: one of the two PUTs is forwarded to the leader.
    (pod_a, ip_a), (pod_b, ip_b) = sorted(ips.items())
    put_connector(ip_a, "lines-a", f"{namespace}-a")
    put_connector(ip_b, "lines-b", f"{namespace}-b")
    for ip in (ip_a, ip_b):
        wait_for(f"both connectors listed by {ip}", lambda ip=ip: both_connectors(ip))
    # Reads too can fail while the group rebalances (500 RebalanceNeededException): ask again.
    config_b = wait_for("lines-b's config from the other worker",
                        lambda: body_if_ok(f"http://{ip_a}:8083/connectors/lines-b/config"), timeout=60)
    assert config_b["connector.class"] == FILE_SOURCE and config_b["topic"] == f"{namespace}-b"
    assert sorted(wait_for("connectors through the proxy", lambda: proxy_connectors(core, namespace))) == \
        ["lines-a", "lines-b"]

    # A deleted pod loses its worker; its replacement gets a new one that joins the same group.
    victim = worker_record(namespace, pod_a)
    assert victim["pod_ip"] == ip_a and process_alive(victim["pid"])
    core.delete_namespaced_pod(pod_a, namespace, grace_period_seconds=0)
    wait_for(f"worker pid {victim['pid']} of the deleted pod to exit", lambda: not process_alive(victim["pid"]), 90)
    assert not answering(ip_a)
    replacement = wait_for("a replacement pod with an IP", lambda: next(
        ((name, ip) for name, ip in worker_ips(core, namespace).items() if name not in (pod_a, pod_b)), None))
    wait_for(f"the replacement worker on {replacement[1]}", lambda: answering(replacement[1]))
    assert wait_for("both connectors listed by the replacement", lambda: both_connectors(replacement[1]), timeout=60)
