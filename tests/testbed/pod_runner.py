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

The worker starts as the Debezium Connect image starts it (worker_env.debezium_entrypoint, whose
output opens worker.log), with the pod's Secret, ConfigMap, projected and emptyDir volumes
bind-mounted at their mountPath in a mount namespace of its own (start.sh), and with the
Debezium PostgreSQL plugin beside FileStream on its plugin.path.

KWOK leaves these pods Running but not Ready (stages/pod-started-unready.yaml). The runner then
does what the kubelet's prober does, in a thread per worker: the startupProbe first, then the
readinessProbe (httpGet), honouring delay, period, timeout and thresholds, written to the pod's
Ready and ContainersReady conditions, so a Deployment counts the replica, and a Service routes
to it, only once its worker answers; and the livenessProbe, whose failure kills the worker
(SIGTERM, SIGKILL after the grace period). A worker that exits or is killed is restarted with
the kubelet's back-off, and the pod's containerStatuses report restartCount, state and
lastState.terminated. The first 200 from `GET /connectors` is recorded in the pod annotation
testbed.streamops.io/first-ready-at.

The testbed broker's PODS listener binds 198.19.255.1:9093; /etc/netns/streamops-pods/hosts (which
`ip netns exec` mounts over /etc/hosts) maps the pods' bootstrap host names there, except the Event Hubs
namespaces of the ARM double, each its own broker on 198.19.254.N, whose names the double's sync keeps in a
marked block of the same file (kafka.py, "namespace brokers"). When the pod
goes away (or loses its IP or annotation) its worker is stopped and the IP removed.

`up` starts the runner daemon (this file with `daemon`), which needs the `kubernetes` package;
`build` only checks that the Connect worker's classpath is built (kafka.py builds it).
"""
from __future__ import annotations

import argparse
import hashlib
import ipaddress
import json
import shlex
import os
import shutil
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
FIRST_READY_ANNOTATION = "testbed.streamops.io/first-ready-at"
FIRST_READY_POLL = 0.05
DEBEZIUM_POM = HERE / "maven" / "debezium" / "pom.xml"
DEBEZIUM_VERSION = kafka.VERSIONS["debezium"]
DEFAULT_GRACE_PERIOD = 30.0
BACKOFF_RESET = 600.0  # the kubelet forgets a container's crashes after it ran this long
RELIST_SECONDS = 30.0
WATCH_SECONDS = 60
STOP_TIMEOUT = 20.0
CRASH_BACKOFF_FIRST = 10.0  # the second restart; the first one is immediate
CRASH_BACKOFF_MAX = 300.0
DAEMON_START_TIMEOUT = 30.0
PROBE_TICK = 0.5
NODE_CHECK_SECONDS = 2.0  # how often the runner looks for Nodes that are gone


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


POD_HOST_NAMES: dict[str, list[str]] = {}  # pod IP -> the DNS names a headless Service gives its pod


def pod_host_names(pod: Mapping[str, Any]) -> list[str]:
    """`<hostname>.<subdomain>.<namespace>.svc[.cluster.local]`, the names cluster DNS gives a pod with both set
    (a StatefulSet's pods: hostname = pod name, subdomain = its headless serviceName)."""
    spec = pod.get("spec") or {}
    hostname, subdomain = spec.get("hostname"), spec.get("subdomain")
    if not hostname or not subdomain:
        return []
    name = f"{hostname}.{subdomain}.{pod['metadata']['namespace']}.svc"
    return [f"{name}.cluster.local", name]


def write_netns_hosts(names: Iterable[str]) -> None:
    """Map the testbed broker's names to the veth's host end inside the namespace, and pods' DNS names to their
    IPs; the block of Event Hubs namespace names (each its own broker, written by the ARM double's sync) stays."""
    NETNS_ETC.mkdir(parents=True, exist_ok=True)
    with kafka.hosts_lock():
        try:
            current = (NETNS_ETC / "hosts").read_text(encoding="utf-8")
        except OSError:
            current = ""
        _outside, namespaces = kafka.split_hosts_block(current)
        wanted = (netns_host_names() | set(names)) - set(namespaces)
        pods = "".join(f"{pod_ip} {' '.join(hosts)}\n" for pod_ip, hosts in sorted(POD_HOST_NAMES.items()) if hosts)
        text = f"127.0.0.1 localhost\n{HOST_VETH_IP} {' '.join(sorted(wanted))}\n{pods}{kafka.hosts_block(namespaces)}"
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

    grace_period: float | None = None  # a livenessProbe's own terminationGracePeriodSeconds

    @classmethod
    def of(cls, container: Mapping[str, Any], kind: str = "readinessProbe") -> Probe | None:
        """None when the container has no such probe: then it is ready (or alive) while it runs."""
        spec = container.get(kind)
        if not spec:
            return None
        http_get = spec.get("httpGet")
        if not http_get or http_get.get("scheme", "HTTP").upper() != "HTTP":
            raise worker_env.WorkerEnvError(f"the testbed runs a {kind} of type httpGet over HTTP only, "
                                            f"not {sorted(spec)}")
        port = http_get.get("port")
        if isinstance(port, str) and not port.isdigit():
            named = [p["containerPort"] for p in container.get("ports") or [] if p.get("name") == port]
            if not named:
                raise worker_env.WorkerEnvError(f"the {kind} names port {port!r}, which the container lacks")
            port = named[0]
        grace = spec.get("terminationGracePeriodSeconds")
        return cls(path=http_get.get("path") or "/", port=int(port),
                   initial_delay=float(spec.get("initialDelaySeconds") or 0),
                   period=float(spec.get("periodSeconds") or 10), timeout=float(spec.get("timeoutSeconds") or 1),
                   success_threshold=int(spec.get("successThreshold") or 1),
                   failure_threshold=int(spec.get("failureThreshold") or 3),
                   grace_period=None if grace is None else float(grace))

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


@dataclass
class Liveness:
    """The kubelet's liveness state for one container: `failure_threshold` failures in a row kill it."""

    probe: Probe | None
    started: float = field(default_factory=time.monotonic)
    failures: int = 0
    next_probe: float = 0.0

    def update(self, now: float, pod_ip: str) -> bool:
        """Probe if one is due; True when the container must be killed and restarted."""
        if self.probe is None or now < max(self.next_probe, self.started + self.probe.initial_delay):
            return False
        self.next_probe = now + self.probe.period
        self.failures = 0 if self.probe.passes(pod_ip) else self.failures + 1
        return self.failures >= self.probe.failure_threshold


@dataclass
class Startup:
    """The kubelet's startupProbe: readiness and liveness wait until it passes; failing it kills the container."""

    probe: Probe | None
    started: float = field(default_factory=time.monotonic)
    done: bool = False
    failures: int = 0
    next_probe: float = 0.0

    def update(self, now: float, pod_ip: str) -> bool:
        """Probe if one is due; True when the container must be killed (it did not start in time)."""
        if self.probe is None:
            self.done = True
        if self.done or now < max(self.next_probe, self.started + self.probe.initial_delay):
            return False
        self.next_probe = now + self.probe.period
        if self.probe.passes(pod_ip):
            self.done = True
            return False
        self.failures += 1
        return self.failures >= self.probe.failure_threshold


def restart_delay(crashes: int) -> float:
    """The kubelet's restart back-off after the n-th exit: at once, then 10 s doubling up to 5 min."""
    return 0.0 if crashes <= 1 else min(CRASH_BACKOFF_FIRST * 2 ** (crashes - 2), CRASH_BACKOFF_MAX)


def rfc3339(moment: float | None = None, ms: bool = False) -> str:
    stamp = datetime.fromtimestamp(time.time() if moment is None else moment, timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S") + (f".{stamp.microsecond // 1000:03d}" if ms else "") + "Z"


def container_status_patch(container: str, restart_count: int, last_terminated: Mapping[str, Any] | None,
                           state: Mapping[str, Any], ready: bool) -> dict[str, Any]:
    """The container's state, lastState and restartCount, as the kubelet reports them after a restart or a death."""
    whole_state = {"running": None, "waiting": None, "terminated": None, **state}
    status: dict[str, Any] = {"name": container, "ready": ready, "started": "running" in state,
                              "restartCount": restart_count, "state": whole_state}
    if last_terminated:
        status["lastState"] = {"terminated": dict(last_terminated)}
    patch = readiness_patch(container, ready)
    patch["status"]["containerStatuses"] = [status]
    return patch


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


def pod_liveness(pod: Mapping[str, Any], adopted: bool = False) -> tuple[Startup, Liveness, float]:
    """The container's startup and liveness states and the grace period a kill for a failed probe gives it."""
    container = worker_env.select_container(pod, CONTAINER_ANNOTATION)
    startup, liveness = Startup(Probe.of(container, "startupProbe")), Liveness(Probe.of(container, "livenessProbe"))
    if adopted:
        startup.done, liveness.started = True, float("-inf")
    grace = (pod.get("spec") or {}).get("terminationGracePeriodSeconds")
    probe_grace = [probe.grace_period for probe in (startup.probe, liveness.probe)
                   if probe is not None and probe.grace_period is not None]
    return startup, liveness, probe_grace[0] if probe_grace else DEFAULT_GRACE_PERIOD if grace is None else float(grace)


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
    liveness: Liveness = field(default_factory=lambda: Liveness(None))
    startup: Startup = field(default_factory=lambda: Startup(None))
    grace_period: float = DEFAULT_GRACE_PERIOD
    restart_count: int = 0
    last_terminated: dict[str, Any] | None = None
    started_at: float = field(default_factory=time.time)  # wall clock, for the container's state
    first_ready_at: str = ""
    killing: str = ""  # why the runner is killing it ("" when it is not)

    @property
    def key(self) -> tuple[str, str]:
        return (self.namespace, self.name)

    def alive(self) -> bool:
        if self.process is not None:
            # Our own child: alive until it exits (its command line changes while start.sh execs Java).
            return self.process.poll() is None
        return process_runs(self.pid, WORKER_MARKER)

    def exit_code(self) -> int:
        """As the runtime reports it: the status, or 128 + the signal that ended it; 255 when unknown."""
        if self.process is None:
            return 255
        try:
            # wait, not poll: poll answers None while another thread (a prober, the watch loop) is reaping it.
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return 255
        return 128 - code if code < 0 else code

    def record(self) -> dict[str, Any]:
        return {"namespace": self.namespace, "name": self.name, "uid": self.uid, "pod_ip": self.pod_ip,
                "pid": self.pid, "rest_url": self.rest_url, "restart_count": self.restart_count,
                "last_terminated": self.last_terminated, "started_at": self.started_at,
                "first_ready_at": self.first_ready_at}

    def save(self, layout: Layout) -> None:
        (layout.worker_dir(*self.key) / "worker.json").write_text(json.dumps(self.record()), encoding="utf-8")


def debezium_plugins() -> Path:
    """The plugin.path entry holding debezium-connector-postgres/, keyed by the pom's content."""
    digest = hashlib.sha256(DEBEZIUM_POM.read_bytes()).hexdigest()[:12]
    return kafka.cache_dir() / "debezium" / f"plugins-{DEBEZIUM_VERSION}-{digest}"


def plugin_path() -> str:
    """The image's plugin folders: FileStream (from the worker build) and the Debezium PostgreSQL connector."""
    return f"{kafka.Artifacts().plugin_path},{debezium_plugins()}"


def fill_debezium(home: Path) -> None:
    kafka.copy_dependencies(DEBEZIUM_POM, home / "debezium-connector-postgres")


def worker_command(spec: worker_env.WorkerSpec, folder: Path, kafka_env: Mapping[str, str]) -> list[str]:
    """Java in the pod network namespace, in a mount namespace of its own where start.sh mounts the volumes."""
    artifacts = kafka.Artifacts()
    # The testbed CA stands in for the public CAs that a real image trusts (Event Hubs' certificate).
    trust = [f"-Djavax.net.ssl.trustStore={kafka_env['KAFKA_TRUSTSTORE']}",
             f"-Djavax.net.ssl.trustStoreType={kafka_env.get('KAFKA_TRUSTSTORE_TYPE', 'PKCS12')}",
             f"-Djavax.net.ssl.trustStorePassword={kafka_env['KAFKA_TRUSTSTORE_PASSWORD']}"]
    return ["ip", "netns", "exec", NETNS, "unshare", "--mount", "--propagation", "private", "--",
            "/bin/sh", str(folder / "start.sh"),
            "java", *shlex.split(spec.heap_opts), *kafka.class_sharing("worker", folder), "-XX:+ExitOnOutOfMemoryError",
            "-Djava.awt.headless=true", f"-Dlog4j2.configurationFile={folder / 'log4j2.properties'}", *trust,
            *shlex.split(spec.kafka_opts),
            "-cp", str(artifacts.worker_lib / "*"), "org.apache.kafka.connect.cli.ConnectDistributed",
            str(folder / "worker.properties")]


def record_mount_point(layout: Layout, path: Path) -> None:
    """Mount points the runner had to create on the machine; `down` removes them again."""
    listing = layout.pods / "mount-points.txt"
    known = listing.read_text(encoding="utf-8").splitlines() if listing.is_file() else []
    if str(path) not in known:
        with open(listing, "a", encoding="utf-8") as handle:
            handle.write(f"{path}\n")


def ensure_mount_point(layout: Layout, target: Path, is_dir: bool) -> None:
    missing = []
    for folder in [target, *target.parents] if is_dir else list(target.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):
        folder.mkdir(mode=0o755)
        record_mount_point(layout, folder)
    if not is_dir and not target.exists():
        target.touch(mode=0o644)
        record_mount_point(layout, target)


def remove_mount_points(layout: Layout) -> None:
    listing = layout.pods / "mount-points.txt"
    if not listing.is_file():
        return
    for line in reversed(listing.read_text(encoding="utf-8").splitlines()):
        path = Path(line)
        try:
            if path.is_dir():
                path.rmdir()  # only if empty: never a folder something else filled
            elif path.is_file() and path.stat().st_size == 0:
                path.unlink()
        except OSError:
            pass
    listing.unlink()


def materialize_volumes(layout: Layout, folder: Path, mounts: list[worker_env.Mount]) -> str:
    """Write each volume's files as the kubelet does and return the mount commands for start.sh."""
    root = folder / "volumes"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(mode=0o700, parents=True)
    root.chmod(0o700)  # Secret contents: only root (the worker) may read them on the machine
    commands = []
    for mount in mounts:
        source = root / mount.volume
        if not source.exists():
            source.mkdir(mode=0o755)
            for relative, (content, mode) in (mount.files or {}).items():
                file = source / relative
                file.parent.mkdir(parents=True, exist_ok=True)
                file.write_text(content, encoding="utf-8")
                file.chmod(mode)
        if mount.sub_path:
            source = source / mount.sub_path
            if not source.exists():
                source.mkdir(parents=True)  # the kubelet creates a missing subPath as a directory
        target = Path(mount.mount_path)
        ensure_mount_point(layout, target, source.is_dir())
        commands.append(f"mount --bind {shlex.quote(str(source))} {shlex.quote(str(target))}")
        if mount.read_only:
            commands.append(f"mount -o remount,bind,ro {shlex.quote(str(target))}")
    return "".join(f"{command}\n" for command in commands)


START_SCRIPT = """\
#!/bin/sh
# Written by the pod runner. It runs in this worker's own mount namespace, so the pod's volumes
# appear at their mountPath for this worker only, as the kubelet gives each container its view.
set -e
{mounts}exec "$@"
"""


def start_worker(layout: Layout, pod: Mapping[str, Any], spec: worker_env.WorkerSpec,
                 kafka_env: Mapping[str, str], mounts: list[worker_env.Mount] | None = None) -> Worker:
    metadata = pod["metadata"]
    pod_ip = pod["status"]["podIP"]
    folder = layout.worker_dir(metadata["namespace"], metadata["name"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "start.sh").write_text(START_SCRIPT.format(mounts=materialize_volumes(layout, folder, mounts or [])),
                                     encoding="utf-8")
    kafka.write_private(folder / "worker.properties", spec.properties_text or
                        worker_env.render_properties(spec.properties))
    (folder / "log4j2.properties").write_text(WORKER_LOG4J2, encoding="utf-8")
    POD_HOST_NAMES[pod_ip] = pod_host_names(pod)
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
    worker.save(layout)
    return worker


def stop_worker(layout: Layout, worker: Worker, keep_ip: bool = False, timeout: float = STOP_TIMEOUT) -> None:
    reap = worker.process.poll if worker.process is not None else None
    started = time.monotonic()
    terminate(worker.pid, WORKER_MARKER, timeout=timeout, reap=reap)
    log(f"worker {worker.namespace}/{worker.name} (pid {worker.pid}) stopped in {time.monotonic() - started:.1f}s")
    kafka.finish_class_archive(layout.worker_dir(*worker.key))
    if not keep_ip:
        remove_pod_ip(worker.pod_ip)
        if POD_HOST_NAMES.pop(worker.pod_ip, None):
            write_netns_hosts([])
    (layout.worker_dir(*worker.key) / "worker.json").unlink(missing_ok=True)


def recorded_workers(layout: Layout) -> list[Worker]:
    workers = []
    for record_file in sorted(layout.pods.glob("*/*/worker.json")):
        try:
            record = json.loads(record_file.read_text(encoding="utf-8"))
            worker = Worker(record["namespace"], record["name"], record["uid"], record["pod_ip"],
                            int(record["pid"]), record["rest_url"])
            worker.restart_count = int(record.get("restart_count") or 0)
            worker.last_terminated = record.get("last_terminated")
            worker.started_at = float(record.get("started_at") or time.time())
            worker.first_ready_at = record.get("first_ready_at") or ""
            workers.append(worker)
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

    Each worker gets a prober thread that plays the kubelet's prober: it runs the pod's readinessProbe
    and writes the pod's Ready condition, so Services route only to workers that answer, and runs the
    livenessProbe, killing (SIGTERM, SIGKILL after the grace period) and restarting a worker that fails
    it. A worker that exits, or is killed, is restarted with the kubelet's back-off (the first restart
    at once, then 10 s doubling to 5 min); the pod's containerStatuses report restartCount, state and
    lastState.terminated. A start-up watcher records when the worker first answers `GET /connectors`
    with 200 (annotation testbed.streamops.io/first-ready-at and first-ready-at in its folder).
    """

    def __init__(self, layout: Layout, connect: Callable[[], Any], kafka_env: Mapping[str, str]) -> None:
        self.layout = layout
        self.connect = connect
        self.core = connect()
        self.kafka_env = kafka_env
        self.serialize = self.core.api_client.sanitize_for_serialization
        self.workers: dict[tuple[str, str], Worker] = {}
        self.lock = threading.RLock()  # one reconciler at a time: the watch loop, or a prober after an exit
        self.failed: dict[tuple[str, str], str] = {}
        self.backoff: dict[tuple[str, str], tuple[int, float]] = {}  # crashes so far, no restart before
        self.history: dict[tuple[str, str], dict[str, Any]] = {}  # uid, restarts, last terminated state
        self.pods: dict[tuple[str, str], Mapping[str, Any]] = {}  # the last version seen of each wanted pod
        self.probers: dict[tuple[str, str], threading.Thread] = {}
        self.lost_pods: set[str] = set()  # uids of pods whose Node was deleted: their workers died with it
        self.nodes_checked = 0.0
        self.stopping = False
        self.last_failure = ""
        self.last_failure_logged = 0.0

    def adopt(self) -> None:
        """Workers a previous runner left running are kept; files of dead ones are dropped."""
        for worker in recorded_workers(self.layout):
            if worker.alive():
                self.workers[worker.key] = worker
                self.history[worker.key] = {"uid": worker.uid, "restarts": worker.restart_count,
                                            "last": worker.last_terminated, "pending": False}
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

    def spec_for(self, pod: Mapping[str, Any]) -> tuple[worker_env.WorkerSpec, list[worker_env.Mount]]:
        container = worker_env.select_container(pod, CONTAINER_ANNOTATION)
        configmaps, secrets = self.namespace_sources(pod["metadata"]["namespace"])
        env = worker_env.resolve_env(pod, container, configmaps, secrets)
        metadata = pod["metadata"]

        def token(expiration: int, audience: str | None) -> str:
            """A TokenRequest bound to the pod, as the kubelet makes for a projected serviceAccountToken."""
            spec = {"expirationSeconds": expiration, "boundObjectRef": {"kind": "Pod", "apiVersion": "v1",
                                                                        "name": metadata["name"],
                                                                        "uid": metadata.get("uid")}}
            if audience:
                spec["audiences"] = [audience]
            answer = self.core.create_namespaced_service_account_token(
                pod["spec"].get("serviceAccountName") or "default", metadata["namespace"], {"spec": spec})
            return answer.status.token

        mounts = worker_env.container_mounts(pod, container, configmaps, secrets, token)
        return worker_env.worker_spec(env, pod["status"]["podIP"], plugin_path()), mounts

    def reconcile_pod(self, pod: Mapping[str, Any], deleted: bool = False) -> None:
        with self.lock:
            self.reconcile_locked(pod, deleted)

    def reconcile_locked(self, pod: Mapping[str, Any], deleted: bool) -> None:
        key = (pod["metadata"]["namespace"], pod["metadata"]["name"])
        worker = self.workers.get(key)
        wanted = not deleted and wants_worker(pod) and pod["metadata"].get("uid") not in self.lost_pods
        current = worker is not None and worker.uid == pod["metadata"].get("uid") \
            and worker.pod_ip == (pod.get("status") or {}).get("podIP")
        if wanted:
            self.pods[key] = pod
        if worker is not None and wanted and current:
            worker.pod_ready = pod_is_ready(pod)
            if not worker.container:  # adopted from a previous runner: its probes come from the pod
                try:
                    worker.container, worker.readiness = pod_readiness(pod, adopted=True)
                    worker.startup, worker.liveness, worker.grace_period = pod_liveness(pod, adopted=True)
                except worker_env.WorkerEnvError as error:
                    self.report_failure(f"cannot probe worker {key[0]}/{key[1]}: {error}")
        if worker is not None and wanted and current and not worker.alive() and not worker.killing:
            self.record_crash(key, worker, self.core)
        elif worker is not None and not (wanted and current):
            log(f"stopping worker {key[0]}/{key[1]} (pid {worker.pid}, {worker.pod_ip}): pod gone, not running or not annotated")
            self.stop(key)
        if wanted and key not in self.workers and time.monotonic() >= self.backoff.get(key, (0, 0.0))[1]:
            self.start(key, pod)
        if not wanted:
            for table in (self.failed, self.backoff, self.pods, self.history):
                table.pop(key, None)

    def record_crash(self, key: tuple[str, str], worker: Worker, core: Any) -> None:
        """A kubelet's restart: at once the first time, then CrashLoopBackOff from 10 s, doubling up to 5 min."""
        finished = time.time()
        crashes = self.backoff.get(key, (0, 0.0))[0] + 1
        if finished - worker.started_at >= BACKOFF_RESET:
            crashes = 1
        delay = restart_delay(crashes)
        self.backoff[key] = (crashes, time.monotonic() + delay)
        code = worker.exit_code()
        terminated = {"exitCode": code, "reason": "Completed" if code == 0 else "Error",
                      "startedAt": rfc3339(worker.started_at), "finishedAt": rfc3339(finished)}
        self.history[key] = {"uid": worker.uid, "restarts": worker.restart_count, "last": terminated, "pending": True}
        why = worker.killing or "exited"
        log(f"worker {key[0]}/{key[1]} (pid {worker.pid}) {why} with code {code}; restart {crashes} "
            f"{'now' if delay == 0 else f'in {delay:.0f}s or later'}, see {self.layout.worker_dir(*key) / 'worker.log'}")
        self.stop(key)
        if worker.container:
            state = ({"terminated": terminated} if delay == 0 else
                     {"waiting": {"reason": "CrashLoopBackOff", "message": f"back-off {delay:.0f}s restarting failed "
                                  f"container={worker.container} pod={key[1]}"}})
            self.patch_status(core, worker, container_status_patch(worker.container, worker.restart_count,
                                                                   terminated, state, False))
            worker.pod_ready = False

    def start(self, key: tuple[str, str], pod: Mapping[str, Any]) -> None:
        try:
            spec, mounts = self.spec_for(pod)
            container, readiness = pod_readiness(pod)
            startup, liveness, grace_period = pod_liveness(pod)
        except worker_env.WorkerEnvError as error:
            if self.failed.get(key) != str(error):
                log(f"cannot start a worker for {key[0]}/{key[1]}: {error}")
            self.failed[key] = str(error)
            return
        self.failed.pop(key, None)
        history = self.history.get(key)
        if history is not None and history["uid"] != pod["metadata"].get("uid"):
            history = None  # a newer pod under the same name starts from nothing
        worker = start_worker(self.layout, pod, spec, self.kafka_env, mounts)
        worker.container, worker.readiness, worker.pod_ready = container, readiness, pod_is_ready(pod)
        worker.startup, worker.liveness, worker.grace_period = startup, liveness, grace_period
        if history is not None:
            worker.restart_count = history["restarts"] + (1 if history["pending"] else 0)
            worker.last_terminated = history["last"]
        self.history[key] = {"uid": worker.uid, "restarts": worker.restart_count, "last": worker.last_terminated,
                             "pending": False}
        worker.save(self.layout)
        with self.lock:
            self.workers[key] = worker
        log(f"started worker {key[0]}/{key[1]} (pid {worker.pid}) on {worker.rest_url}, "
            f"{spec.convention} convention, heap {spec.heap_opts}, restarts {worker.restart_count}")
        if worker.restart_count:
            state = {"running": {"startedAt": rfc3339(worker.started_at)}}
            self.patch_status(self.core, worker, container_status_patch(container, worker.restart_count,
                                                                        worker.last_terminated, state, False))
        threading.Thread(target=self.watch_first_ready, args=(worker,), name=f"first-ready {key[1]}",
                         daemon=True).start()

    def stop(self, key: tuple[str, str]) -> None:
        with self.lock:
            worker = self.workers.pop(key)
        # KWOK hands a freed IP to the next pod at once; the newcomer's worker may already hold it.
        shared = any(other.pod_ip == worker.pod_ip for other in self.workers.values())
        # SIGKILL after the pod's terminationGracePeriodSeconds, as the kubelet does (KWOK has already
        # removed a deleted pod: the runner cannot keep it Terminating through a preStop hook)
        stop_worker(self.layout, worker, keep_ip=shared, timeout=worker.grace_period)

    def reconcile_all(self, pods: list[Mapping[str, Any]]) -> None:
        with self.lock:
            seen = set()
            for pod in pods:
                seen.add((pod["metadata"]["namespace"], pod["metadata"]["name"]))
                self.reconcile_locked(pod, False)
            for table in (self.backoff, self.pods, self.history):
                for key in [key for key in table if key not in seen]:
                    del table[key]
            for key in [key for key in self.workers if key not in seen]:
                log(f"stopping worker {key[0]}/{key[1]} (pid {self.workers[key].pid}, {self.workers[key].pod_ip}): "
                    "pod deleted")
                self.stop(key)

    def beat(self) -> None:
        self.layout.heartbeat.write_text(json.dumps({"pid": os.getpid(), "time": time.time(),
                                                     "workers": len(self.workers)}), encoding="utf-8")

    def probe_forever(self) -> None:
        """Every tick: a prober thread for each worker that lacks one, and restarts whose back-off is over."""
        while not self.stopping:
            try:
                with self.lock:
                    for key, worker in self.workers.items():
                        thread = self.probers.get(key)
                        if thread is None or not thread.is_alive():
                            thread = threading.Thread(target=self.probe_worker, args=(worker,),
                                                      name=f"prober {key[1]}", daemon=True)
                            self.probers[key] = thread
                            thread.start()
                    due = [key for key, (_crashes, not_before) in self.backoff.items()
                           if key not in self.workers and key in self.pods and time.monotonic() >= not_before]
                    for key in due:
                        self.reconcile_locked(self.pods[key], False)
                if time.monotonic() - self.nodes_checked >= NODE_CHECK_SECONDS:
                    self.nodes_checked = time.monotonic()
                    self.lose_workers_of_deleted_nodes()
            except Exception as error:  # pylint: disable=broad-exception-caught
                self.report_failure(f"prober failed: {type(error).__name__}: {first_line(error)}")
                time.sleep(2)
            time.sleep(PROBE_TICK)

    def lose_workers_of_deleted_nodes(self) -> None:
        """A deleted Node stands for a machine that is gone: its workers die at once (SIGKILL, no leave) and never
        restart; their pods stay Running on paper until the pod garbage collector deletes them as orphans."""
        nodes = {node.metadata.name for node in self.core.list_node().items}
        with self.lock:
            for key, worker in list(self.workers.items()):
                node = ((self.pods.get(key) or {}).get("spec") or {}).get("nodeName")
                if node and node not in nodes:
                    log(f"node {node} is gone: killing worker {key[0]}/{key[1]} (pid {worker.pid}) with it")
                    self.lost_pods.add(worker.uid)
                    signal_process(worker.pid, signal.SIGKILL)
                    self.stop(key)

    def probe_worker(self, worker: Worker) -> None:
        """One container's probes, in a thread of its own as the kubelet's are: a hung worker delays no other."""
        core = None
        while not self.stopping and self.workers.get(worker.key) is worker:
            try:
                core = core or self.connect()
                self.probe_once(core, worker)
            except Exception as error:  # pylint: disable=broad-exception-caught
                self.report_failure(f"prober of {worker.namespace}/{worker.name} failed: "
                                    f"{type(error).__name__}: {first_line(error)}")
                core = None
                time.sleep(2)
            time.sleep(PROBE_TICK)

    def probe_once(self, core: Any, worker: Worker) -> None:
        alive = worker.alive()
        if not alive and not worker.killing:
            with self.lock:
                if self.workers.get(worker.key) is worker:
                    self.record_crash(worker.key, worker, core)
            return
        kill = None
        if alive and not worker.killing and worker.startup.update(time.monotonic(), worker.pod_ip):
            kill = ("startupProbe", worker.startup.probe)
        running = alive and not worker.killing and worker.startup.done
        ready = worker.readiness.update(time.monotonic(), running, worker.pod_ip)
        if worker.container and ready != worker.pod_ready:
            self.write_readiness(core, worker, ready)
        if running and worker.liveness.update(time.monotonic(), worker.pod_ip):
            kill = ("livenessProbe", worker.liveness.probe)
        if kill is not None:
            kind, probe = kill
            assert probe is not None
            worker.killing = f"failed its {kind} (GET {probe.path}, {probe.failure_threshold} times)"
            log(f"worker {worker.namespace}/{worker.name} (pid {worker.pid}) {worker.killing}: killing it with a "
                f"{worker.grace_period:.0f}s grace period")
            reap = worker.process.poll if worker.process is not None else None
            terminate(worker.pid, WORKER_MARKER, timeout=worker.grace_period, reap=reap)
            with self.lock:
                if self.workers.get(worker.key) is worker:
                    self.record_crash(worker.key, worker, core)

    def watch_first_ready(self, worker: Worker) -> None:
        """Record the moment the worker first answers `GET /connectors` with 200 (for readiness benches)."""
        url = f"{worker.rest_url}/connectors"
        while not self.stopping and self.workers.get(worker.key) is worker and worker.alive():
            try:
                with urllib.request.urlopen(url, timeout=1) as answer:
                    if answer.status == 200:
                        break
            except (OSError, ValueError):
                pass
            time.sleep(FIRST_READY_POLL)
        else:
            return
        worker.first_ready_at = rfc3339(ms=True)
        folder = self.layout.worker_dir(*worker.key)
        (folder / "first-ready-at").write_text(worker.first_ready_at + "\n", encoding="utf-8")
        worker.save(self.layout)
        from kubernetes.client.rest import ApiException  # pylint: disable=import-outside-toplevel
        patch = {"metadata": {"uid": worker.uid, "annotations": {FIRST_READY_ANNOTATION: worker.first_ready_at}}}
        try:
            self.connect().patch_namespaced_pod(worker.name, worker.namespace, patch)
        except ApiException as error:
            if error.status not in (404, 409, 422):
                self.report_failure(f"cannot annotate {worker.namespace}/{worker.name}: {error.status} {error.reason}")

    def patch_status(self, core: Any, worker: Worker, patch: dict[str, Any]) -> bool:
        """A strategic merge patch of the pod's status; False if the pod is gone or is a newer one."""
        from kubernetes.client.rest import ApiException  # pylint: disable=import-outside-toplevel
        patch["metadata"] = {"uid": worker.uid}  # never a newer pod that took the same name
        try:
            core.patch_namespaced_pod_status(worker.name, worker.namespace, patch,
                                             _content_type="application/strategic-merge-patch+json")
        except ApiException as error:
            if error.status not in (404, 409, 422):
                raise
            return False
        return True

    def write_readiness(self, core: Any, worker: Worker, ready: bool) -> None:
        if not self.patch_status(core, worker, readiness_patch(worker.container, ready)):
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
    # io.debezium:debezium-connector-postgres from Maven Central, beside FileStream on the workers' plugin.path.
    kafka.build_into(debezium_plugins(), fill_debezium)


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
    process: subprocess.Popen[bytes] | None = None
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

    def exited() -> bool:
        # The process just started is asked itself: until its exec completes, /proc shows the parent's
        # command line, which daemon_pid would take for a runner that is gone.
        return process.poll() is not None if process is not None else daemon_pid(layout) is None

    if not wait_until(lambda: layout.heartbeat.is_file() or exited(), DAEMON_START_TIMEOUT):
        raise TestbedError(f"the runner did not list pods within {DAEMON_START_TIMEOUT:.0f}s; see {layout.log}")
    if exited():
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
    # The network namespace is the machine's, not the state dir's: a state dir whose runner never came up
    # (another state dir's testbed held the ports) must not take the running testbed's pod network away.
    if pid is not None or layout.env_file.exists() or workers:
        delete_pod_network()
    remove_mount_points(layout)
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
              f"restarts={worker.restart_count} first-ready={worker.first_ready_at or '-'} GET /connectors: {rest}")
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
