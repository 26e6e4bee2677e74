# SPDX-License-Identifier: GPL-3.0-or-later
"""Real Kubernetes control plane on loopback for the testbed, without containers.

etcd, kube-apiserver, kube-controller-manager and kube-scheduler run as plain
processes; kwok plays the kubelets of three fake nodes (zones a, b, c) and gives
pods IPs from 198.18.0.0/16.

    python3 tests/testbed/kube.py build|up|down|status

Standard library only: it runs before any virtualenv exists.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
GO_MODULE = HERE / "go"
KWOK_MODULE = GO_MODULE / "kwok"
# kwok's default stages, as kwokctl installs them (node heartbeats use leases).
KWOK_STAGE_FILES = (
    "node/fast/node-initialize.yaml",
    "node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
    "pod/fast/pod-ready.yaml",
    "pod/fast/pod-complete.yaml",
    "pod/fast/pod-delete.yaml",
)

K8S_VERSION = "v1.36.3"
ETCD_VERSION = "v3.6.10"
KWOK_VERSION = "v0.8.0"

HOST = "127.0.0.1"
ETCD_PORT = 12379
ETCD_PEER_PORT = 12380
APISERVER_PORT = 16443
CONTROLLER_MANAGER_PORT = 16257
SCHEDULER_PORT = 16259
KWOK_PORT = 16247

# 198.18.0.0/15 is reserved for testing; private ranges are off limits here.
POD_CIDR = "198.18.0.0/16"
SERVICE_CIDR = "198.19.0.0/24"
SERVICE_IP = "198.19.0.1"
NODE_IP_FALLBACK = "198.19.254.254"
ZONES = ("a", "b", "c")
NODE_ALLOCATABLE = {"cpu": "16", "memory": "64Gi", "pods": "110"}
SA_ISSUER = "https://kubernetes.default.svc.cluster.local"

HEALTH_TIMEOUT = 90.0
STOP_TIMEOUT = 10.0


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(os.environ.get("TESTBED_CACHE") or Path(base) / "streamops-testbed")


def state_dir() -> Path:
    path = Path(os.environ.get("TESTBED_STATE") or "tests/output/testbed")
    return path if path.is_absolute() else REPO_ROOT / path


def k8s_bin_dir() -> Path:
    return cache_dir() / "bin" / f"k8s-{K8S_VERSION}"


def etcd_bin_dir() -> Path:
    return cache_dir() / "bin" / f"etcd-{ETCD_VERSION}"


def kwok_bin_dir() -> Path:
    return cache_dir() / "bin" / f"kwok-{KWOK_VERSION}"


def log(message: str) -> None:
    print(f"[kube] {message}", flush=True)


class TestbedError(RuntimeError):
    """A failure worth one clear line to the user, not a traceback."""


# --------------------------------------------------------------------- build


@dataclass(frozen=True)
class BuildTarget:
    name: str
    module: Path
    out_dir: Path
    packages: dict[str, str]  # binary name -> Go package
    ldflags: str = "-s -w"
    extra_file: str | None = None  # written by post_build next to the binaries
    post_build: Callable[[BuildTarget, Path], None] | None = None

    def outputs(self) -> list[Path]:
        names = [*self.packages, *([self.extra_file] if self.extra_file else [])]
        return [self.out_dir / name for name in names]


def k8s_ldflags() -> str:
    major, minor = K8S_VERSION.lstrip("v").split(".")[:2]
    # Without these, --version prints v0.0.0 and client version negotiation misbehaves.
    pairs = {
        "k8s.io/component-base/version.gitVersion": K8S_VERSION,
        "k8s.io/component-base/version.gitMajor": major,
        "k8s.io/component-base/version.gitMinor": minor,
        "k8s.io/component-base/version.gitTreeState": "clean",
        "k8s.io/client-go/pkg/version.gitVersion": K8S_VERSION,
    }
    return " ".join(["-s", "-w", *(f"-X {k}={v}" for k, v in pairs.items())])


def build_targets() -> list[BuildTarget]:
    k8s = {name: f"k8s.io/kubernetes/cmd/{name}"
           for name in ("kube-apiserver", "kube-controller-manager", "kube-scheduler")}
    return [
        BuildTarget("kubernetes", GO_MODULE, k8s_bin_dir(), k8s, k8s_ldflags()),
        BuildTarget("etcd", GO_MODULE, etcd_bin_dir(), {"etcd": "go.etcd.io/etcd/server/v3"}),
        BuildTarget("kwok", KWOK_MODULE, kwok_bin_dir(), {"kwok": "sigs.k8s.io/kwok/cmd/kwok"},
                    extra_file="stages.yaml", post_build=write_kwok_stages),
    ]


def kwok_stages() -> Path:
    return kwok_bin_dir() / "stages.yaml"


# Pods the pod runner gives a Connect worker get their readiness from its probes, not from kwok.
RUNNER_ANNOTATION = "testbed.streamops.io/connect-worker"
RUNNER_STAGE = HERE / "stages" / "pod-started-unready.yaml"
POD_READY_SELECTOR = "  name: pod-ready\n"
MATCH_EXPRESSIONS = "    matchExpressions:\n"
NOT_RUNNER_POD = f"""\
    - key: '.metadata.annotations["{RUNNER_ANNOTATION}"]'
      operator: 'NotIn'
      values:
      - 'true'
"""


def write_runtime_stages(layout: Layout) -> Path:
    """kwok's stages with pod-ready leaving the runner's pods to the runner's stage and probes."""
    documents = kwok_stages().read_text().split("---\n")
    for index, document in enumerate(documents):
        if POD_READY_SELECTOR in document:
            head, found, tail = document.partition(MATCH_EXPRESSIONS)
            if not found:
                raise TestbedError(f"kwok's pod-ready stage in {kwok_stages()} has no matchExpressions")
            documents[index] = head + found + NOT_RUNNER_POD + tail
            break
    else:
        raise TestbedError(f"kwok's pod-ready stage is missing from {kwok_stages()}")
    documents.append(RUNNER_STAGE.read_text())
    layout.kwok_stages.write_text("---\n".join(documents))
    return layout.kwok_stages


def write_kwok_stages(target: BuildTarget, out_dir: Path) -> None:
    """Copy kwok's stages out of the module cache, so runtime never depends on its layout."""
    module_dir = subprocess.run(
        ["go", "list", "-mod=readonly", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/kwok"],
        cwd=target.module, check=True, capture_output=True, text=True,
    ).stdout.strip()
    stage_dir = Path(module_dir) / "kustomize" / "stage"
    documents = [(stage_dir / name).read_text() for name in KWOK_STAGE_FILES]
    (out_dir / "stages.yaml").write_text("---\n".join(documents))


def go_build(target: BuildTarget) -> None:
    env = dict(os.environ, CGO_ENABLED="0", GOTOOLCHAIN="local")
    target.out_dir.parent.mkdir(parents=True, exist_ok=True)
    # Build into a scratch dir and rename, so an interrupted build never looks complete.
    scratch = Path(tempfile.mkdtemp(prefix=f".{target.out_dir.name}-", dir=target.out_dir.parent))
    try:
        for name, package in target.packages.items():
            # One package per call: `go build -o` only names a single binary.
            cmd = ["go", "build", "-p", "2", "-trimpath", "-mod=readonly",
                   "-ldflags", target.ldflags, "-o", str(scratch / name), package]
            subprocess.run(cmd, cwd=target.module, env=env, check=True)
        if target.post_build:
            target.post_build(target, scratch)
        if target.out_dir.exists():
            shutil.rmtree(target.out_dir)
        scratch.rename(target.out_dir)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def build() -> None:
    if shutil.which("go") is None:
        raise TestbedError("the Go toolchain is needed to build the control plane")
    for target in build_targets():
        if all(output.is_file() for output in target.outputs()):
            log(f"{target.name}: cached in {target.out_dir}")
            continue
        log(f"{target.name}: building into {target.out_dir} (a cold build takes minutes)")
        started = time.monotonic()
        go_build(target)
        log(f"{target.name}: built in {time.monotonic() - started:.0f}s")


# ----------------------------------------------------------------------- PKI


@dataclass(frozen=True)
class Layout:
    """Where everything lives inside the state dir."""

    root: Path

    @property
    def pki(self) -> Path:
        return self.root / "pki"

    @property
    def pids(self) -> Path:
        return self.root / "pids"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def etcd_data(self) -> Path:
        return self.root / "etcd"

    @property
    def ca_cert(self) -> Path:
        return self.pki / "ca.crt"

    @property
    def tokens(self) -> Path:
        return self.pki / "tokens.csv"

    @property
    def kwok_stages(self) -> Path:
        return self.root / "kwok-stages.yaml"

    @property
    def env_file(self) -> Path:
        return self.root / "kube.env"

    def kubeconfig(self, user: str) -> Path:
        return self.root / f"{user}.kubeconfig"


# Static tokens: the admin for tests, one identity per component so RBAC applies.
TOKEN_USERS = {
    "admin": ("admin", "system:masters"),
    "kube-controller-manager": ("system:kube-controller-manager", ""),
    "kube-scheduler": ("system:kube-scheduler", ""),
    "kwok": ("kwok", "system:masters"),
}


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def write_private(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(0o600)


CERT_DAYS = "3650"
APISERVER_SANS = ",".join([
    f"IP:{HOST}", f"IP:{SERVICE_IP}", "DNS:localhost", "DNS:kubernetes",
    "DNS:kubernetes.default", "DNS:kubernetes.default.svc",
    "DNS:kubernetes.default.svc.cluster.local",
])
FRONT_PROXY_CLIENT = "front-proxy-client"


def issue_cert(pki: Path, name: str, common_name: str, extensions: str) -> None:
    """Key and certificate `name`, signed by the testbed CA."""
    ext_file = pki / f"{name}.ext"
    ext_file.write_text("basicConstraints=CA:FALSE\n"
                        "keyUsage=critical,digitalSignature,keyEncipherment\n" + extensions)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={common_name}",
            "-keyout", str(pki / f"{name}.key"), "-out", str(pki / f"{name}.csr"))
    openssl("x509", "-req", "-in", str(pki / f"{name}.csr"), "-CA", str(pki / "ca.crt"),
            "-CAkey", str(pki / "ca.key"), "-CAcreateserial", "-days", CERT_DAYS,
            "-extfile", str(ext_file), "-out", str(pki / f"{name}.crt"))


def generate_pki(layout: Layout) -> None:
    pki = layout.pki
    if layout.tokens.is_file():
        return
    if shutil.which("openssl") is None:
        raise TestbedError("openssl is needed to create the testbed PKI")
    log(f"creating PKI in {pki}")
    pki.mkdir(parents=True, exist_ok=True)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", CERT_DAYS,
            "-subj", "/CN=streamops-testbed-ca", "-keyout", str(pki / "ca.key"),
            "-out", str(pki / "ca.crt"))
    issue_cert(pki, "apiserver", "kube-apiserver",
               f"extendedKeyUsage=serverAuth\nsubjectAltName={APISERVER_SANS}\n")
    # The aggregation layer's client identity; without it every component logs CA errors.
    issue_cert(pki, FRONT_PROXY_CLIENT, FRONT_PROXY_CLIENT, "extendedKeyUsage=clientAuth\n")
    openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
            "-out", str(pki / "sa.key"))
    openssl("pkey", "-in", str(pki / "sa.key"), "-pubout", "-out", str(pki / "sa.pub"))
    lines = [f'{os.urandom(24).hex()},{user},{user},"{group}"' if group
             else f"{os.urandom(24).hex()},{user},{user}"
             for user, group in TOKEN_USERS.values()]
    # Written last: its presence marks a complete PKI.
    write_private(layout.tokens, "\n".join(lines) + "\n")


def read_tokens(layout: Layout) -> dict[str, str]:
    by_user: dict[str, str] = {}
    for line in layout.tokens.read_text().splitlines():
        token, user = line.split(",")[:2]
        by_user[user] = token
    return {name: by_user[user] for name, (user, _group) in TOKEN_USERS.items()}


def apiserver_url() -> str:
    return f"https://{HOST}:{APISERVER_PORT}"


def write_kubeconfig(layout: Layout, name: str, token: str) -> Path:
    path = layout.kubeconfig(name)
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "testbed", "cluster": {
            "server": apiserver_url(), "certificate-authority": str(layout.ca_cert)}}],
        "users": [{"name": name, "user": {"token": token}}],
        "contexts": [{"name": "testbed", "context": {"cluster": "testbed", "user": name}}],
        "current-context": "testbed",
    }
    # JSON is valid YAML, so no YAML library is needed.
    write_private(path, json.dumps(config, indent=2) + "\n")
    return path


def write_env_file(layout: Layout, admin_token: str) -> None:
    values = {
        "KUBECONFIG": layout.kubeconfig("admin"),
        "K8S_AUTH_HOST": apiserver_url(),
        "K8S_AUTH_API_KEY": admin_token,
        "K8S_AUTH_VERIFY_SSL": "True",
        "K8S_AUTH_SSL_CA_CERT": layout.ca_cert,
    }
    write_private(layout.env_file, "".join(f"{k}={v}\n" for k, v in values.items()))


# ----------------------------------------------------------------- processes


@dataclass
class Component:
    name: str
    binary: Path
    port: int
    args: list[str]
    health: Callable[[], bool]
    extra_env: dict[str, str] = field(default_factory=dict)


def http_ok(url: str, token: str | None = None, context: ssl.SSLContext | None = None) -> bool:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=3, context=context) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def insecure_context() -> ssl.SSLContext:
    # Controller manager and scheduler serve a self-signed cert; only /healthz is read.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def ca_context(layout: Layout) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(layout.ca_cert))


def components(layout: Layout, tokens: dict[str, str]) -> list[Component]:
    pki = layout.pki
    etcd_url = f"http://{HOST}:{ETCD_PORT}"
    peer_url = f"http://{HOST}:{ETCD_PEER_PORT}"
    k8s = k8s_bin_dir()
    return [
        Component("etcd", etcd_bin_dir() / "etcd", ETCD_PORT, [
            "--name=testbed", f"--data-dir={layout.etcd_data}",
            f"--listen-client-urls={etcd_url}", f"--advertise-client-urls={etcd_url}",
            f"--listen-peer-urls={peer_url}", f"--initial-advertise-peer-urls={peer_url}",
            f"--initial-cluster=testbed={peer_url}", "--auto-compaction-retention=1",
            # A throwaway cluster: durability is not worth the fsync latency.
            "--unsafe-no-fsync=true",
        ], lambda: http_ok(f"{etcd_url}/health")),
        Component("kube-apiserver", k8s / "kube-apiserver", APISERVER_PORT, [
            f"--etcd-servers={etcd_url}", f"--bind-address={HOST}",
            f"--secure-port={APISERVER_PORT}", f"--advertise-address={HOST}",
            # A loopback advertise address may not go into the kubernetes Endpoints.
            "--endpoint-reconciler-type=none",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            f"--tls-cert-file={pki / 'apiserver.crt'}",
            f"--tls-private-key-file={pki / 'apiserver.key'}",
            f"--client-ca-file={layout.ca_cert}", f"--token-auth-file={layout.tokens}",
            "--authorization-mode=Node,RBAC", "--allow-privileged=true",
            f"--service-account-key-file={pki / 'sa.pub'}",
            f"--service-account-signing-key-file={pki / 'sa.key'}",
            f"--service-account-issuer={SA_ISSUER}",
            f"--requestheader-client-ca-file={layout.ca_cert}",
            f"--requestheader-allowed-names={FRONT_PROXY_CLIENT}",
            "--requestheader-username-headers=X-Remote-User",
            "--requestheader-group-headers=X-Remote-Group",
            "--requestheader-extra-headers-prefix=X-Remote-Extra-",
            f"--proxy-client-cert-file={pki / (FRONT_PROXY_CLIENT + '.crt')}",
            f"--proxy-client-key-file={pki / (FRONT_PROXY_CLIENT + '.key')}",
            "--profiling=false",
        ], lambda: http_ok(f"{apiserver_url()}/readyz", tokens["admin"], ca_context(layout))),
        Component("kube-controller-manager", k8s / "kube-controller-manager", CONTROLLER_MANAGER_PORT, [
            f"--kubeconfig={layout.kubeconfig('kube-controller-manager')}",
            f"--authentication-kubeconfig={layout.kubeconfig('kube-controller-manager')}",
            f"--authorization-kubeconfig={layout.kubeconfig('kube-controller-manager')}",
            f"--bind-address={HOST}", f"--secure-port={CONTROLLER_MANAGER_PORT}",
            f"--cert-dir={pki / 'kube-controller-manager'}",
            "--controllers=*", "--use-service-account-credentials=true",
            f"--root-ca-file={layout.ca_cert}",
            f"--service-account-private-key-file={pki / 'sa.key'}",
            f"--cluster-signing-cert-file={layout.ca_cert}",
            f"--cluster-signing-key-file={pki / 'ca.key'}",
            f"--service-cluster-ip-range={SERVICE_CIDR}",
            "--leader-elect=false", "--profiling=false",
        ], lambda: http_ok(f"https://{HOST}:{CONTROLLER_MANAGER_PORT}/healthz",
                           context=insecure_context())),
        Component("kube-scheduler", k8s / "kube-scheduler", SCHEDULER_PORT, [
            f"--kubeconfig={layout.kubeconfig('kube-scheduler')}",
            f"--authentication-kubeconfig={layout.kubeconfig('kube-scheduler')}",
            f"--authorization-kubeconfig={layout.kubeconfig('kube-scheduler')}",
            f"--bind-address={HOST}", f"--secure-port={SCHEDULER_PORT}",
            f"--cert-dir={pki / 'kube-scheduler'}",
            "--leader-elect=false", "--profiling=false",
        ], lambda: http_ok(f"https://{HOST}:{SCHEDULER_PORT}/healthz",
                           context=insecure_context())),
        Component("kwok", kwok_bin_dir() / "kwok", KWOK_PORT, [
            f"--kubeconfig={layout.kubeconfig('kwok')}", f"--config={layout.kwok_stages}",
            "--manage-all-nodes=false",
            "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
            f"--cidr={POD_CIDR}", f"--node-ip={NODE_IP_FALLBACK}",
            "--node-lease-duration-seconds=40", f"--server-address={HOST}:{KWOK_PORT}",
        ], lambda: http_ok(f"http://{HOST}:{KWOK_PORT}/healthz")),
    ]


def pid_file(layout: Layout, name: str) -> Path:
    return layout.pids / f"{name}.pid"


def read_pid(layout: Layout, name: str) -> int | None:
    try:
        return int(pid_file(layout, name).read_text().strip())
    except (OSError, ValueError):
        return None


def is_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] not in ("Z", "X")


def process_runs(pid: int, binary_name: str) -> bool:
    """True if pid is alive and still the binary we started (pids get reused)."""
    try:
        # /proc/PID/cmdline is briefly empty during exec; the exe link is not.
        executable = os.readlink(f"/proc/{pid}/exe").removesuffix(" (deleted)")
    except OSError:
        return False
    return is_alive(pid) and Path(executable).name == binary_name


def running_pid(layout: Layout, component: Component) -> int | None:
    pid = read_pid(layout, component.name)
    if pid is not None and process_runs(pid, component.binary.name):
        return pid
    return None


def log_tail(layout: Layout, name: str, lines: int = 25) -> str:
    try:
        text = (layout.logs / f"{name}.log").read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1)
        return probe.connect_ex((HOST, port)) == 0


def start(layout: Layout, component: Component) -> int:
    if not component.binary.is_file():
        raise TestbedError(f"{component.binary} is missing: run `kube.py build` first")
    # Otherwise the health check would happily talk to someone else's server.
    if port_taken(component.port):
        raise TestbedError(f"{component.name}: {HOST}:{component.port} is taken by a process this "
                           f"state dir did not start (another TESTBED_STATE's testbed?)")
    layout.logs.mkdir(parents=True, exist_ok=True)
    layout.pids.mkdir(parents=True, exist_ok=True)
    with open(layout.logs / f"{component.name}.log", "ab") as log_file:
        # Own session: the process outlives this script and ignores the terminal's signals.
        process = subprocess.Popen(
            [str(component.binary), *component.args],
            cwd=layout.root, stdin=subprocess.DEVNULL, stdout=log_file,
            stderr=subprocess.STDOUT, start_new_session=True,
            env=dict(os.environ, **component.extra_env),
        )
    pid_file(layout, component.name).write_text(f"{process.pid}\n")
    return process.pid


def wait_until(check: Callable[[], bool], timeout: float, interval: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return check()


def wait_healthy(layout: Layout, component: Component, pid: int) -> None:
    deadline = time.monotonic() + HEALTH_TIMEOUT
    while not component.health():
        if not is_alive(pid):
            problem = "exited"
        elif time.monotonic() > deadline:
            problem = f"is not healthy after {HEALTH_TIMEOUT:.0f}s"
        else:
            time.sleep(0.5)
            continue
        raise TestbedError(
            f"{component.name} {problem}; last lines of {layout.logs / component.name}.log:\n"
            f"{log_tail(layout, component.name)}"
        )


def ensure_running(layout: Layout, component: Component) -> None:
    pid = running_pid(layout, component)
    if pid is not None and component.health():
        log(f"{component.name}: already running (pid {pid})")
        return
    if pid is None:
        pid = start(layout, component)
        log(f"{component.name}: started (pid {pid})")
    wait_healthy(layout, component, pid)
    log(f"{component.name}: healthy")


def stop(layout: Layout, component: Component) -> None:
    pid = running_pid(layout, component)
    if pid is not None:
        signal_group(pid, signal.SIGTERM)
        if not wait_until(lambda: not process_runs(pid, component.binary.name), STOP_TIMEOUT, 0.1):
            log(f"{component.name}: no exit after SIGTERM, killing")
            signal_group(pid, signal.SIGKILL)
            wait_until(lambda: not process_runs(pid, component.binary.name), STOP_TIMEOUT, 0.1)
        log(f"{component.name}: stopped (pid {pid})")
    pid_file(layout, component.name).unlink(missing_ok=True)


def signal_group(pid: int, signum: signal.Signals) -> None:
    # Each component leads its own session, so its group id is its pid.
    try:
        os.killpg(pid, signum)
    except ProcessLookupError:
        pass


# ------------------------------------------------------------------- the API


class Api:
    """Just enough of a Kubernetes client for the bootstrap objects."""

    def __init__(self, layout: Layout, token: str) -> None:
        self.token = token
        self.context = ca_context(layout)

    def request(self, method: str, path: str, body: Any | None = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(apiserver_url() + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=10, context=self.context) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")


def node_manifest(zone: str, index: int) -> dict[str, Any]:
    name = f"testbed-{zone}"
    resources = dict(NODE_ALLOCATABLE)
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {"kwok.x-k8s.io/node": "fake"},
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "topology.kubernetes.io/zone": zone,
                "type": "kwok",
            },
        },
        # Nodes accept status on create; kwok's node-initialize keeps these values.
        "status": {
            "allocatable": resources,
            "capacity": resources,
            "addresses": [
                {"type": "InternalIP", "address": f"198.19.254.{index + 1}"},
                {"type": "Hostname", "address": name},
            ],
        },
    }


def ensure_nodes(api: Api) -> None:
    for index, zone in enumerate(ZONES):
        code, body = api.request("POST", "/api/v1/nodes", node_manifest(zone, index))
        if code not in (201, 409):
            raise TestbedError(f"creating node testbed-{zone} failed ({code}): {body}")


def nodes_ready(api: Api) -> bool:
    code, body = api.request("GET", "/api/v1/nodes?labelSelector=type%3Dkwok")
    if code != 200:
        return False
    ready = [
        node for node in body.get("items", [])
        if any(c["type"] == "Ready" and c["status"] == "True"
               for c in node.get("status", {}).get("conditions", []))
    ]
    return len(ready) >= len(ZONES)


def service_accounts_work(api: Api) -> bool:
    # The default ServiceAccount appears once the controller manager really works.
    return api.request("GET", "/api/v1/namespaces/default/serviceaccounts/default")[0] == 200


def wait_for_cluster(api: Api, layout: Layout) -> None:
    checks: list[tuple[str, str, Callable[[], bool]]] = [
        ("nodes Ready", "kwok", lambda: nodes_ready(api)),
        ("default ServiceAccount", "kube-controller-manager", lambda: service_accounts_work(api)),
    ]
    for what, owner, check in checks:
        if not wait_until(check, HEALTH_TIMEOUT):
            raise TestbedError(f"{what}: not there after {HEALTH_TIMEOUT:.0f}s; "
                               f"last lines of {owner}.log:\n{log_tail(layout, owner)}")


# ------------------------------------------------------------------ commands


def prepare(layout: Layout) -> dict[str, str]:
    layout.root.mkdir(parents=True, exist_ok=True)
    generate_pki(layout)
    write_runtime_stages(layout)
    tokens = read_tokens(layout)
    for name, token in tokens.items():
        write_kubeconfig(layout, name, token)
    return tokens


def up() -> None:
    started = time.monotonic()
    layout = Layout(state_dir())
    tokens = prepare(layout)
    for component in components(layout, tokens):
        ensure_running(layout, component)
    api = Api(layout, tokens["admin"])
    ensure_nodes(api)
    wait_for_cluster(api, layout)
    write_env_file(layout, tokens["admin"])
    log(f"up in {time.monotonic() - started:.1f}s; environment in {layout.env_file}")


def down() -> None:
    layout = Layout(state_dir())
    tokens = read_tokens(layout) if layout.tokens.is_file() else {n: "" for n in TOKEN_USERS}
    for component in reversed(components(layout, tokens)):
        stop(layout, component)
    # Each `up` after a `down` starts from an empty cluster.
    shutil.rmtree(layout.etcd_data, ignore_errors=True)
    layout.env_file.unlink(missing_ok=True)


def status() -> int:
    layout = Layout(state_dir())
    if not layout.tokens.is_file():
        print("testbed kube: not set up")
        return 1
    failures = 0
    for component in components(layout, read_tokens(layout)):
        pid = running_pid(layout, component)
        healthy = pid is not None and component.health()
        failures += not healthy
        state = "healthy" if healthy else ("unhealthy" if pid else "stopped")
        print(f"{component.name:<24} pid={pid or '-':<8} {state}")
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["build", "up", "down", "status"])
    command = parser.parse_args(argv).command
    try:
        if command == "status":
            return status()
        {"build": build, "up": up, "down": down}[command]()
    except TestbedError as error:
        print(f"[kube] error: {error}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as error:
        print(f"[kube] error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
