# SPDX-License-Identifier: GPL-3.0-or-later
"""The pod runner: a real Kafka Connect worker, and the kubelet's readiness prober, for annotated pods.

    python tests/testbed/pod_runner.py build|up|down|status

The testbed's Kubernetes has no kubelet: KWOK runs pods on paper and gives them IPs from
198.18.0.0/16. So that the API server's service proxy reaches something real, this runner
watches pods in all namespaces and, for each Running pod with a pod IP annotated
`testbed.streamops.io/connect-worker: "true"`, starts a Connect worker configured from the pod's
environment (resolved as a kubelet would, see worker_env.py), listening on the pod's IP inside
the network namespace `streamops-pods`:

  host  sop-host 198.19.255.1/30 --veth-- sop-pod 198.19.255.2/30 + one /32 per pod IP  netns
        route 198.18.0.0/16 via 198.19.255.2                  default via 198.19.255.1

KWOK leaves these pods Running but not Ready (stages/pod-started-unready.yaml). The runner then
does what the kubelet's prober does: it runs the container's readinessProbe (httpGet) against
the worker, honouring its delay, period, timeout and thresholds, and writes the pod's Ready and
ContainersReady conditions. A Deployment counts the replica, and a Service routes to it, only
once its worker answers. Liveness probes are not run: a worker that exits is restarted with a
kubelet-like back-off instead.

The broker's PODS listener binds 198.19.255.1:9093; /etc/netns/streamops-pods/hosts (which
`ip netns exec` mounts over /etc/hosts) maps the pods' bootstrap host names there. When the pod
goes away (or loses its IP or annotation) its worker is stopped and the IP removed.

`up` starts the runner daemon (this file with `daemon`), which needs the `kubernetes` package;
`build` only checks that the Connect worker's classpath is built (kafka.py builds it).
"""
from __future__ import annotations

import argparse
import ipaddress
import json
import shlex
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import kafka  # noqa: E402  pylint: disable=wrong-import-position
import worker_env  # noqa: E402  pylint: disable=wrong-import-position

NETNS = "streamops-pods"
HOST_VETH = "sop-host"
POD_VETH = "sop-pod"
HOST_VETH_IP = kafka.PODS_LISTENER_IP
POD_VETH_IP = "198.19.255.2"
VETH_PREFIX = 30
POD_CIDR = ipaddress.ip_network("198.18.0.0/16")
TEST_NET = ipaddress.ip_network("198.18.0.0/15")  # RFC 2544 benchmarking range: pods, services, the veth
NETNS_ETC = Path("/etc/netns") / NETNS

ANNOTATION = "testbed.streamops.io/connect-worker"
CONTAINER_ANNOTATION = "testbed.streamops.io/container"
RELIST_SECONDS = 30.0
WATCH_SECONDS = 60
STOP_TIMEOUT = 20.0
CRASH_BACKOFF_FIRST = 10.0
CRASH_BACKOFF_MAX = 300.0
DAEMON_START_TIMEOUT = 30.0
PROBE_TICK = 0.5


def log(message: str) -> None:
    print(f"[pods] {message}", flush=True)


class TestbedError(RuntimeError):
    """A failure worth one clear line to the user, not a traceback."""


# ---------------------------------------------------------------- pod network


def ip(*args: str, netns: bool = False, check: bool = True) -> subprocess.CompletedProcess[str]:
    command = ["ip", *(["-n", NETNS] if netns else []), *args]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise TestbedError(f"`{' '.join(command)}` failed: {result.stderr.strip()}")
    return result


def netns_exists() -> bool:
    return NETNS in ip("netns", "list").stdout.split()


def ensure_pod_network() -> None:
    """Create (idempotently) the namespace, the veth pair, their addresses and routes."""
    if not netns_exists():
        ip("netns", "add", NETNS)
    if ip("link", "show", HOST_VETH, check=False).returncode != 0:
        ip("link", "add", HOST_VETH, "type", "veth", "peer", "name", POD_VETH, "netns", NETNS)
    ip("addr", "replace", f"{HOST_VETH_IP}/{VETH_PREFIX}", "dev", HOST_VETH)
    ip("link", "set", HOST_VETH, "up")
    ip("addr", "replace", f"{POD_VETH_IP}/{VETH_PREFIX}", "dev", POD_VETH, netns=True)
    ip("link", "set", POD_VETH, "up", netns=True)
    ip("link", "set", "lo", "up", netns=True)
    ip("route", "replace", "default", "via", HOST_VETH_IP, netns=True)
    ip("route", "replace", str(POD_CIDR), "via", POD_VETH_IP, "dev", HOST_VETH)
    # Kept after `down`: with the veth gone, traffic for test addresses must fail here, not take the default route.
    ip("route", "replace", "unreachable", str(TEST_NET))
    write_netns_hosts([kafka.ADVERTISED_HOST])


def delete_pod_network() -> None:
    if netns_exists():
        ip("netns", "delete", NETNS)  # takes the veth pair and every pod IP with it
    ip("link", "delete", HOST_VETH, check=False)
    for name in ("hosts", "resolv.conf"):
        (NETNS_ETC / name).unlink(missing_ok=True)
    if NETNS_ETC.is_dir():
        NETNS_ETC.rmdir()


def netns_host_names() -> set[str]:
    try:
        lines = (NETNS_ETC / "hosts").read_text(encoding="utf-8").splitlines()
    except OSError:
        return set()
    return {name for line in lines if line.startswith(HOST_VETH_IP) for name in line.split()[1:]}


def write_netns_hosts(names: Iterable[str]) -> None:
    """Map the broker's names to the veth's host end inside the namespace."""
    wanted = netns_host_names() | set(names)
    NETNS_ETC.mkdir(parents=True, exist_ok=True)
    text = f"127.0.0.1 localhost\n{HOST_VETH_IP} {' '.join(sorted(wanted))}\n"
    # Rewritten in place: running workers keep seeing the file `ip netns exec` mounted for them.
    (NETNS_ETC / "hosts").write_text(text, encoding="utf-8")
    if not (NETNS_ETC / "resolv.conf").exists():
        # No DNS server is reachable from the namespace; unknown names fail at once, not after a timeout.
        (NETNS_ETC / "resolv.conf").write_text("nameserver 127.0.0.1\n", encoding="utf-8")


def add_pod_ip(pod_ip: str) -> None:
    ip("addr", "replace", f"{pod_ip}/32", "dev", POD_VETH, netns=True)


def remove_pod_ip(pod_ip: str) -> None:
    ip("addr", "del", f"{pod_ip}/32", "dev", POD_VETH, netns=True, check=False)


# ----------------------------------------------------------------------- state


@dataclass(frozen=True)
class Layout:
    """Where the runner and its workers keep their files inside the state dir."""

    root: Path

    @property
    def pods(self) -> Path:
        return self.root / "pods"

    @property
    def pid(self) -> Path:
        return self.root / "pids" / "pod-runner.pid"

    @property
    def log(self) -> Path:
        return self.root / "logs" / "pod-runner.log"

    @property
    def heartbeat(self) -> Path:
        """Written after every successful list of pods: `up` waits for it."""
        return self.pods / "runner.json"

    @property
    def env_file(self) -> Path:
        return self.root / "pods.env"

    def worker_dir(self, namespace: str, name: str) -> Path:
        return self.pods / namespace / name


def read_env_file(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs}


def process_runs(pid: int, marker: bytes) -> bool:
    """True if pid is alive, not a zombie, and its command line holds marker (pids get reused)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return False
    return state != "Z" and marker in cmdline


def signal_process(pid: int, signum: signal.Signals) -> None:
    try:
        os.killpg(pid, signum)
    except ProcessLookupError:
        pass


def terminate(pid: int, marker: bytes, timeout: float = STOP_TIMEOUT, reap: Callable[[], Any] | None = None) -> None:
    """SIGTERM, then SIGKILL after timeout; reap collects our own children so they do not linger as zombies."""
    signal_process(pid, signal.SIGTERM)

    def gone() -> bool:
        if reap is not None:
            reap()
        return not process_runs(pid, marker)

    if not wait_until(gone, timeout, 0.2):
        signal_process(pid, signal.SIGKILL)
        wait_until(gone, 5.0, 0.1)


def wait_until(check: Callable[[], bool], timeout: float, interval: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return check()


def rest_connectors(url: str) -> str:
    """`GET /connectors` as a short status word for `status`."""
    try:
        with urllib.request.urlopen(f"{url}/connectors", timeout=3) as response:
            return f"{response.status} {json.loads(response.read() or b'[]')}"
    except urllib.error.HTTPError as error:
        return f"{error.code}"
    except (OSError, ValueError) as error:
        return f"down ({getattr(error, 'reason', error)})"


# -------------------------------------------------------------------- readiness


@dataclass(frozen=True)
class Probe:
    """A container's readinessProbe (httpGet) with the kubelet's defaults filled in."""

    path: str
    port: int
    initial_delay: float = 0.0
    period: float = 10.0
    timeout: float = 1.0
    success_threshold: int = 1
    failure_threshold: int = 3

    @classmethod
    def of(cls, container: Mapping[str, Any]) -> Probe | None:
        """None when the container has no readinessProbe: then it is ready while it runs."""
        spec = container.get("readinessProbe")
        if not spec:
            return None
        http_get = spec.get("httpGet")
        if not http_get or http_get.get("scheme", "HTTP").upper() != "HTTP":
            raise worker_env.WorkerEnvError("the testbed runs readiness probes of type httpGet over HTTP only, "
                                            f"not {sorted(spec)}")
        port = http_get.get("port")
        if isinstance(port, str) and not port.isdigit():
            named = [p["containerPort"] for p in container.get("ports") or [] if p.get("name") == port]
            if not named:
                raise worker_env.WorkerEnvError(f"the readinessProbe names port {port!r}, which the container lacks")
            port = named[0]
        return cls(path=http_get.get("path") or "/", port=int(port),
                   initial_delay=float(spec.get("initialDelaySeconds") or 0),
                   period=float(spec.get("periodSeconds") or 10), timeout=float(spec.get("timeoutSeconds") or 1),
                   success_threshold=int(spec.get("successThreshold") or 1),
                   failure_threshold=int(spec.get("failureThreshold") or 3))

    def passes(self, pod_ip: str) -> bool:
        """One probe as the kubelet runs it: any status from 200 to 399 within the timeout is a success."""
        try:
            with urllib.request.urlopen(f"http://{pod_ip}:{self.port}{self.path}", timeout=self.timeout) as answer:
                return 200 <= answer.status < 400
        except (OSError, ValueError):  # refused, timed out, 4xx/5xx (HTTPError is an OSError)
            return False


@dataclass
class Readiness:
    """The kubelet's readiness state for one container: not ready until the probe passes."""

    probe: Probe | None
    started: float = field(default_factory=time.monotonic)
    ready: bool = False
    streak: int = 0  # consecutive results that disagree with `ready`
    next_probe: float = 0.0

    def update(self, now: float, running: bool, pod_ip: str) -> bool:
        """Probe if one is due and return the verdict; a stopped container is not ready at once."""
        if not running:
            self.ready, self.streak = False, 0
        elif self.probe is None:
            self.ready = True
        elif now >= max(self.next_probe, self.started + self.probe.initial_delay):
            self.next_probe = now + self.probe.period
            passed = self.probe.passes(pod_ip)
            self.streak = 0 if passed == self.ready else self.streak + 1
            threshold = self.probe.failure_threshold if self.ready else self.probe.success_threshold
            if self.streak >= threshold:
                self.ready, self.streak = passed, 0
        return self.ready


def readiness_patch(container: str, ready: bool) -> dict[str, Any]:
    """A strategic merge patch of the pod status, as the kubelet's status manager writes it."""
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    reason = None if ready else "ContainersNotReady"  # None removes a reason left from before
    return {"status": {
        "conditions": [{"type": kind, "status": str(ready), "lastTransitionTime": now, "reason": reason}
                       for kind in ("Ready", "ContainersReady")],
        "containerStatuses": [{"name": container, "ready": ready}],
    }}


def pod_readiness(pod: Mapping[str, Any], adopted: bool = False) -> tuple[str, Readiness]:
    """The worker's container and the readiness state of its probe; WorkerEnvError if it cannot be run.

    A new worker starts not ready. One adopted from a previous runner keeps the pod's Ready condition
    and is past its initial delay, so restarting the runner does not take running workers out of Services.
    """
    container = worker_env.select_container(pod, CONTAINER_ANNOTATION)
    readiness = Readiness(Probe.of(container))
    if adopted:
        readiness.ready, readiness.started = pod_is_ready(pod), float("-inf")
    return container["name"], readiness


def first_line(error: BaseException) -> str:
    return (str(error).splitlines() or [""])[0][:200]


def pod_is_ready(pod: Mapping[str, Any]) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or [])


# --------------------------------------------------------------------- workers

WORKER_MARKER = b"org.apache.kafka.connect.cli.ConnectDistributed"

WORKER_LOG4J2 = """\
# Worker logs to stdout, which the runner sends to worker.log beside this file.
status = warn
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = STDOUT
logger.reflections.name = org.reflections
logger.reflections.level = error
"""


@dataclass
class Worker:
    """One running Connect worker and the pod it stands for."""

    namespace: str
    name: str
    uid: str
    pod_ip: str
    pid: int
    rest_url: str
    process: subprocess.Popen[bytes] | None = None
    container: str = ""
    readiness: Readiness = field(default_factory=lambda: Readiness(None))
    pod_ready: bool | None = None  # the pod's Ready condition, as last seen

    @property
    def key(self) -> tuple[str, str]:
        return (self.namespace, self.name)

    def alive(self) -> bool:
        if self.process is not None:
            self.process.poll()
        return process_runs(self.pid, WORKER_MARKER)

    def record(self) -> dict[str, Any]:
        return {"namespace": self.namespace, "name": self.name, "uid": self.uid, "pod_ip": self.pod_ip,
                "pid": self.pid, "rest_url": self.rest_url}


def worker_command(spec: worker_env.WorkerSpec, folder: Path, kafka_env: Mapping[str, str]) -> list[str]:
    artifacts = kafka.Artifacts()
    # The testbed CA stands in for the public CAs that a real image trusts (Event Hubs' certificate).
    trust = [f"-Djavax.net.ssl.trustStore={kafka_env['KAFKA_TRUSTSTORE']}",
             f"-Djavax.net.ssl.trustStoreType={kafka_env.get('KAFKA_TRUSTSTORE_TYPE', 'PKCS12')}",
             f"-Djavax.net.ssl.trustStorePassword={kafka_env['KAFKA_TRUSTSTORE_PASSWORD']}"]
    return ["ip", "netns", "exec", NETNS, "java", *shlex.split(spec.heap_opts), "-XX:+ExitOnOutOfMemoryError",
            "-Djava.awt.headless=true", f"-Dlog4j2.configurationFile={folder / 'log4j2.properties'}", *trust,
            "-cp", str(artifacts.worker_lib / "*"), "org.apache.kafka.connect.cli.ConnectDistributed",
            str(folder / "worker.properties")]


def start_worker(layout: Layout, pod: Mapping[str, Any], spec: worker_env.WorkerSpec,
                 kafka_env: Mapping[str, str]) -> Worker:
    metadata = pod["metadata"]
    pod_ip = pod["status"]["podIP"]
    folder = layout.worker_dir(metadata["namespace"], metadata["name"])
    folder.mkdir(parents=True, exist_ok=True)
    kafka.write_private(folder / "worker.properties", spec.properties_text or
                        worker_env.render_properties(spec.properties))
    (folder / "log4j2.properties").write_text(WORKER_LOG4J2, encoding="utf-8")
    write_netns_hosts([kafka.ADVERTISED_HOST, *spec.bootstrap_hosts])
    add_pod_ip(pod_ip)
    with open(folder / "worker.log", "ab") as log_file:
        # The image's start script prints before it execs Connect; `kubectl logs` shows it, so does worker.log.
        log_file.write("".join(f"{line}\n" for line in spec.startup_output).encode())
        log_file.flush()
        # A clean environment: the pod's env holds the connection string, the process needs none of it.
        process = subprocess.Popen(worker_command(spec, folder, kafka_env), cwd=folder, stdin=subprocess.DEVNULL,
                                   stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
                                   env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"})
    listener = spec.properties["listeners"].split(",")[0].strip()
    worker = Worker(metadata["namespace"], metadata["name"], metadata.get("uid", ""), pod_ip, process.pid, listener,
                    process)
    (folder / "worker.json").write_text(json.dumps(worker.record()), encoding="utf-8")
    return worker


def stop_worker(layout: Layout, worker: Worker, keep_ip: bool = False) -> None:
    reap = worker.process.poll if worker.process is not None else None
    started = time.monotonic()
    terminate(worker.pid, WORKER_MARKER, reap=reap)
    log(f"worker {worker.namespace}/{worker.name} (pid {worker.pid}) stopped in {time.monotonic() - started:.1f}s")
    if not keep_ip:
        remove_pod_ip(worker.pod_ip)
    (layout.worker_dir(*worker.key) / "worker.json").unlink(missing_ok=True)


def recorded_workers(layout: Layout) -> list[Worker]:
    workers = []
    for record_file in sorted(layout.pods.glob("*/*/worker.json")):
        try:
            record = json.loads(record_file.read_text(encoding="utf-8"))
            workers.append(Worker(record["namespace"], record["name"], record["uid"], record["pod_ip"],
                                  int(record["pid"]), record["rest_url"]))
        except (OSError, ValueError, KeyError):
            record_file.unlink(missing_ok=True)
    return workers


# ---------------------------------------------------------------------- daemon


def wants_worker(pod: Mapping[str, Any]) -> bool:
    """Running, not terminating, annotated, and with an IP from the pod range (Ready is the runner's to say)."""
    metadata, status = pod.get("metadata") or {}, pod.get("status") or {}
    if (metadata.get("annotations") or {}).get(ANNOTATION) != "true" or metadata.get("deletionTimestamp"):
        return False
    pod_ip = status.get("podIP")
    return status.get("phase") == "Running" and bool(pod_ip) and ipaddress.ip_address(pod_ip) in POD_CIDR


class Runner:
    """Keeps one worker per wanted pod: reconciles on every watch event and on every re-list.

    A second thread plays the kubelet's prober: it runs each pod's readinessProbe against its worker
    and writes the pod's Ready condition, so Services route only to workers that answer.
    """

    def __init__(self, layout: Layout, connect: Callable[[], Any], kafka_env: Mapping[str, str]) -> None:
        self.layout = layout
        self.connect = connect
        self.core = connect()
        self.kafka_env = kafka_env
        self.serialize = self.core.api_client.sanitize_for_serialization
        self.workers: dict[tuple[str, str], Worker] = {}
        self.lock = threading.Lock()  # guards `workers` between the watch loop and the prober
        self.failed: dict[tuple[str, str], str] = {}
        self.backoff: dict[tuple[str, str], tuple[int, float]] = {}  # crashes so far, no restart before
        self.stopping = False
        self.last_failure = ""
        self.last_failure_logged = 0.0

    def adopt(self) -> None:
        """Workers a previous runner left running are kept; files of dead ones are dropped."""
        for worker in recorded_workers(self.layout):
            if worker.alive():
                self.workers[worker.key] = worker
                log(f"adopted worker {worker.namespace}/{worker.name} (pid {worker.pid}, {worker.pod_ip})")
            else:
                remove_pod_ip(worker.pod_ip)
                (self.layout.worker_dir(*worker.key) / "worker.json").unlink(missing_ok=True)

    def namespace_sources(self, namespace: str) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
        configmaps = {item.metadata.name: dict(item.data or {})
                      for item in self.core.list_namespaced_config_map(namespace).items}
        secrets = {item.metadata.name: worker_env.decode_secret_data(item.data)
                   for item in self.core.list_namespaced_secret(namespace).items}
        return configmaps, secrets

    def spec_for(self, pod: Mapping[str, Any]) -> worker_env.WorkerSpec:
        container = worker_env.select_container(pod, CONTAINER_ANNOTATION)
        configmaps, secrets = self.namespace_sources(pod["metadata"]["namespace"])
        env = worker_env.resolve_env(pod, container, configmaps, secrets)
        return worker_env.worker_spec(env, pod["status"]["podIP"], str(kafka.Artifacts().plugin_path))

    def reconcile_pod(self, pod: Mapping[str, Any], deleted: bool = False) -> None:
        key = (pod["metadata"]["namespace"], pod["metadata"]["name"])
        worker = self.workers.get(key)
        wanted = not deleted and wants_worker(pod)
        current = worker is not None and worker.uid == pod["metadata"].get("uid") \
            and worker.pod_ip == (pod.get("status") or {}).get("podIP")
        if worker is not None and wanted and current:
            worker.pod_ready = pod_is_ready(pod)
            if not worker.container:  # adopted from a previous runner: its probe comes from the pod
                try:
                    worker.container, worker.readiness = pod_readiness(pod, adopted=True)
                except worker_env.WorkerEnvError as error:
                    self.report_failure(f"cannot probe worker {key[0]}/{key[1]}: {error}")
        if worker is not None and wanted and current and not worker.alive():
            self.record_crash(key, worker)
        elif worker is not None and not (wanted and current):
            log(f"stopping worker {key[0]}/{key[1]} (pid {worker.pid}, {worker.pod_ip}): pod gone, not running or not annotated")
            self.stop(key)
        if wanted and key not in self.workers and time.monotonic() >= self.backoff.get(key, (0, 0.0))[1]:
            self.start(key, pod)
        if not wanted:
            self.failed.pop(key, None)
            self.backoff.pop(key, None)

    def record_crash(self, key: tuple[str, str], worker: Worker) -> None:
        """A kubelet's CrashLoopBackOff: 10 s, doubling up to 5 min, so a broken config does not burn the CPU."""
        crashes = self.backoff.get(key, (0, 0.0))[0] + 1
        delay = min(CRASH_BACKOFF_FIRST * 2 ** (crashes - 1), CRASH_BACKOFF_MAX)
        self.backoff[key] = (crashes, time.monotonic() + delay)
        log(f"worker {key[0]}/{key[1]} (pid {worker.pid}) exited; restart {crashes} in {delay:.0f}s or later, "
            f"see {self.layout.worker_dir(*key) / 'worker.log'}")
        self.stop(key)

    def start(self, key: tuple[str, str], pod: Mapping[str, Any]) -> None:
        try:
            spec = self.spec_for(pod)
            container, readiness = pod_readiness(pod)
        except worker_env.WorkerEnvError as error:
            if self.failed.get(key) != str(error):
                log(f"cannot start a worker for {key[0]}/{key[1]}: {error}")
            self.failed[key] = str(error)
            return
        self.failed.pop(key, None)
        worker = start_worker(self.layout, pod, spec, self.kafka_env)
        worker.container, worker.readiness, worker.pod_ready = container, readiness, pod_is_ready(pod)
        with self.lock:
            self.workers[key] = worker
        log(f"started worker {key[0]}/{key[1]} (pid {worker.pid}) on {worker.rest_url}, "
            f"{spec.convention} convention, heap {spec.heap_opts}")

    def stop(self, key: tuple[str, str]) -> None:
        with self.lock:
            worker = self.workers.pop(key)
        # KWOK hands a freed IP to the next pod at once; the newcomer's worker may already hold it.
        shared = any(other.pod_ip == worker.pod_ip for other in self.workers.values())
        stop_worker(self.layout, worker, keep_ip=shared)

    def reconcile_all(self, pods: list[Mapping[str, Any]]) -> None:
        seen = set()
        for pod in pods:
            seen.add((pod["metadata"]["namespace"], pod["metadata"]["name"]))
            self.reconcile_pod(pod)
        for key in [key for key in self.backoff if key not in seen]:
            del self.backoff[key]
        for key in [key for key in self.workers if key not in seen]:
            log(f"stopping worker {key[0]}/{key[1]} (pid {self.workers[key].pid}, {self.workers[key].pod_ip}): "
                "pod deleted")
            self.stop(key)

    def beat(self) -> None:
        self.layout.heartbeat.write_text(json.dumps({"pid": os.getpid(), "time": time.time(),
                                                     "workers": len(self.workers)}), encoding="utf-8")

    def probe_forever(self) -> None:
        """The prober thread: every tick, each worker's probe if due; a changed verdict goes to the pod."""
        core = None
        while not self.stopping:
            try:
                core = core or self.connect()
                with self.lock:
                    workers = list(self.workers.values())
                for worker in workers:
                    ready = worker.readiness.update(time.monotonic(), worker.alive(), worker.pod_ip)
                    if worker.container and ready != worker.pod_ready:
                        self.write_readiness(core, worker, ready)
            except Exception as error:  # pylint: disable=broad-exception-caught
                self.report_failure(f"prober failed: {type(error).__name__}: {first_line(error)}")
                core = None
                time.sleep(2)
            time.sleep(PROBE_TICK)

    def write_readiness(self, core: Any, worker: Worker, ready: bool) -> None:
        from kubernetes.client.rest import ApiException  # pylint: disable=import-outside-toplevel
        patch = readiness_patch(worker.container, ready)
        patch["metadata"] = {"uid": worker.uid}  # never a newer pod that took the same name
        try:
            core.patch_namespaced_pod_status(worker.name, worker.namespace, patch,
                                             _content_type="application/strategic-merge-patch+json")
        except ApiException as error:
            if error.status not in (404, 409, 422):  # the pod is gone or is a newer one
                raise
            return
        worker.pod_ready = ready
        if not worker.alive():
            why = "its worker stopped"
        elif worker.readiness.probe is None:
            why = "no readinessProbe, its worker runs"
        else:
            why = f"GET {worker.readiness.probe.path} {'passed' if ready else 'failed'}"
        log(f"pod {worker.namespace}/{worker.name} is {'Ready' if ready else 'not Ready'}: {why}")

    def run(self, watch_module: Any) -> None:
        threading.Thread(target=self.probe_forever, name="prober", daemon=True).start()
        while not self.stopping:
            try:
                listing = self.core.list_pod_for_all_namespaces()
                self.reconcile_all([self.serialize(pod) for pod in listing.items])
                self.beat()
                watcher = watch_module.Watch()
                for event in watcher.stream(self.core.list_pod_for_all_namespaces,
                                            resource_version=listing.metadata.resource_version,
                                            timeout_seconds=int(RELIST_SECONDS)):
                    if self.stopping:
                        watcher.stop()
                        break
                    if event["type"] in ("ADDED", "MODIFIED", "DELETED"):
                        self.reconcile_pod(self.serialize(event["object"]), deleted=event["type"] == "DELETED")
            except Exception as error:  # pylint: disable=broad-exception-caught
                # The API server restarts, watches expire (410): back off, reconnect, re-list.
                self.report_failure(f"pod watch failed, re-listing: {type(error).__name__}: {first_line(error)}")
                time.sleep(2)
                self.reconnect()

    def report_failure(self, message: str) -> None:
        """One line per distinct failure, and a reminder a minute, not a line every 2 s."""
        now = time.monotonic()
        if message != self.last_failure or now - self.last_failure_logged > 60:
            log(message)
            self.last_failure, self.last_failure_logged = message, now

    def reconnect(self) -> None:
        # A restarted testbed control plane may come back with new credentials in the kubeconfig.
        try:
            self.core = self.connect()
            self.serialize = self.core.api_client.sanitize_for_serialization
        except Exception as error:  # pylint: disable=broad-exception-caught
            self.report_failure(f"pod watch failed, kubeconfig unusable: {error}")


def daemon() -> int:
    """The runner's main loop (started by `up` in its own session, logging to pod-runner.log)."""
    # pylint: disable=import-outside-toplevel
    from kubernetes import client, config, watch

    layout = Layout(kafka.state_dir())
    kube_env = read_env_file(layout.root / "kube.env")
    kafka_env = read_env_file(layout.root / "kafka.env")
    layout.pods.mkdir(parents=True, exist_ok=True)
    layout.pid.parent.mkdir(parents=True, exist_ok=True)
    layout.pid.write_text(f"{os.getpid()}\n")  # also when started by hand, not by `up`

    def connect() -> Any:
        return client.CoreV1Api(config.new_client_from_config(config_file=kube_env["KUBECONFIG"]))

    runner = Runner(layout, connect, kafka_env)

    def on_term(signum: int, _frame: Any) -> None:
        runner.stopping = True
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    ensure_pod_network()
    runner.adopt()
    log(f"watching pods annotated {ANNOTATION}=true (pid {os.getpid()})")
    try:
        runner.run(watch)
    finally:
        # Workers outlive the runner: a restarted runner adopts them, `down` stops them.
        log(f"runner exiting; {len(runner.workers)} worker(s) left running for the next runner or `down`")
        layout.heartbeat.unlink(missing_ok=True)
    return 0


# -------------------------------------------------------------------- commands

DAEMON_MARKER = b"pod_runner.py\x00daemon"


def daemon_pid(layout: Layout) -> int | None:
    try:
        pid = int(layout.pid.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if process_runs(pid, DAEMON_MARKER) else None


def build() -> None:
    artifacts = kafka.Artifacts()
    if not (artifacts.worker_lib.is_dir() and artifacts.plugin_path.is_dir()):
        log("the Connect worker is not built yet: building it with kafka.py")
        kafka.build()


def up() -> None:
    started = time.monotonic()
    layout = Layout(kafka.state_dir())
    for name in ("kube.env", "kafka.env"):
        if not (layout.root / name).is_file():
            raise TestbedError(f"{layout.root / name} is missing: the pod runner needs kube and kafka up first")
    try:
        import kubernetes  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import
    except ImportError as error:
        raise TestbedError(f"the runner needs the kubernetes package (run it with the project's .venv): {error}") from error
    ensure_pod_network()
    pid = daemon_pid(layout)
    if pid is None:
        layout.heartbeat.unlink(missing_ok=True)
        for folder in (layout.pid.parent, layout.log.parent, layout.pods):
            folder.mkdir(parents=True, exist_ok=True)
        with open(layout.log, "ab") as log_file:
            process = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "daemon"], cwd=layout.root,
                                       stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                                       start_new_session=True, env=dict(os.environ, TESTBED_STATE=str(layout.root)))
        pid = process.pid
        layout.pid.write_text(f"{pid}\n")
        log(f"runner started (pid {pid})")
    if not wait_until(lambda: layout.heartbeat.is_file() or daemon_pid(layout) is None, DAEMON_START_TIMEOUT):
        raise TestbedError(f"the runner did not list pods within {DAEMON_START_TIMEOUT:.0f}s; see {layout.log}")
    if daemon_pid(layout) is None:
        tail = "\n".join(layout.log.read_text(errors="replace").splitlines()[-20:])
        raise TestbedError(f"the runner exited; last lines of {layout.log}:\n{tail}")
    values = {"POD_RUNNER_NETNS": NETNS, "POD_RUNNER_ANNOTATION": f"{ANNOTATION}=true",
              "POD_RUNNER_STATE": layout.pods, "POD_NETWORK": POD_CIDR}
    kafka.write_private(layout.env_file, "".join(f"{key}={value}\n" for key, value in values.items()))
    log(f"up in {time.monotonic() - started:.1f}s; environment in {layout.env_file}")


def down() -> None:
    layout = Layout(kafka.state_dir())
    pid = daemon_pid(layout)
    if pid is not None:
        terminate(pid, DAEMON_MARKER)
        log(f"runner stopped (pid {pid})")
    layout.pid.unlink(missing_ok=True)
    workers = recorded_workers(layout)
    for worker in workers:
        # All at once first: each JVM takes seconds to shut down.
        if worker.alive():
            signal_process(worker.pid, signal.SIGTERM)
    for worker in workers:
        stop_worker(layout, worker)
    delete_pod_network()
    layout.heartbeat.unlink(missing_ok=True)
    layout.env_file.unlink(missing_ok=True)


def status() -> int:
    layout = Layout(kafka.state_dir())
    pid = daemon_pid(layout)
    print(f"{'pod-runner':<24} pid={pid or '-':<8} {'running' if pid else 'stopped'} "
          f"(netns {NETNS} {'present' if netns_exists() else 'absent'})")
    for worker in recorded_workers(layout):
        state = "running" if worker.alive() else "dead"
        rest = rest_connectors(worker.rest_url) if state == "running" else "-"
        print(f"  {worker.namespace}/{worker.name:<30} {worker.pod_ip:<15} pid={worker.pid:<8} {state:<8} "
              f"GET /connectors: {rest}")
    return 0 if pid else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["build", "up", "down", "status", "daemon"])
    command = parser.parse_args(argv).command
    try:
        if command == "status":
            return status()
        if command == "daemon":
            return daemon()
        {"build": build, "up": up, "down": down}[command]()
    except (TestbedError, kafka.TestbedError, subprocess.CalledProcessError) as error:
        print(f"[pods] error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
