# SPDX-License-Identifier: GPL-3.0-or-later
"""A real Kafka broker that authenticates like Azure Event Hubs: `python tests/testbed/kafka.py build|up|down|status`.

Kafka (versions.json's broker_kafka) from Maven Central in KRaft combined mode (broker + controller, one JVM). Clients
speak SASL_SSL with mechanism PLAIN, user name `$ConnectionString` and a namespace connection
string as password, as on Event Hubs' port 9093:

  PODS        198.19.255.1:9093  the host end of the pods' veth; advertised as
                                 testbed.servicebus.windows.net:9093, which the pod network
                                 namespace resolves to 198.19.255.1 (any *.servicebus.windows.net)
  LOCAL       127.0.0.1:19093    host-side tests; also the inter-broker listener
  CONTROLLER  127.0.0.1:19094    KRaft quorum, plaintext, loopback only

Valid passwords are the lines of the ARM test double's credentials file
($ARM_DOUBLE_KAFKA_CREDENTIALS, default $TESTBED_STATE/kafka-credentials.txt), re-read when it
changes, plus the testbed's own connection string (KAFKA_TESTBED_CONNECTION_STRING in kafka.env),
so the broker is usable with or without the double.

With the double running, the broker is its Event Hubs namespaces (README-kafka.md): no auto-creation, the
principal is the connection string's `<namespace>/<rule>` (the testbed's own string is the superuser
`operator`), the double's sync (arm_double/kafka_sync.py) turns event hubs into topics and rights into
ACLs, and a namespace's CreateTopics / AlterConfigs go through the double's validation.

When the double's arm.env is there at `up`, PODS and LOCAL also take SASL OAUTHBEARER, Microsoft Entra ID
tokens as Event Hubs takes them: the namespace handler (java/) takes only a namespace audience and hands the
token to Kafka's OAuthBearerValidatorCallbackHandler configured with that audience, the double's JWKS and
issuer (signature, issuer, audience, expiry), then names the principal `<namespace>/<oid>`, whose ACLs are
its role assignments. A namespace with local auth disabled has no connection string in the credentials
file, so its SAS logins fail.

`build` also resolves the Connect worker's classpath, which the pod runner (`pod_runner.py`) uses.
"""
from __future__ import annotations

import argparse
import base64
import fcntl
import hashlib
import ipaddress
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
MAVEN_DIR = HERE / "maven"
JAVA_SOURCES = HERE / "java"

# One source for the versions (versions.json): the broker's Kafka, and the workers', which is the default image's.
VERSIONS = json.loads((HERE / "versions.json").read_text())
KAFKA_VERSION = VERSIONS["broker_kafka"]
WORKER_KAFKA_VERSION = VERSIONS["worker_kafka"]
AUTH_HANDLER_CLASS = "io.streamops.testbed.ConnectionStringCallbackHandler"
OAUTH_HANDLER_CLASS = "io.streamops.testbed.NamespaceOAuthValidatorCallbackHandler"
OAUTH_LOGIN_MODULE = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule"
# Kafka 4.0+ fetches no OAuth URL (JWKS, token endpoint) that this JVM system property does not list.
ALLOWED_URLS_PROPERTY = "org.apache.kafka.sasl.oauthbearer.allowed.urls"
# A token session ends at the token's expiry (or this, whichever comes first): clients must re-authenticate.
OAUTH_MAX_REAUTH_MS = 300_000
AUTHORIZER_CLASS = "io.streamops.testbed.NamespaceAuthorizer"
POLICY_CLASS = "io.streamops.testbed.NamespaceTopicPolicy"
SYNC_URL_PROPERTY = "streamops.testbed.sync.url.file"
# The broker's own principals: inter-broker (LOCAL listener), the testbed's operator connection string, and
# ANONYMOUS, which is what the loopback-only plaintext CONTROLLER listener (KRaft quorum, broker registration) sees.
SUPER_USERS = ("User:broker", "User:operator", "User:ANONYMOUS")
# Event Hubs refuses records and requests over 1 MB.
MAX_MESSAGE_BYTES = 1024 * 1024
CONNECT_FILE_JAR = f"connect-file-{WORKER_KAFKA_VERSION}.jar"

# The host end of the pods' veth pair (pod_runner.py creates it); 198.18.0.0/15 is for testing.
PODS_LISTENER_IP = "198.19.255.1"
PODS_PORT = 9093
PODS_VETH = Path("/sys/class/net/sop-host")  # pod_runner.HOST_VETH
ADVERTISED_HOST = "testbed.servicebus.windows.net"
LOCAL_IP = "127.0.0.1"
LOCAL_PORT = 19093
CONTROLLER_PORT = 19094
USERNAME = "$ConnectionString"

# The client compiler only: on two shared cores, C2's compile threads cost seconds of start time and
# a test broker never runs long enough to win them back.
BROKER_JVM_OPTIONS = ["-Xms256m", "-Xmx512m", "-XX:TieredStopAtLevel=1"]
START_TIMEOUT = 180.0
STOP_TIMEOUT = 30.0


def log(message: str) -> None:
    print(f"[kafka] {message}", flush=True)


class TestbedError(RuntimeError):
    """A failure worth one clear line to the user, not a traceback."""


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(os.environ.get("TESTBED_CACHE") or Path(base) / "streamops-testbed")


def state_dir() -> Path:
    path = Path(os.environ.get("TESTBED_STATE") or "tests/output/testbed")
    return (path if path.is_absolute() else REPO_ROOT / path).resolve()


def content_key(*paths: Path, version: str = KAFKA_VERSION) -> str:
    """Version plus a digest of the build inputs, so a changed pom or source rebuilds."""
    digest = hashlib.sha256()
    for path in paths:
        for file in sorted(p for p in ([path] if path.is_file() else path.rglob("*")) if p.is_file()):
            digest.update(file.relative_to(HERE).as_posix().encode())
            digest.update(file.read_bytes())
    return f"{version}-{digest.hexdigest()[:12]}"


# --------------------------------------------------------------------- build


@dataclass(frozen=True)
class Artifacts:
    """Where `build` puts the broker's and the worker's classpaths in the cache."""

    @property
    def broker_lib(self) -> Path:
        return cache_dir() / "kafka" / f"broker-{content_key(MAVEN_DIR / 'broker' / 'pom.xml')}" / "lib"

    @property
    def worker_home(self) -> Path:
        return cache_dir() / "kafka" / f"worker-{content_key(MAVEN_DIR / 'worker' / 'pom.xml', version=WORKER_KAFKA_VERSION)}"

    @property
    def worker_lib(self) -> Path:
        return self.worker_home / "lib"

    @property
    def plugin_path(self) -> Path:
        """Connect's plugin.path: one folder per plugin, like a real image's."""
        return self.worker_home / "plugins"

    @property
    def auth_jar(self) -> Path:
        key = content_key(JAVA_SOURCES, MAVEN_DIR / "broker" / "pom.xml")
        return cache_dir() / "kafka" / f"auth-{key}" / "testbed-auth.jar"


def build_into(target: Path, fill: Callable[[Path], None]) -> None:
    """Fill a scratch dir and rename it into place, so an interrupted build never looks complete."""
    if target.exists():
        log(f"cached: {target}")
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        started = time.monotonic()
        fill(scratch)
        scratch.rename(target)
        log(f"built {target} in {time.monotonic() - started:.0f}s")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def copy_dependencies(pom: Path, output: Path) -> None:
    if shutil.which("mvn") is None:
        raise TestbedError("Maven (mvn) is needed to fetch Kafka from Maven Central")
    command = ["mvn", "-B", "-q", "-Dstyle.color=never", "-f", str(pom), "dependency:copy-dependencies",
               "-DincludeScope=runtime", f"-DoutputDirectory={output}"]
    subprocess.run(command, check=True, stdin=subprocess.DEVNULL)


def fill_broker(home: Path) -> None:
    copy_dependencies(MAVEN_DIR / "broker" / "pom.xml", home / "lib")


def fill_worker(home: Path) -> None:
    copy_dependencies(MAVEN_DIR / "worker" / "pom.xml", home / "lib")
    plugin = home / "plugins" / "connect-file"
    plugin.mkdir(parents=True)
    # FileStream connectors load through plugin.path, the way a real image ships its plugins.
    (home / "lib" / CONNECT_FILE_JAR).rename(plugin / CONNECT_FILE_JAR)


def fill_auth_jar(folder: Path) -> None:
    classes = folder / "classes"
    sources = sorted(str(p) for p in JAVA_SOURCES.rglob("*.java"))
    classpath = str(Artifacts().broker_lib / "*")
    subprocess.run(["javac", "--release", "17", "-Xlint:all", "-Werror", "-d", str(classes), "-cp", classpath, *sources],
                   check=True)
    subprocess.run(["jar", "--create", "--file", str(folder / "testbed-auth.jar"), "-C", str(classes), "."], check=True)
    shutil.rmtree(classes)


def build() -> None:
    for tool in ("java", "javac", "jar", "keytool", "openssl"):
        if shutil.which(tool) is None:
            raise TestbedError(f"{tool} is needed (Java 17 JDK and openssl)")
    artifacts = Artifacts()
    build_into(artifacts.broker_lib.parent, fill_broker)
    build_into(artifacts.worker_home, fill_worker)
    build_into(artifacts.auth_jar.parent, fill_auth_jar)


# ----------------------------------------------------------------------- state


@dataclass(frozen=True)
class Layout:
    """Where everything lives inside the state dir: the testbed's own broker (`namespace` None), or the broker
    of one Event Hubs namespace of the ARM double, which shares the testbed's PKI and operator credential."""

    root: Path
    namespace: str | None = None

    @property
    def base(self) -> Path:
        return self.root / "kafka"

    @property
    def home(self) -> Path:
        return self.base if self.namespace is None else self.base / "namespaces" / self.namespace

    @property
    def data(self) -> Path:
        return self.home / "data"

    @property
    def formatted(self) -> Path:
        """A freshly formatted, empty log dir: copied into `data` on each up, which saves the format JVM.
        Namespace brokers copy the testbed broker's with a cluster id of their own."""
        return self.base / "formatted"

    @property
    def pki(self) -> Path:
        return self.base / "pki"

    @property
    def ca_cert(self) -> Path:
        return self.pki / "ca.crt"

    @property
    def keystore(self) -> Path:
        return self.pki / "broker.pem"

    @property
    def truststore(self) -> Path:
        return self.pki / "truststore.p12"

    @property
    def truststore_password(self) -> Path:
        return self.pki / "truststore.password"

    @property
    def testbed_credentials(self) -> Path:
        """The testbed's own connection string: valid whatever the ARM double writes, on every broker."""
        return self.base / "testbed-credentials.txt"

    @property
    def broker_secret(self) -> Path:
        return self.base / "inter-broker.secret"

    @property
    def server_properties(self) -> Path:
        return self.home / "server.properties"

    @property
    def log4j2(self) -> Path:
        return self.base / "log4j2.properties"

    @property
    def log(self) -> Path:
        return self.root / "logs" / ("kafka.log" if self.namespace is None else f"kafka-{self.namespace}.log")

    @property
    def pid(self) -> Path:
        return self.root / "pids" / "kafka.pid" if self.namespace is None else self.home / "broker.pid"

    @property
    def env_file(self) -> Path:
        return self.root / "kafka.env"

    @property
    def sync_url_file(self) -> Path:
        """Where the ARM double's namespace sync (arm_double/kafka_sync.py) writes the URL this broker's policy asks."""
        return self.root / "arm" / "kafka-sync.url" if self.namespace is None else self.home / "sync.url"


@dataclass(frozen=True)
class Listeners:
    """Where one broker takes clients (SASL_SSL, as Event Hubs on 9093), its loopback inter-broker listener and
    its KRaft controller (plaintext, loopback only)."""

    client_ip: str = PODS_LISTENER_IP
    advertised_host: str = ADVERTISED_HOST
    local_port: int = LOCAL_PORT
    controller_port: int = CONTROLLER_PORT
    # The testbed's own broker calls its client listener PODS (the pods' veth), a namespace's broker NAMESPACE.
    client_name: str = "PODS"


def credentials_file(layout: Layout) -> Path:
    """The ARM double's file of valid connection strings, one a line."""
    configured = os.environ.get("ARM_DOUBLE_KAFKA_CREDENTIALS")
    return Path(configured).resolve() if configured else layout.root / "kafka-credentials.txt"


def write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    path.chmod(0o600)


def read_or_create_secret(path: Path, make: Callable[[], str]) -> str:
    if not path.is_file():
        write_private(path, make() + "\n")
    return path.read_text(encoding="utf-8").strip()


def testbed_connection_string() -> str:
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    return (f"Endpoint=sb://{ADVERTISED_HOST}/;SharedAccessKeyName=RootManageSharedAccessKey;"
            f"SharedAccessKey={key}")


# ----------------------------------------------------------------------- PKI


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def broker_sans() -> str:
    return ",".join([f"DNS:*.{ADVERTISED_HOST.split('.', 1)[1]}", "DNS:localhost",
                     f"IP:{LOCAL_IP}", f"IP:{PODS_LISTENER_IP}"])


def generate_pki(layout: Layout) -> None:
    """A testbed CA and a broker certificate valid for every *.servicebus.windows.net name."""
    pki = layout.pki
    if layout.keystore.is_file() and layout.truststore.is_file():
        return
    pki.mkdir(parents=True, exist_ok=True)
    ca_key, broker_key, csr = pki / "ca.key", pki / "broker.key", pki / "broker.csr"
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650", "-keyout", str(ca_key),
            "-out", str(layout.ca_cert), "-subj", "/CN=streamops testbed Kafka CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(broker_key), "-out", str(csr),
            "-subj", f"/CN={ADVERTISED_HOST}")
    extensions = pki / "broker.ext"
    extensions.write_text(f"subjectAltName={broker_sans()}\nextendedKeyUsage=serverAuth,clientAuth\n"
                          "keyUsage=critical,digitalSignature,keyEncipherment\n", encoding="utf-8")
    broker_cert = pki / "broker.crt"
    openssl("x509", "-req", "-in", str(csr), "-CA", str(layout.ca_cert), "-CAkey", str(ca_key),
            "-CAcreateserial", "-days", "3650", "-extfile", str(extensions), "-out", str(broker_cert))
    # Kafka's PEM keystore wants an unencrypted PKCS#8 key followed by the chain in one file.
    pkcs8 = subprocess.run(["openssl", "pkcs8", "-topk8", "-nocrypt", "-in", str(broker_key)],
                           check=True, capture_output=True, text=True).stdout
    write_private(layout.keystore, pkcs8 + broker_cert.read_text() + layout.ca_cert.read_text())
    password = read_or_create_secret(layout.truststore_password, lambda: secrets.token_hex(12))
    layout.truststore.unlink(missing_ok=True)
    (layout.pki / "truststore.arm-ca.pem").unlink(missing_ok=True)
    subprocess.run(["keytool", "-importcert", "-noprompt", "-alias", "streamops-testbed-ca", "-file", str(layout.ca_cert),
                    "-keystore", str(layout.truststore), "-storetype", "PKCS12", "-storepass", password],
                   check=True, capture_output=True)
    for scratch in (csr, extensions, broker_key, pki / "ca.srl"):
        scratch.unlink(missing_ok=True)
    ca_key.chmod(0o600)


def trust_arm_double(layout: Layout) -> None:
    """The workers' truststore (the stand-in for an image's public CAs) also trusts the double's CA: Connect
    fetches its Entra ID tokens from the double over TLS."""
    identity = entra(layout)
    if identity is None:
        return
    ca = Path(identity["ARM_DOUBLE_CA_FILE"])
    marker = layout.pki / "truststore.arm-ca.pem"
    if not ca.is_file() or (marker.is_file() and marker.read_bytes() == ca.read_bytes()):
        return
    password = layout.truststore_password.read_text(encoding="utf-8").strip()
    keytool = ["keytool", "-keystore", str(layout.truststore), "-storetype", "PKCS12", "-storepass", password]
    subprocess.run([*keytool, "-delete", "-alias", "streamops-arm-double-ca"], check=False, capture_output=True)
    subprocess.run([*keytool, "-importcert", "-noprompt", "-alias", "streamops-arm-double-ca", "-file", str(ca)],
                   check=True, capture_output=True)
    marker.write_bytes(ca.read_bytes())


# ---------------------------------------------------------------- configuration


def jaas(layout: Layout, broker_password: str, credentials: Path) -> str:
    # A namespace's broker takes only that namespace's connection strings, as its Event Hubs endpoint does.
    namespace = f' namespace="{layout.namespace}"' if layout.namespace else ""
    return ("org.apache.kafka.common.security.plain.PlainLoginModule required "
            f'username="{USERNAME}" password="{broker_password}" credentials_files="{credentials}" '
            f'operator_credentials_files="{layout.testbed_credentials}"{namespace};')


def entra(layout: Layout) -> dict[str, str] | None:
    """The ARM test double's Entra ID, as its arm.env names it (issuer, JWKS, CA), or None without a double."""
    path = layout.root / "arm.env"
    if not path.is_file():
        return None
    env = dict(line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines() if "=" in line)
    if not all(env.get(key) for key in ("ARM_DOUBLE_ISSUER", "ARM_DOUBLE_JWKS_URL", "ARM_DOUBLE_CA_FILE")):
        return None
    return env


def oauth_settings(listener: str, identity: dict[str, str], namespace: str | None) -> dict[str, str]:
    prefix = f"listener.name.{listener}.oauthbearer."
    # The JWKS is fetched over TLS from the double: its CA, as JAAS options of Kafka's OAuth HTTP client. The
    # login module also logs the broker in on this listener, with Kafka's unsecured handler; inter-broker is PLAIN,
    # so that token is never sent: it only needs a subject.
    jaas_line = (f'{OAUTH_LOGIN_MODULE} required ssl.truststore.location="{identity["ARM_DOUBLE_CA_FILE"]}" '
                 'ssl.truststore.type="PEM" unsecuredLoginStringClaim_sub="broker"'
                 + (f' namespace="{namespace}"' if namespace else "") + ";")
    return {
        f"{prefix}sasl.server.callback.handler.class": OAUTH_HANDLER_CLASS,
        f"{prefix}sasl.jaas.config": jaas_line,
        f"{prefix}connections.max.reauth.ms": str(OAUTH_MAX_REAUTH_MS),
    }


def server_properties(layout: Layout, broker_password: str, where: Listeners | None = None,
                      credentials: Path | None = None) -> str:
    where = where or Listeners()
    client = where.client_name
    listeners = {client: f"{where.client_ip}:{PODS_PORT}", "LOCAL": f"{LOCAL_IP}:{where.local_port}",
                 "CONTROLLER": f"{LOCAL_IP}:{where.controller_port}"}
    settings = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@{LOCAL_IP}:{where.controller_port}",
        "controller.listener.names": "CONTROLLER",
        "listeners": ",".join(f"{name}://{address}" for name, address in listeners.items()),
        "advertised.listeners": f"{client}://{where.advertised_host}:{PODS_PORT},LOCAL://{LOCAL_IP}:{where.local_port}",
        "listener.security.protocol.map": f"{client}:SASL_SSL,LOCAL:SASL_SSL,CONTROLLER:PLAINTEXT",
        "inter.broker.listener.name": "LOCAL",
        "sasl.enabled.mechanisms": "PLAIN",
        "sasl.mechanism.inter.broker.protocol": "PLAIN",
        "ssl.keystore.type": "PEM",
        "ssl.keystore.location": str(layout.keystore),
        # The broker's own client side (inter-broker) trusts the testbed CA.
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": str(layout.ca_cert),
        "ssl.client.auth": "none",
        "log.dirs": str(layout.data),
        "num.partitions": "1",
        "default.replication.factor": "1",
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "4",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        # Topics are the namespaces' event hubs: created through ARM (or by a Manage rule's CreateTopics).
        "auto.create.topics.enable": "false",
        "authorizer.class.name": AUTHORIZER_CLASS,
        "super.users": ";".join(SUPER_USERS),
        "create.topic.policy.class.name": POLICY_CLASS,
        "alter.config.policy.class.name": POLICY_CLASS,
        "message.max.bytes": str(MAX_MESSAGE_BYTES),
        # Event Hubs drops idle connections after 240 s; the testbed keeps Kafka's own default.
        "log.retention.hours": "24",
        "log.segment.bytes": str(16 * 1024 * 1024),
    }
    for listener in (client.lower(), "local"):
        settings[f"listener.name.{listener}.plain.sasl.server.callback.handler.class"] = AUTH_HANDLER_CLASS
        settings[f"listener.name.{listener}.plain.sasl.jaas.config"] = jaas(layout, broker_password,
                                                                            credentials or credentials_file(layout))
    identity = entra(layout)
    if identity is not None:
        settings["sasl.enabled.mechanisms"] = "PLAIN,OAUTHBEARER"
        settings["sasl.oauthbearer.jwks.endpoint.url"] = identity["ARM_DOUBLE_JWKS_URL"]
        settings["sasl.oauthbearer.expected.issuer"] = identity["ARM_DOUBLE_ISSUER"]
        for listener in (client.lower(), "local"):
            settings.update(oauth_settings(listener, identity, layout.namespace))
    return "".join(f"{key}={value}\n" for key, value in settings.items())


LOG4J2_PROPERTIES = """\
# Broker logs to stdout, which the testbed sends to $TESTBED_STATE/logs/kafka.log.
status = warn
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = STDOUT
logger.authenticator.name = org.apache.kafka.common.network.Selector
logger.authenticator.level = info
logger.request.name = kafka.request.logger
logger.request.level = warn
"""


def write_config(layout: Layout, where: Listeners | None = None, credentials: Path | None = None) -> None:
    layout.home.mkdir(parents=True, exist_ok=True)
    broker_password = read_or_create_secret(layout.broker_secret, lambda: secrets.token_urlsafe(32))
    write_private(layout.server_properties, server_properties(layout, broker_password, where, credentials))
    layout.log4j2.write_text(LOG4J2_PROPERTIES, encoding="utf-8")


def seed_credentials(layout: Layout) -> str:
    """The testbed's connection string; also seeds the double's file when the double never wrote it."""
    connection_string = read_or_create_secret(layout.testbed_credentials, testbed_connection_string)
    shared = credentials_file(layout)
    if not shared.exists():
        write_private(shared, connection_string + "\n")
    return connection_string


# ----------------------------------------------------------------- processes


def class_archive(kind: str) -> Path:
    """A JVM's class-data-sharing archive (JDK 17 dynamic CDS) in the cache, per classpath and JDK: a broker starts
    in ~60% of the time with it (16 s -> 9-10 s measured on two busy cores), a Connect worker faster too."""
    inputs = {"broker": (JAVA_SOURCES, MAVEN_DIR / "broker" / "pom.xml"), "worker": (MAVEN_DIR / "worker" / "pom.xml",)}
    java = Path(shutil.which("java") or "java").resolve()
    jdk = hashlib.sha256(f"{java}:{java.stat().st_mtime_ns if java.exists() else 0}".encode()).hexdigest()[:8]
    return cache_dir() / "kafka" / f"cds-{kind}-{content_key(*inputs[kind])}-{jdk}.jsa"


def class_sharing(kind: str, folder: Path) -> list[str]:
    """JVM options: use the archive, or (none yet) write one when this JVM exits, which `finish_class_archive`
    then keeps. The archive changes start time only, never behaviour (a stale one is ignored by the JVM)."""
    archive = class_archive(kind)
    quiet = ["-Xlog:cds=off", "-Xlog:cds+dynamic=off"]
    if archive.is_file():
        return [f"-XX:SharedArchiveFile={archive}", *quiet]
    archive.parent.mkdir(parents=True, exist_ok=True)
    scratch = archive.with_name(f".{archive.stem}-{secrets.token_hex(6)}.jsa")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cds-scratch").write_text(f"{kind} {scratch}", encoding="utf-8")
    return [f"-XX:ArchiveClassesAtExit={scratch}", *quiet]


def finish_class_archive(folder: Path) -> None:
    """After the JVM exited: the archive it wrote becomes the cache's (the first one wins)."""
    marker = folder / "cds-scratch"
    try:
        kind, scratch_name = marker.read_text(encoding="utf-8").split(" ", 1)
    except (OSError, ValueError):
        return
    marker.unlink(missing_ok=True)
    scratch = Path(scratch_name)
    if scratch.is_file() and scratch.stat().st_size > 0 and not class_archive(kind).exists():
        scratch.rename(class_archive(kind))
    scratch.unlink(missing_ok=True)


def java_command(layout: Layout, main_class: str, *args: str, heap: list[str] | None = None) -> list[str]:
    artifacts = Artifacts()
    classpath = os.pathsep.join([str(artifacts.broker_lib / "*"), str(artifacts.auth_jar)])
    # Short-lived tools (storage format) start faster with the client compiler and the serial collector.
    tuning = heap or ["-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]
    identity = entra(layout)
    allowed = [f"-D{ALLOWED_URLS_PROPERTY}={identity['ARM_DOUBLE_JWKS_URL']}"] if identity else []
    return ["java", *tuning, *allowed, "-XX:+ExitOnOutOfMemoryError", "-Djava.awt.headless=true",
            f"-D{SYNC_URL_PROPERTY}={layout.sync_url_file}",
            f"-Dlog4j2.configurationFile={layout.log4j2}", "-cp", classpath, main_class, *args]


def new_cluster_id() -> str:
    """16 random bytes in unpadded URL-safe base64, as Kafka's Uuid.randomUuid makes them: never starting with
    '-', which kafka-storage's argument parser would take for an option (one id in 64 failed `format -t`)."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def format_storage(layout: Layout) -> None:
    if (layout.data / "meta.properties").is_file():
        return
    if (layout.formatted / "meta.properties").is_file():
        shutil.rmtree(layout.data, ignore_errors=True)
        shutil.copytree(layout.formatted, layout.data)
        return
    cluster_id = new_cluster_id()
    result = subprocess.run(java_command(layout, "kafka.tools.StorageTool", "format", "-t", cluster_id,
                                         "-c", str(layout.server_properties), "--ignore-formatted"),
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise TestbedError(f"kafka-storage format failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    scratch = layout.formatted.with_name(f".{layout.formatted.name}-{os.getpid()}")
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(layout.data, scratch)
    scratch.rename(layout.formatted)


def read_pid(layout: Layout) -> int | None:
    try:
        return int(layout.pid.read_text().strip())
    except (OSError, ValueError):
        return None


def broker_runs(pid: int, layout: Layout | None = None) -> bool:
    """True if pid is alive and still our broker (pids get reused): with a layout, that layout's broker."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return False
    if layout is not None and str(layout.server_properties).encode() not in cmdline:
        return False
    return state != "Z" and b"kafka.Kafka" in cmdline


def running_pid(layout: Layout) -> int | None:
    pid = read_pid(layout)
    return pid if pid is not None and broker_runs(pid, layout) else None


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def pods_listener_open() -> bool:
    # Without the veth the address is not local and a probe would leave the machine by the default route.
    if not PODS_VETH.exists():
        return False
    return port_open(PODS_LISTENER_IP, PODS_PORT)


def healthy(layout: Layout) -> bool:
    return running_pid(layout) is not None and port_open(LOCAL_IP, LOCAL_PORT) and pods_listener_open()


def log_tail(layout: Layout, lines: int = 30) -> str:
    try:
        return "\n".join(layout.log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def start_broker(layout: Layout, heap: list[str] | None = None) -> subprocess.Popen[bytes]:
    layout.log.parent.mkdir(parents=True, exist_ok=True)
    layout.pid.parent.mkdir(parents=True, exist_ok=True)
    command = java_command(layout, "kafka.Kafka", str(layout.server_properties),
                           heap=[*(heap or BROKER_JVM_OPTIONS), *class_sharing("broker", layout.home)])
    with open(layout.log, "ab") as log_file:
        # Own session: the broker outlives this script and ignores the terminal's signals.
        process = subprocess.Popen(command, cwd=layout.home, stdin=subprocess.DEVNULL, stdout=log_file,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    layout.pid.write_text(f"{process.pid}\n")
    return process


def wait_until(check: Callable[[], bool], timeout: float, interval: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return check()


def write_env_file(layout: Layout, connection_string: str) -> None:
    values = {
        "KAFKA_BOOTSTRAP_LOCAL": f"{LOCAL_IP}:{LOCAL_PORT}",
        "KAFKA_BOOTSTRAP_PODS": f"{ADVERTISED_HOST}:{PODS_PORT}",
        "KAFKA_CA_FILE": layout.ca_cert,
        "KAFKA_TRUSTSTORE": layout.truststore,
        "KAFKA_TRUSTSTORE_TYPE": "PKCS12",
        "KAFKA_TRUSTSTORE_PASSWORD": layout.truststore_password.read_text(encoding="utf-8").strip(),
        "KAFKA_TESTBED_CONNECTION_STRING": connection_string,
        "KAFKA_CREDENTIALS_FILE": credentials_file(layout),
    }
    write_private(layout.env_file, "".join(f"{key}={value}\n" for key, value in values.items()))


def ensure_pod_network() -> None:
    # The PODS listener binds the host end of the pods' veth, which the pod runner owns.
    sys.path.insert(0, str(HERE))
    import pod_runner  # pylint: disable=import-outside-toplevel

    pod_runner.ensure_pod_network()


def up() -> None:
    started = time.monotonic()
    layout = Layout(state_dir())
    artifacts = Artifacts()
    if not (artifacts.broker_lib.is_dir() and artifacts.auth_jar.is_file()):
        raise TestbedError("the broker is not built: run `kafka.py build` first")
    ensure_pod_network()
    generate_pki(layout)
    trust_arm_double(layout)
    connection_string = seed_credentials(layout)
    write_config(layout)
    pid = running_pid(layout)
    process: subprocess.Popen[bytes] | None = None
    if pid is None:
        taken = [f"{host}:{port}" for host, port in ((LOCAL_IP, LOCAL_PORT), (LOCAL_IP, CONTROLLER_PORT))
                 if port_open(host, port)] + ([f"{PODS_LISTENER_IP}:{PODS_PORT}"] if pods_listener_open() else [])
        if taken:
            # Another broker (a testbed under another TESTBED_STATE?) would answer with other credentials.
            raise TestbedError(f"{', '.join(taken)} already in use by a process this state dir did not start")
        format_storage(layout)
        process = start_broker(layout)
        log(f"broker started (pid {process.pid})")

    def exited() -> bool:
        # The broker just started is asked itself: right after its exec, /proc may still show an empty
        # command line, which running_pid would take for a broker that is gone.
        return process.poll() is not None if process is not None else running_pid(layout) is None

    if not wait_until(lambda: healthy(layout) or exited(), START_TIMEOUT):
        raise TestbedError(f"the broker is not listening after {START_TIMEOUT:.0f}s; last lines of {layout.log}:\n"
                           f"{log_tail(layout)}")
    if exited():
        raise TestbedError(f"the broker exited; last lines of {layout.log}:\n{log_tail(layout)}")
    write_env_file(layout, connection_string)
    log(f"up in {time.monotonic() - started:.1f}s: SASL_SSL on {LOCAL_IP}:{LOCAL_PORT} and "
        f"{ADVERTISED_HOST}:{PODS_PORT} ({PODS_LISTENER_IP}); environment in {layout.env_file}")


def stop_broker(layout: Layout) -> None:
    """SIGTERM, SIGKILL after STOP_TIMEOUT; forgets the pid."""
    pid = running_pid(layout)
    if pid is not None:
        os.killpg(pid, signal.SIGTERM)
        if not wait_until(lambda: not broker_runs(pid), STOP_TIMEOUT, 0.2):
            log(f"{layout.namespace or 'broker'}: no exit after SIGTERM, killing")
            os.killpg(pid, signal.SIGKILL)
            wait_until(lambda: not broker_runs(pid), STOP_TIMEOUT, 0.2)
        log(f"{'broker of namespace ' + layout.namespace if layout.namespace else 'broker'} stopped (pid {pid})")
    layout.pid.unlink(missing_ok=True)
    finish_class_archive(layout.home)


def down() -> None:
    layout = Layout(state_dir())
    # First: without kafka.env the ARM double's sync starts no namespace broker.
    layout.env_file.unlink(missing_ok=True)
    time.sleep(0.5)  # one round of the sync, which may be starting a broker right now
    stop_namespace_brokers(layout.root)
    stop_broker(layout)
    # Each `up` after a `down` starts from empty topics, like the cluster it serves.
    shutil.rmtree(layout.data, ignore_errors=True)


# --------------------------------------------------------------- namespace brokers
#
# In Event Hubs every namespace is a Kafka cluster of its own, at <namespace>.servicebus.windows.net:9093.
# The ARM double's namespace sync (arm_double/kafka_sync.py) starts one broker per Kafka-capable namespace
# with these functions: on an address of its own on the host end of the pods' veth (so host and pods reach
# it alike), port 9093, its name in the host's /etc/hosts and in the pods' hosts file (a marked block in
# each), its data under kafka/namespaces/<namespace>/. Deleting the namespace stops the broker and deletes
# the data; `kafka.py down` does so for all of them.

NAMESPACE_NET = ipaddress.ip_network("198.19.254.0/24")
NAMESPACE_JVM_OPTIONS = ["-Xms64m", "-Xmx256m", "-XX:TieredStopAtLevel=1"]
NAMESPACE_LISTENER = "NAMESPACE"
HOSTS_BEGIN = "# BEGIN streamops-testbed namespaces"
HOSTS_END = "# END streamops-testbed namespaces"
HOSTS_LOCK = Path("/run/streamops-testbed-hosts.lock")


def host_hosts_file() -> Path:
    return Path(os.environ.get("TESTBED_HOST_HOSTS_FILE") or "/etc/hosts")


def netns_hosts_file() -> Path:
    """The file `ip netns exec streamops-pods` mounts over /etc/hosts (pod_runner.NETNS_ETC)."""
    return Path(os.environ.get("TESTBED_NETNS_HOSTS_FILE") or "/etc/netns/streamops-pods/hosts")


def namespace_host(namespace: str) -> str:
    return f"{namespace.lower()}.{ADVERTISED_HOST.split('.', 1)[1]}"


@contextmanager
def hosts_lock() -> Iterator[None]:
    """The pod runner and the double's sync both write the pods' hosts file."""
    lock = Path(os.environ.get("TESTBED_HOSTS_LOCK") or HOSTS_LOCK)
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def split_hosts_block(text: str) -> tuple[list[str], dict[str, str]]:
    """The lines outside the testbed's marked block, and the block's {name: address}."""
    outside: list[str] = []
    block: dict[str, str] = {}
    inside = False
    for line in text.splitlines():
        if line.strip() == HOSTS_BEGIN:
            inside = True
        elif line.strip() == HOSTS_END:
            inside = False
        elif inside:
            fields = line.split()
            block.update({name: fields[0] for name in fields[1:]})
        else:
            outside.append(line)
    return outside, block


def hosts_block(entries: dict[str, str]) -> str:
    if not entries:
        return ""
    return "".join([f"{HOSTS_BEGIN}\n", *(f"{address} {name}\n" for name, address in sorted(entries.items())),
                    f"{HOSTS_END}\n"])


def write_hosts_block(path: Path, entries: dict[str, str], strip_address: str | None = None) -> None:
    """Replace the testbed's block of `path` (in place: a file mounted elsewhere must keep its inode). Names of the
    block are taken off the line of `strip_address` (the pod runner's catch-all line), so each name has one address."""
    with hosts_lock():
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            if not path.parent.is_dir():
                return
            text = "127.0.0.1 localhost\n"
        outside, _old = split_hosts_block(text)
        kept = []
        for line in outside:
            fields = line.split()
            if strip_address and fields and fields[0] == strip_address:
                names = [name for name in fields[1:] if name not in entries]
                if not names:
                    continue
                line = " ".join([fields[0], *names])
            kept.append(line)
        new = "".join(f"{line}\n" for line in kept) + hosts_block(entries)
        if new != text:
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(new)


def publish_namespace_hosts(entries: dict[str, str]) -> None:
    """Make each namespace's name resolve to its broker, on the host and in the pods."""
    write_hosts_block(host_hosts_file(), entries)
    write_hosts_block(netns_hosts_file(), entries, strip_address=PODS_LISTENER_IP)


@dataclass(frozen=True)
class NamespaceBroker:
    """Where one namespace's broker listens; kept in its broker.json while the namespace exists."""

    namespace: str
    ip: str
    local_port: int
    controller_port: int

    def listeners(self) -> Listeners:
        return Listeners(self.ip, namespace_host(self.namespace), self.local_port, self.controller_port,
                         NAMESPACE_LISTENER)

    @property
    def bootstrap(self) -> str:
        return f"{namespace_host(self.namespace)}:{PODS_PORT}"

    @property
    def local_bootstrap(self) -> str:
        return f"{LOCAL_IP}:{self.local_port}"


def namespaces_dir(root: Path) -> Path:
    return Layout(root).base / "namespaces"


def namespace_layouts(root: Path) -> list[Layout]:
    folder = namespaces_dir(root)
    return [Layout(root, path.name) for path in sorted(folder.iterdir()) if path.is_dir()] if folder.is_dir() else []


def read_namespace_broker(layout: Layout) -> NamespaceBroker | None:
    try:
        record = json.loads((layout.home / "broker.json").read_text(encoding="utf-8"))
        return NamespaceBroker(record["namespace"], record["ip"], int(record["local_port"]), int(record["controller_port"]))
    except (OSError, ValueError, KeyError):
        return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOCAL_IP, 0))
        return probe.getsockname()[1]


def veth_address(address: str, add: bool) -> None:
    command = ["ip", "addr", "replace" if add else "del", f"{address}/32", "dev", PODS_VETH.name]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if add and result.returncode != 0:
        raise TestbedError(f"`{' '.join(command)}` failed: {result.stderr.strip()}")


def format_namespace_storage(layout: Layout) -> None:
    """The testbed broker's formatted log dir, with a cluster and directory id of this namespace's own."""
    if (layout.data / "meta.properties").is_file():
        return
    if not (layout.formatted / "meta.properties").is_file():
        raise TestbedError("the testbed broker has not formatted its storage yet: run `kafka.py up` first")
    scratch = layout.data.with_name(f".{layout.data.name}-{os.getpid()}")
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(layout.formatted, scratch)
    ids = {"cluster.id": new_cluster_id(), "directory.id": new_cluster_id()}
    meta = scratch / "meta.properties"
    lines = [f"{line.split('=', 1)[0]}={ids[line.split('=', 1)[0]]}" if line.split("=", 1)[0] in ids else line
             for line in meta.read_text(encoding="utf-8").splitlines()]
    meta.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    scratch.rename(layout.data)


def start_namespace_broker(root: Path, namespace: str, credentials: Path, sync_url: str,
                           taken: set[str]) -> tuple[NamespaceBroker, subprocess.Popen[bytes] | None]:
    """Start (or find running) the broker of `namespace`; returns at once, the JVM takes seconds to listen."""
    layout = Layout(root, namespace)
    record = read_namespace_broker(layout)
    if record is None:
        address = next((str(host) for host in NAMESPACE_NET.hosts() if str(host) not in taken), None)
        if address is None:
            raise TestbedError(f"no free address left in {NAMESPACE_NET} for namespace {namespace}")
        record = NamespaceBroker(namespace, address, free_port(), free_port())
        layout.home.mkdir(parents=True, exist_ok=True)
        (layout.home / "broker.json").write_text(json.dumps(record.__dict__), encoding="utf-8")
    veth_address(record.ip, add=True)
    write_private(layout.sync_url_file, f"{sync_url}\n")
    if running_pid(layout) is not None:
        return record, None
    write_config(layout, record.listeners(), credentials)
    format_namespace_storage(layout)
    return record, start_broker(layout, NAMESPACE_JVM_OPTIONS)


def namespace_broker_running(layout: Layout) -> bool:
    return running_pid(layout) is not None


def remove_namespace_broker(root: Path, namespace: str) -> None:
    """Stop the broker and delete its data: the namespace is gone."""
    layout = Layout(root, namespace)
    record = read_namespace_broker(layout)
    stop_broker(layout)
    if record is not None:
        veth_address(record.ip, add=False)
    shutil.rmtree(layout.home, ignore_errors=True)


def stop_namespace_brokers(root: Path) -> None:
    """Every namespace broker, at once (SIGTERM to all, then wait), their data, addresses and host names."""
    layouts = namespace_layouts(root)
    for layout in layouts:
        pid = running_pid(layout)
        if pid is not None:
            os.killpg(pid, signal.SIGTERM)
    for layout in layouts:
        remove_namespace_broker(root, layout.namespace or "")
    shutil.rmtree(namespaces_dir(root), ignore_errors=True)
    publish_namespace_hosts({})


def status() -> int:
    layout = Layout(state_dir())
    pid = running_pid(layout)
    local, pods = port_open(LOCAL_IP, LOCAL_PORT), pods_listener_open()
    state = "healthy" if pid and local and pods else ("unhealthy" if pid else "stopped")
    print(f"{'kafka':<24} pid={pid or '-':<8} {state} (local {LOCAL_IP}:{LOCAL_PORT} "
          f"{'open' if local else 'closed'}, pods {PODS_LISTENER_IP}:{PODS_PORT} {'open' if pods else 'closed'})")
    for namespace_layout in namespace_layouts(layout.root):
        record = read_namespace_broker(namespace_layout)
        if record is None:
            continue
        namespace_pid = running_pid(namespace_layout)
        listening = namespace_pid is not None and port_open(record.ip, PODS_PORT)
        print(f"  namespace {record.namespace:<14} pid={namespace_pid or '-':<8} "
              f"{'listening' if listening else 'not listening'} on {record.bootstrap} ({record.ip})")
    return 0 if state == "healthy" else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["build", "up", "down", "status"])
    command = parser.parse_args(argv).command
    try:
        if command == "status":
            return status()
        {"build": build, "up": up, "down": down}[command]()
    except (TestbedError, subprocess.CalledProcessError) as error:
        print(f"[kafka] error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
