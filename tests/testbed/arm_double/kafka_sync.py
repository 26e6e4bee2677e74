# SPDX-License-Identifier: GPL-3.0-or-later
"""The double's namespaces as Kafka clusters: one real broker per namespace, event hubs are its topics, SAS rules
and Entra ID principals its ACL principals.

In Event Hubs every namespace is a Kafka cluster of its own (`<namespace>.servicebus.windows.net:9093`), so two
namespaces may both hold `connect-offsets`. Here each Kafka-capable namespace (Standard, Premium; not being
deleted) gets a broker of its own, started when the namespace is created (tests/testbed/kafka.py, "namespace
brokers": its own address, port 9093, its name resolvable on the host and in the pods); the namespace's create
operation ends Succeeded once that broker answers. Deleting the namespace stops its broker and deletes its data.

Two directions, both run by the double:

- ARM → Kafka: a thread reconciles each namespace's broker with the double's state every `INTERVAL` seconds
  (and at once after a change from Kafka): every event hub of the namespace is a topic with the hub's
  partition count, `cleanup.policy`, `retention.ms`; a topic whose hub went away is deleted; every
  namespace-level SAS rule is the principal
  `User:<namespace>/<rule>` with ACLs for its rights on its namespace's topics only (see `rule_acls`), unless
  the namespace's local auth is disabled; every Entra ID principal with an Event Hubs data role covering the
  namespace is `User:<namespace>/<object id>` with the role's rights (authorization.py), the principal the
  broker's OAUTHBEARER handler (tests/testbed/java) names for a token whose audience is that namespace.
- Kafka → ARM: each broker's CreateTopicPolicy and AlterConfigPolicy (tests/testbed/java) ask this
  module over a loopback HTTP endpoint, `<url>/namespaces/<namespace>` (in the broker's `sync.url`),
  whether a Manage client's CreateTopics / AlterConfigs may happen; the answer is the double's own event hub
  validation (topic budget, partitions per tier, compaction, retention), and a created topic is an event
  hub in the double's state at once. A topic deleted through Kafka deletes its hub.

Brokers are started only once the testbed's own broker is up (its `kafka.env` in the state dir: the PKI,
the operator credential and the formatted storage the namespace brokers share); the Kafka side needs
confluent-kafka. Without them the double runs as a plain ARM double. Set ARM_DOUBLE_KAFKA_SYNC=0 to turn it off.
"""
from __future__ import annotations

import json
import logging
import math
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from . import eventhub_rules as rules
from .authorization import namespace_rights
from .config import write_private_file
from .errors import ArmError

INTERVAL = 0.25
KAFKA_TIMEOUT = 10.0
# While a broker starts: a short metadata timeout, so one starting broker does not hold up the others.
START_PROBE_TIMEOUT = 2.0
# A namespace broker that exits is started again, at most this often.
RESTART_BACKOFF = 10.0
MS_PER_HOUR = 3_600_000
# What the broker's policies send when the client leaves the partition count to the broker.
BROKER_DEFAULT_PARTITIONS = 1

# librdkafka would print every refused connection while the broker is down; the loop reports one line per error.
QUIET = logging.getLogger("arm_double.kafka_sync.librdkafka")
QUIET.addHandler(logging.NullHandler())
QUIET.propagate = False

CLEANUP_TO_KAFKA = {"Delete": "delete", "Compact": "compact", "DeleteOrCompact": "compact,delete"}
TOPIC_OPERATIONS = {
    "Send": ("WRITE", "DESCRIBE"),
    "Listen": ("READ", "DESCRIBE"),
    "Manage": ("DELETE", "ALTER_CONFIGS", "DESCRIBE_CONFIGS", "DESCRIBE"),
}

Acl = tuple[str, str, str, str, str]
"""(resource type (BROKER is Kafka's CLUSTER in librdkafka), resource name, pattern type, principal, operation), always ALLOW from any host."""


def principal(namespace: str, rule: str) -> str:
    return f"User:{namespace.lower()}/{rule}"


def topic_configs(hub: dict) -> dict[str, str]:
    retention = hub["retention"]
    policy = retention["cleanupPolicy"]
    hours = retention["retentionTimeInHours"]
    configs = {
        "cleanup.policy": CLEANUP_TO_KAFKA[policy],
        "retention.ms": "-1" if hours == rules.INFINITE_RETENTION_HOURS else str(hours * MS_PER_HOUR),
    }
    if retention.get("tombstoneRetentionTimeInHours") is not None:
        configs["delete.retention.ms"] = str(retention["tombstoneRetentionTimeInHours"] * MS_PER_HOUR)
    if retention.get("minCompactionLagTimeInMinutes") is not None:
        configs["min.compaction.lag.ms"] = str(retention["minCompactionLagTimeInMinutes"] * 60_000)
    return configs


def hub_properties(partitions: int, configs: dict[str, str], current: dict | None) -> dict:
    """An ARM event hub body for a Kafka CreateTopics / AlterConfigs; keys the request leaves out keep their value."""
    retention = dict((current or {}).get("retention") or {})
    policy = configs.get("cleanup.policy")
    if policy is not None:
        words = sorted(word.strip() for word in policy.split(",") if word.strip())
        retention["cleanupPolicy"] = {"compact": "Compact", "delete": "Delete", "compact,delete": "DeleteOrCompact"}.get(
            ",".join(words), policy)
    if "retention.ms" in configs:
        milliseconds = int(configs["retention.ms"])
        retention["retentionTimeInHours"] = -1 if milliseconds < 0 else max(1, math.ceil(milliseconds / MS_PER_HOUR))
    description = {"cleanupPolicy": retention.get("cleanupPolicy", "Delete")}
    hours = retention.get("retentionTimeInHours")
    if hours is not None and hours != rules.INFINITE_RETENTION_HOURS:
        description["retentionTimeInHours"] = hours
    for kafka_key, arm_key, unit in (("delete.retention.ms", "tombstoneRetentionTimeInHours", MS_PER_HOUR),
                                     ("min.compaction.lag.ms", "minCompactionLagTimeInMinutes", 60_000)):
        if kafka_key in configs:
            description[arm_key] = int(configs[kafka_key]) // unit
        elif retention.get(arm_key) is not None:
            description[arm_key] = retention[arm_key]
    return {"properties": {"partitionCount": partitions, "retentionDescription": description}}


@dataclass
class Desired:
    """What one namespace's broker should hold, computed from the double's state."""

    topics: dict[str, dict[str, Any]] = field(default_factory=dict)
    acls: set[Acl] = field(default_factory=set)


def kafka_namespaces(state: dict) -> list[dict]:
    """Namespaces with a Kafka endpoint, oldest first."""
    found = []
    for namespace in state["namespaces"].values():
        operation = namespace.get("operation")
        if namespace["sku"]["tier"] == "Basic" or (operation and operation["kind"] == "delete"):
            continue
        found.append(namespace)
    return sorted(found, key=lambda n: (n["createdAt"], n["name"].lower()))


def rule_acls(namespace: str, rule: dict, topics: list[str]) -> set[Acl]:
    """Send: produce (idempotent too). Listen: consume, consumer groups, offset commits. Manage: create (any
    name; the CreateTopicPolicy then asks the double), delete and configure its namespace's topics."""
    who = principal(namespace, rule["name"])
    acls: set[Acl] = set()
    for right in rule["rights"]:
        for topic in topics:
            acls.update(("TOPIC", topic, "LITERAL", who, operation) for operation in TOPIC_OPERATIONS[right])
        if right == "Send":
            acls.add(("BROKER", "kafka-cluster", "LITERAL", who, "IDEMPOTENT_WRITE"))
        if right == "Listen":
            acls.update(("GROUP", "*", "LITERAL", who, operation) for operation in ("READ", "DESCRIBE"))
        if right == "Manage":
            acls.add(("TOPIC", "*", "LITERAL", who, "CREATE"))
    return acls


def desired_for(state: dict, namespace: dict) -> Desired:
    """Topics = the namespace's event hubs; ACLs = its SAS rules (unless local auth is off) and Entra principals."""
    key = namespace["name"].lower()
    desired = Desired()
    for hub in namespace["eventhubs"].values():
        desired.topics[hub["name"]] = {"partitions": hub["partitionCount"], "configs": topic_configs(hub)}
    names = sorted(desired.topics)
    for object_id, rights in namespace_rights(state, namespace).items():
        desired.acls |= rule_acls(key, {"name": object_id, "rights": sorted(rights)}, names)
    if not namespace["properties"].get("disableLocalAuth"):
        for rule in namespace["authorizationRules"].values():
            desired.acls |= rule_acls(key, rule, names)
    return desired


class Refusal(Exception):
    """A broker request the namespace does not allow; the message reaches the Kafka client."""


def testbed_kafka() -> Any:
    """tests/testbed/kafka.py, which starts and stops the brokers."""
    testbed = str(Path(__file__).resolve().parents[1])
    if testbed not in sys.path:
        sys.path.insert(0, testbed)
    import kafka  # pylint: disable=import-outside-toplevel

    return kafka


class Cluster:
    """One namespace's broker, as the sync sees it: the broker's address, an operator admin client once it
    answers, and what the sync applied to it."""

    def __init__(self, sync: "NamespaceSync", key: str) -> None:
        self.sync, self.key = sync, key
        self.kafka = testbed_kafka()
        self.layout = self.kafka.Layout(sync.state_dir, key)
        self.broker: Any = None
        self.process: Any = None
        self.started_at = time.monotonic()
        self.admin: Any = None
        self.ready = False
        self.cluster_id: str | None = None
        self.present: set[str] = set()
        self.applied: dict[str, dict] = {}
        self.applied_acls: set[Acl] | None = None
        self.last_error = ""
        self.managed_file = self.layout.home / "managed-topics.json"
        self.managed: set[str] = set()

    # --------------------------------------------------------------------------------- lifecycle
    def start(self, taken: set[str]) -> None:
        self.broker, self.process = self.kafka.start_namespace_broker(
            self.sync.state_dir, self.key, self.sync.store.config.kafka_credentials_file,
            f"{self.sync.callback_url}/namespaces/{self.key}", taken)
        if self.process is not None:
            self.sync.log(f"namespace {self.key}: broker starting (pid {self.process.pid}) on {self.broker.ip}:9093")
        self.managed = set(json.loads(self.managed_file.read_text()) if self.managed_file.exists() else [])

    def exited(self) -> bool:
        if self.process is not None:
            return self.process.poll() is not None
        return not self.kafka.namespace_broker_running(self.layout)

    def retire(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
        self.kafka.remove_namespace_broker(self.sync.state_dir, self.key)
        if self.process is not None:
            self.process.wait(timeout=30)

    def connect(self, operator: str, ca_file: str) -> bool:
        """An admin client with the testbed's operator credential on the broker's loopback listener, once it answers."""
        if self.admin is not None:
            return True
        if not self.kafka.port_open(self.broker.ip, self.kafka.PODS_PORT):
            return False
        from confluent_kafka.admin import AdminClient  # pylint: disable=import-outside-toplevel

        admin = AdminClient({
            "bootstrap.servers": self.broker.local_bootstrap, "security.protocol": "SASL_SSL",
            "sasl.mechanism": "PLAIN", "sasl.username": "$ConnectionString", "sasl.password": operator,
            "ssl.ca.location": ca_file, "logger": QUIET,
        })
        admin.list_topics(timeout=START_PROBE_TIMEOUT)
        self.admin = admin
        return True

    # ----------------------------------------------------------------------------- ARM → Kafka
    def reconcile(self) -> None:
        metadata = self.admin.list_topics(timeout=KAFKA_TIMEOUT)
        if metadata.cluster_id != self.cluster_id:
            # The broker started again: nothing seen so far was deleted through Kafka.
            self.cluster_id, self.present, self.applied, self.applied_acls = metadata.cluster_id, set(), {}, None
        existing = {name: len(topic.partitions) for name, topic in metadata.topics.items() if not topic.error}
        desired = self.sync.snapshot(self.key)
        if desired is None:
            return
        gone = [name for name in self.present if name not in existing and name in desired.topics]
        if gone:
            self.sync.hubs_deleted_through_kafka(self.key, gone)
            self.present -= set(gone)
            desired = self.sync.snapshot(self.key)
            if desired is None:
                return
        self.create_and_update(desired, existing)
        self.delete_orphans(desired, existing)
        self.present = {name for name in desired.topics if name in existing}
        # Rights only on topics the broker already showed: a client cannot delete a topic this loop has not seen yet.
        self.sync_acls({acl for acl in desired.acls if acl[0] != "TOPIC" or acl[1] == "*" or acl[1] in self.present})
        if not self.ready:
            self.ready = True
            self.sync.log(f"namespace {self.key}: Kafka cluster at {self.broker.bootstrap} ({self.broker.ip}) answers, "
                          f"{time.monotonic() - self.started_at:.1f}s after its start")

    def create_and_update(self, desired: Desired, existing: dict[str, int]) -> None:
        from confluent_kafka import KafkaError  # pylint: disable=import-outside-toplevel
        from confluent_kafka.admin import (  # pylint: disable=import-outside-toplevel
            AlterConfigOpType, ConfigEntry, ConfigResource, NewPartitions, NewTopic)

        missing = [NewTopic(name, spec["partitions"], 1, config=spec["configs"])
                   for name, spec in desired.topics.items() if name not in existing]
        if missing:
            for name, future in self.admin.create_topics(missing, request_timeout=KAFKA_TIMEOUT).items():
                try:
                    future.result()
                except Exception as error:  # pylint: disable=broad-except
                    if getattr(error.args[0], "code", lambda: None)() != KafkaError.TOPIC_ALREADY_EXISTS:
                        raise
                self.applied[name] = desired.topics[name]["configs"]
            self.remember(desired.topics)
        grow = [NewPartitions(name, spec["partitions"]) for name, spec in desired.topics.items()
                if name in existing and existing[name] < spec["partitions"]]
        if grow:
            for future in self.admin.create_partitions(grow, request_timeout=KAFKA_TIMEOUT).values():
                future.result()
        changed = [name for name, spec in desired.topics.items()
                   if name in existing and self.applied.get(name) != spec["configs"]]
        if changed:
            resources = [ConfigResource("TOPIC", name, incremental_configs=[
                ConfigEntry(key, value, incremental_operation=AlterConfigOpType.SET)
                for key, value in desired.topics[name]["configs"].items()]) for name in changed]
            for resource, future in self.admin.incremental_alter_configs(resources, request_timeout=KAFKA_TIMEOUT).items():
                future.result()
                self.applied[resource.name] = desired.topics[resource.name]["configs"]
            self.remember(desired.topics)

    def delete_orphans(self, desired: Desired, existing: dict[str, int]) -> None:
        orphans = sorted(name for name in self.managed if name not in desired.topics and name in existing)
        if orphans:
            for future in self.admin.delete_topics(orphans, request_timeout=KAFKA_TIMEOUT).values():
                future.result()
            self.sync.log(f"namespace {self.key}: deleted topics whose event hub is gone: {', '.join(orphans)}")
        stale = {name for name in self.managed if name not in desired.topics}
        if stale:
            self.managed -= stale
            self.save_managed()

    def remember(self, topics: dict[str, Any]) -> None:
        """The topics the sync made (an operator's plain topics on the same broker are never touched)."""
        if not set(topics) <= self.managed:
            self.managed |= set(topics)
            self.save_managed()

    def save_managed(self) -> None:
        write_private_file(self.managed_file, json.dumps(sorted(self.managed)))

    def sync_acls(self, wanted: set[Acl]) -> None:
        if wanted == self.applied_acls:
            return
        from confluent_kafka.admin import (  # pylint: disable=import-outside-toplevel
            AclBinding, AclBindingFilter, AclOperation, AclPermissionType, ResourcePatternType, ResourceType)

        def binding(acl: Acl, kind: type = AclBinding) -> Any:
            resource_type, name, pattern, who, operation = acl
            return kind(ResourceType[resource_type], name, ResourcePatternType[pattern], who, "*",
                        AclOperation[operation], AclPermissionType.ALLOW)

        everything = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, None, None,
                                      AclOperation.ANY, AclPermissionType.ANY)
        current = {(b.restype.name, b.name, b.resource_pattern_type.name, b.principal, b.operation.name)
                   for b in self.admin.describe_acls(everything, request_timeout=KAFKA_TIMEOUT).result()}
        extra, missing = current - wanted, wanted - current
        if missing:
            for future in self.admin.create_acls([binding(a) for a in sorted(missing)], request_timeout=KAFKA_TIMEOUT).values():
                future.result()
        if extra:
            filters = [binding(a, AclBindingFilter) for a in sorted(extra)]
            for future in self.admin.delete_acls(filters, request_timeout=KAFKA_TIMEOUT).values():
                future.result()
        self.applied_acls = wanted


class NamespaceSync:
    """Runs beside the double's HTTP server; `start()` returns at once, the work happens in threads."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.store = server.store
        self.provider = server.provider
        self.state_dir: Path = server.config.state_dir
        self.stopping: threading.Event = server.stopping
        self.wake = threading.Event()
        self.clusters: dict[str, Cluster] = {}
        self.retiring: dict[str, Cluster] = {}
        self.env_stamp: Any = None
        self.env: dict[str, str] | None = None
        self.callback_url = ""
        self.last_error = ""

    # --------------------------------------------------------------------------------- lifecycle
    def start(self) -> None:
        callbacks = ThreadingHTTPServer(("127.0.0.1", 0), BrokerCallbackHandler)
        callbacks.daemon_threads = True
        callbacks.sync = self  # type: ignore[attr-defined]
        threading.Thread(target=callbacks.serve_forever, kwargs={"poll_interval": 0.5}, daemon=True).start()
        self.callback_url = f"http://127.0.0.1:{callbacks.server_address[1]}"
        # Brokers of a double that restarted ask the new port: each broker's sync.url is rewritten on adoption.
        self.store.kafka_ready = self.namespace_ready
        threading.Thread(target=self.run, daemon=True, name="kafka-sync").start()

    def log(self, message: str) -> None:
        print(f"arm: kafka sync: {message}", flush=True)

    def namespace_ready(self, namespace: dict) -> bool:
        """For the store: may this namespace's create end? Yes once its broker answers (or without Kafka here)."""
        if self.env is None or namespace["sku"]["tier"] == "Basic":
            return True
        cluster = self.clusters.get(namespace["name"].lower())
        return cluster is not None and cluster.ready

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                if self.read_env():
                    self.reconcile_all()
                    self.last_error = ""
            except Exception as error:  # pylint: disable=broad-except  # the loop must outlive a broker restart
                self.report(f"{type(error).__name__}: {error}")
            self.wake.wait(INTERVAL if self.env is not None else 1.0)
            self.wake.clear()

    def report(self, text: str) -> None:
        if text != self.last_error:
            self.log(f"will retry: {text}")
        self.last_error = text

    def read_env(self) -> bool:
        """The testbed broker's kafka.env (operator credential, CA), or False while it is down: then the namespace
        brokers are forgotten (`kafka.py down` stops them and deletes their data)."""
        env_file = self.state_dir / "kafka.env"
        try:
            stamp = env_file.stat().st_mtime_ns
        except OSError:
            if self.env is not None:
                self.log("the testbed broker is down: namespace brokers are stopped with it")
                for cluster in self.clusters.values():
                    if cluster.process is not None and cluster.process.poll() is None:
                        cluster.process.terminate()
            self.env, self.env_stamp, self.clusters = None, None, {}
            return False
        if stamp != self.env_stamp:
            self.env = dict(line.split("=", 1) for line in env_file.read_text(encoding="utf-8").splitlines() if "=" in line)
            self.env_stamp = stamp
        return True

    # ----------------------------------------------------------------------------- ARM → Kafka
    def snapshot(self, key: str) -> Desired | None:
        with self.store.lock:
            namespace = self.store.state["namespaces"].get(key)
            if namespace is None or namespace not in kafka_namespaces(self.store.state):
                return None
            return desired_for(self.store.state, namespace)

    def reconcile_all(self) -> None:
        with self.store.lock:
            wanted = [namespace["name"].lower() for namespace in kafka_namespaces(self.store.state)]
        kafka = testbed_kafka()
        changed_hosts = False
        for key in [key for key in self.clusters if key not in wanted]:
            self.retire(self.clusters.pop(key))
            changed_hosts = True
        # Brokers left by a double that stopped: a namespace that is gone takes its broker with it.
        for layout in kafka.namespace_layouts(self.state_dir):
            if layout.namespace not in wanted and layout.namespace not in self.clusters | self.retiring:
                kafka.remove_namespace_broker(self.state_dir, layout.namespace)
        for key in wanted:
            cluster = self.clusters.get(key)
            if key in self.retiring:
                continue  # the namespace was deleted and made again: the old broker goes first
            if cluster is None or (cluster.exited() and time.monotonic() - cluster.started_at > RESTART_BACKOFF):
                taken = {c.broker.ip for c in (*self.clusters.values(), *self.retiring.values()) if c.broker is not None}
                if cluster is not None:
                    self.log(f"namespace {key}: the broker exited, starting it again; last lines of its log:\n"
                             f"{kafka.log_tail(cluster.layout, 15)}")
                cluster = Cluster(self, key)
                cluster.start(taken)
                self.clusters[key] = cluster
                changed_hosts = True
        if changed_hosts:
            kafka.publish_namespace_hosts({kafka.namespace_host(c.key): c.broker.ip for c in self.clusters.values()})
        for cluster in list(self.clusters.values()):
            try:
                if cluster.connect(self.env["KAFKA_TESTBED_CONNECTION_STRING"], self.env["KAFKA_CA_FILE"]):
                    cluster.reconcile()
                    cluster.last_error = ""
            except Exception as error:  # pylint: disable=broad-except  # one namespace must not hold up the others
                text = f"namespace {cluster.key}: {type(error).__name__}: {error}"
                if text != cluster.last_error and (cluster.ready or time.monotonic() - cluster.started_at > 60):
                    self.log(f"will retry: {text}")
                cluster.last_error = text
                cluster.admin = None

    def retire(self, cluster: Cluster) -> None:
        """Stop a deleted namespace's broker in the background; its address and name stay taken until it is gone."""
        self.retiring[cluster.key] = cluster

        def stop() -> None:
            try:
                cluster.retire()
                self.log(f"namespace {cluster.key}: broker stopped, its data deleted")
            except Exception as error:  # pylint: disable=broad-except
                self.log(f"namespace {cluster.key}: stopping its broker failed: {error!r}")
            finally:
                self.retiring.pop(cluster.key, None)
                self.wake.set()

        threading.Thread(target=stop, daemon=True, name=f"retire-{cluster.key}").start()

    def hubs_deleted_through_kafka(self, key: str, topics: list[str]) -> None:
        with self.store.lock:
            namespace = self.store.state["namespaces"].get(key)
            for name in topics:
                hub = namespace["eventhubs"].get(name.lower()) if namespace else None
                if hub and hub["name"] == name:
                    del namespace["eventhubs"][name.lower()]
                    self.log(f"topic {name} deleted through Kafka: event hub {namespace['name']}/{name} deleted")
            self.store.save()

    # ----------------------------------------------------------------------------- Kafka → ARM
    def namespace_for_kafka(self, name: str) -> dict:
        namespace = self.store.state["namespaces"].get(name.lower())
        if namespace is None or namespace not in kafka_namespaces(self.store.state):
            raise Refusal(f"Namespace '{name}' has no Kafka endpoint in the ARM test double.")
        return namespace

    def create_topic(self, key: str, request: dict) -> None:
        """A Manage client's CreateTopics: the event hub is created through the double's own validation."""
        topic, partitions, configs = request["topic"], int(request["partitions"]), request.get("configs") or {}
        with self.store.lock:
            namespace = self.namespace_for_kafka(key)
            if topic.lower() in namespace["eventhubs"]:
                raise Refusal(f"Topic '{topic}' is already an event hub of namespace '{namespace['name']}'.")
            try:
                self.provider.put_event_hub(self.provider.subscription, namespace["resourceGroup"], namespace["name"], topic,
                                            hub_properties(partitions, configs, None))
            except ArmError as error:
                raise Refusal(error.message) from error
        self.log(f"CreateTopics {topic} through Kafka: event hub {namespace['name']}/{topic} created")
        self.wake.set()

    def alter_configs(self, key: str, request: dict) -> None:
        """AlterConfigs on a topic that is an event hub: applied to the hub, with the tier's limits."""
        topic, configs = request["topic"], request.get("configs") or {}
        with self.store.lock:
            namespace = self.store.state["namespaces"].get(key)
            hub = namespace["eventhubs"].get(topic.lower()) if namespace else None
            if hub is None or hub["name"] != topic:
                return
            body = hub_properties(hub["partitionCount"], configs, hub)
            if hub_properties(hub["partitionCount"], {}, hub) == body:
                return
            try:
                self.provider.put_event_hub(self.provider.subscription, namespace["resourceGroup"], namespace["name"],
                                            hub["name"], {"properties": {**body["properties"], "status": hub["status"],
                                                                         "userMetadata": hub.get("userMetadata")}})
            except ArmError as error:
                raise Refusal(error.message) from error
        self.wake.set()


class BrokerCallbackHandler(BaseHTTPRequestHandler):
    """POST /namespaces/<namespace>/topics and .../configs from the brokers' policies: 200, or 403 with the refusal as plain text."""

    server: ThreadingHTTPServer

    def do_POST(self) -> None:  # noqa: N802  (http.server's naming)
        sync: NamespaceSync = self.server.sync  # type: ignore[attr-defined]
        handlers = {"topics": sync.create_topic, "configs": sync.alter_configs}
        try:
            length = int(self.headers.get("Content-Length") or 0)
            request = json.loads(self.rfile.read(length) or b"{}")
            # /namespaces/<namespace>/topics|configs: each broker names the namespace it is.
            parts = self.path.strip("/").split("/")
            handler = handlers.get(parts[2]) if len(parts) == 3 and parts[0] == "namespaces" else None
            if handler is None:
                self.answer(404, f"no such callback {self.path}")
                return
            handler(parts[1], request)
            self.answer(200, "ok")
        except Refusal as refusal:
            self.answer(403, str(refusal))
        except (KeyError, ValueError, TypeError) as error:
            self.answer(400, f"bad callback body: {error!r}")
        except Exception as error:  # pylint: disable=broad-except  # the broker must get an answer
            sync.log(f"callback {self.path} failed: {error!r}")
            self.answer(500, f"The ARM test double failed: {error!r}")

    def answer(self, status: int, text: str) -> None:
        payload = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        # One request per connection: the broker's HttpClient must not reuse a socket this server closes.
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (http.server's signature)
        return


def start(server: Any) -> NamespaceSync | None:
    """Called by the double's server once its state is loaded."""
    if os.environ.get("ARM_DOUBLE_KAFKA_SYNC", "1") == "0":
        return None
    sync = NamespaceSync(server)
    sync.start()
    return sync
