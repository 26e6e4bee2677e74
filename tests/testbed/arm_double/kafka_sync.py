# SPDX-License-Identifier: GPL-3.0-or-later
"""The double's namespaces on the testbed's Kafka broker: event hubs are topics, SAS rules are ACL principals.

Two directions, both run by the double:

- ARM → Kafka: a thread reconciles the broker with the double's state every `INTERVAL` seconds (and at
  once after a change from Kafka): every event hub of a Kafka-capable namespace (Standard, Premium; not
  being deleted) is a topic with the hub's partition count, `cleanup.policy`, `retention.ms`; a topic
  whose hub went away is deleted; every namespace-level SAS rule is the principal
  `User:<namespace>/<rule>` with ACLs for its rights on its namespace's topics only (see `rule_acls`), unless
  the namespace's local auth is disabled; every Entra ID principal with an Event Hubs data role covering the
  namespace is `User:<namespace>/<object id>` with the role's rights (authorization.py), the principal the
  broker's OAUTHBEARER handler (tests/testbed/java) names for a token whose audience is that namespace.
- Kafka → ARM: the broker's CreateTopicPolicy and AlterConfigPolicy (tests/testbed/java) ask this
  module over a loopback HTTP endpoint, whose URL is written to `<state>/arm/kafka-sync.url`, whether a
  Manage client's CreateTopics / AlterConfigs may happen; the answer is the double's own event hub
  validation (topic budget, partitions per tier, compaction, retention), and a created topic is an event
  hub in the double's state at once. A topic deleted through Kafka deletes its hub.

Several namespaces on one broker: topic names are global on a broker but event hub names are per
namespace, so a topic belongs to the namespace whose hub of that name is the oldest; a hub of the same
name in another namespace gets no topic (one log line) and its clients are not authorized for it.

The Kafka side needs confluent-kafka (imported when the broker's `kafka.env` appears in the state dir);
without it, or without a broker, the double runs as before. Set ARM_DOUBLE_KAFKA_SYNC=0 to turn it off.
"""
from __future__ import annotations

import atexit
import json
import logging
import math
import os
import threading
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
    """What the broker should hold, computed from the double's state."""

    topics: dict[str, dict[str, Any]] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)
    conflicts: dict[str, str] = field(default_factory=dict)
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


def desired_state(state: dict) -> Desired:
    desired = Desired()
    namespaces = kafka_namespaces(state)
    hubs = sorted(((hub["createdAt"], namespace["name"].lower(), hub) for namespace in namespaces
                   for hub in namespace["eventhubs"].values()), key=lambda entry: entry[:2])
    owned: dict[str, list[str]] = {namespace["name"].lower(): [] for namespace in namespaces}
    for _created, key, hub in hubs:
        name = hub["name"]
        if name in desired.owners:
            desired.conflicts[f"{key}/{name}"] = desired.owners[name]
            continue
        desired.owners[name] = key
        desired.topics[name] = {"partitions": hub["partitionCount"], "configs": topic_configs(hub)}
        owned[key].append(name)
    for namespace in namespaces:
        key = namespace["name"].lower()
        for object_id, rights in namespace_rights(state, namespace).items():
            desired.acls |= rule_acls(key, {"name": object_id, "rights": sorted(rights)}, owned[key])
        if namespace["properties"].get("disableLocalAuth"):
            continue
        for rule in namespace["authorizationRules"].values():
            desired.acls |= rule_acls(key, rule, owned[key])
    return desired


class Refusal(Exception):
    """A broker request the namespace does not allow; the message reaches the Kafka client."""


class NamespaceSync:
    """Runs beside the double's HTTP server; `start()` returns at once, the work happens in threads."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.store = server.store
        self.provider = server.provider
        self.state_dir: Path = server.config.state_dir
        self.stopping: threading.Event = server.stopping
        self.wake = threading.Event()
        self.admin: Any = None
        self.admin_stamp: Any = None
        self.cluster_id: str | None = None
        self.present: set[str] = set()
        self.applied: dict[str, dict] = {}
        self.applied_acls: set[Acl] | None = None
        self.last_error = ""
        self.reported: set[str] = set()
        self.managed_file = server.config.double_dir / "kafka-sync.json"
        self.managed: set[str] = set(json.loads(self.managed_file.read_text()) if self.managed_file.exists() else [])

    # --------------------------------------------------------------------------------- lifecycle
    def start(self) -> None:
        callbacks = ThreadingHTTPServer(("127.0.0.1", 0), BrokerCallbackHandler)
        callbacks.daemon_threads = True
        callbacks.sync = self  # type: ignore[attr-defined]
        threading.Thread(target=callbacks.serve_forever, kwargs={"poll_interval": 0.5}, daemon=True).start()
        url_file = self.server.config.double_dir / "kafka-sync.url"
        write_private_file(url_file, f"http://127.0.0.1:{callbacks.server_address[1]}\n")
        # A stopped double must not leave the broker asking a dead port.
        atexit.register(url_file.unlink, missing_ok=True)
        threading.Thread(target=self.run, daemon=True, name="kafka-sync").start()

    def log(self, message: str) -> None:
        print(f"arm: kafka sync: {message}", flush=True)

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                if self.connect():
                    self.reconcile()
                    self.last_error = ""
            except Exception as error:  # pylint: disable=broad-except  # the loop must outlive a broker restart
                text = f"{type(error).__name__}: {error}"
                if text != self.last_error:
                    self.log(f"will retry: {text}")
                self.last_error = text
                self.admin = None
            self.wake.wait(INTERVAL if self.admin is not None else 1.0)
            self.wake.clear()

    def connect(self) -> bool:
        """An admin client with the testbed's operator credential, once the broker wrote kafka.env."""
        env_file = self.state_dir / "kafka.env"
        try:
            stamp = env_file.stat().st_mtime_ns
        except OSError:
            self.admin = None
            return False
        if self.admin is not None and stamp == self.admin_stamp:
            return True
        env = dict(line.split("=", 1) for line in env_file.read_text(encoding="utf-8").splitlines() if "=" in line)
        from confluent_kafka.admin import AdminClient  # pylint: disable=import-outside-toplevel

        self.admin = AdminClient({
            "bootstrap.servers": env["KAFKA_BOOTSTRAP_LOCAL"], "security.protocol": "SASL_SSL",
            "sasl.mechanism": "PLAIN", "sasl.username": "$ConnectionString",
            "sasl.password": env["KAFKA_TESTBED_CONNECTION_STRING"], "ssl.ca.location": env["KAFKA_CA_FILE"],
            "logger": QUIET,
        })
        self.admin_stamp = stamp
        # A new kafka.env is a new broker process, maybe with its data wiped on `down`: forget what it showed.
        self.cluster_id = None
        return True

    # ----------------------------------------------------------------------------- ARM → Kafka
    def snapshot(self) -> Desired:
        with self.store.lock:
            return desired_state(self.store.state)

    def reconcile(self) -> None:
        metadata = self.admin.list_topics(timeout=KAFKA_TIMEOUT)
        if metadata.cluster_id != self.cluster_id:
            # Another broker, or the same one started again: nothing seen so far was deleted through Kafka.
            self.cluster_id, self.present, self.applied, self.applied_acls = metadata.cluster_id, set(), {}, None
        existing = {name: len(topic.partitions) for name, topic in metadata.topics.items() if not topic.error}
        desired = self.snapshot()
        gone = [name for name in self.present if name not in existing and name in desired.topics]
        if gone:
            self.hubs_deleted_through_kafka(gone)
            desired = self.snapshot()
        self.report_conflicts(desired)
        self.create_and_update(desired, existing)
        self.delete_orphans(desired, existing)
        self.present = {name for name in desired.topics if name in existing}
        # Rights only on topics the broker already showed: a client cannot delete a topic this loop has not seen yet.
        self.sync_acls({acl for acl in desired.acls if acl[0] != "TOPIC" or acl[1] == "*" or acl[1] in self.present})

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
            self.log(f"deleted topics whose event hub is gone: {', '.join(orphans)}")
        stale = {name for name in self.managed if name not in desired.topics}
        if stale:
            self.managed -= stale
            self.save_managed()

    def remember(self, topics: dict[str, Any]) -> None:
        if not set(topics) <= self.managed:
            self.managed |= set(topics)
            self.save_managed()

    def save_managed(self) -> None:
        write_private_file(self.managed_file, json.dumps(sorted(self.managed)))

    def hubs_deleted_through_kafka(self, topics: list[str]) -> None:
        with self.store.lock:
            for namespace in self.store.state["namespaces"].values():
                for name in topics:
                    hub = namespace["eventhubs"].get(name.lower())
                    if hub and hub["name"] == name:
                        del namespace["eventhubs"][name.lower()]
                        self.log(f"topic {name} deleted through Kafka: event hub {namespace['name']}/{name} deleted")
            self.store.save()
        self.present -= set(topics)

    def report_conflicts(self, desired: Desired) -> None:
        for hub, owner in desired.conflicts.items():
            if hub not in self.reported:
                self.log(f"event hub {hub} gets no topic: the topic name belongs to namespace {owner} on this broker")
                self.reported.add(hub)

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

    # ----------------------------------------------------------------------------- Kafka → ARM
    def namespace_for_kafka(self, name: str) -> dict:
        namespace = self.store.state["namespaces"].get(name.lower())
        if namespace is None or namespace not in kafka_namespaces(self.store.state):
            raise Refusal(f"Namespace '{name}' has no Kafka endpoint in the ARM test double.")
        return namespace

    def create_topic(self, request: dict) -> None:
        """A Manage client's CreateTopics: the event hub is created through the double's own validation."""
        topic, partitions, configs = request["topic"], int(request["partitions"]), request.get("configs") or {}
        with self.store.lock:
            namespace = self.namespace_for_kafka(request["namespace"])
            owner = desired_state(self.store.state).owners.get(topic)
            if owner is not None:
                raise Refusal(f"Topic '{topic}' is already an event hub of namespace '{owner}'.")
            try:
                self.provider.put_event_hub(self.provider.subscription, namespace["resourceGroup"], namespace["name"], topic,
                                            hub_properties(partitions, configs, None))
            except ArmError as error:
                raise Refusal(error.message) from error
        self.log(f"CreateTopics {topic} through Kafka: event hub {namespace['name']}/{topic} created")
        self.wake.set()

    def alter_configs(self, request: dict) -> None:
        """AlterConfigs on a topic that is an event hub: applied to the hub, with the tier's limits."""
        topic, configs = request["topic"], request.get("configs") or {}
        with self.store.lock:
            owner = desired_state(self.store.state).owners.get(topic)
            if owner is None:
                return
            namespace = self.store.state["namespaces"][owner]
            hub = namespace["eventhubs"][topic.lower()]
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
    """POST /topics and /configs from the broker's policies: 200, or 403 with the refusal as plain text."""

    server: ThreadingHTTPServer

    def do_POST(self) -> None:  # noqa: N802  (http.server's naming)
        sync: NamespaceSync = self.server.sync  # type: ignore[attr-defined]
        handlers = {"/topics": sync.create_topic, "/configs": sync.alter_configs}
        try:
            length = int(self.headers.get("Content-Length") or 0)
            request = json.loads(self.rfile.read(length) or b"{}")
            handler = handlers.get(self.path)
            if handler is None:
                self.answer(404, f"no such callback {self.path}")
                return
            handler(request)
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
