# SPDX-License-Identifier: GPL-3.0-or-later
"""The end of `make demo`: one row inserted into PostgreSQL, read back as a change event from its event hub.

    .venv/bin/python tests/testbed/cdc_demo.py   (after site.yml ran with inventories/local)

Prints the Debezium connector's state (through the API server's service proxy, as the connectors
role reads it), inserts a row into public.customers and prints the change event that the connector
wrote to the event hub demo.public.customers, read by a consumer that logs in with the connection
string of a Listen-only SAS rule (created here, `demo-listen`): reading needs no more right.
The pieces (Listen rule, psql session, topic reader) are shared with bench/cdc_latency.py.
"""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[2]
CONNECTOR = "inventory-postgres"
TOPIC = "demo.public.customers"
LISTEN_RULE = "demo-listen"
SCOPE = "https://management.azure.com/.default"
QUIET = logging.getLogger("cdc_demo.librdkafka")
QUIET.addHandler(logging.NullHandler())
QUIET.propagate = False


def namespace_bootstrap(connection_string: str) -> str:
    """Where a Kafka client of Event Hubs connects: the namespace's own host (its connection string's Endpoint),
    port 9093. Each namespace is a Kafka cluster of its own."""
    fields = dict(part.split("=", 1) for part in connection_string.split(";") if "=" in part)
    return f"{fields['Endpoint'].split('://', 1)[-1].strip('/').split('/')[0]}:9093"


def testbed_env() -> dict[str, str]:
    state = Path(os.environ.get("TESTBED_STATE") or REPO / "tests" / "output" / "testbed")
    path = state / "testbed.env"
    if not path.is_file():
        sys.exit(f"no testbed: {path} is absent (run `make testbed-up`)")
    pairs = (line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines() if "=" in line)
    return dict(pairs)


def namespace_name(env: dict[str, str]) -> str:
    return os.environ.get("STREAMOPS_EVENTHUB_NAMESPACE") or env.get("STREAMOPS_EVENTHUB_NAMESPACE") \
        or "streamops-demo-ehns"


def listen_connection_string(env: dict[str, str], namespace: str, rule: str = LISTEN_RULE) -> str:
    """Create (or keep) a namespace SAS rule with Listen only and return its primary connection string."""
    from azure.identity import ClientSecretCredential
    from azure.mgmt.eventhub import EventHubManagementClient
    from azure.mgmt.eventhub.models import AuthorizationRule

    credential = ClientSecretCredential(env["AZURE_TENANT"], env["AZURE_CLIENT_ID"], env["AZURE_SECRET"],
                                        authority=env["ARM_DOUBLE_URL"], disable_instance_discovery=True,
                                        connection_verify=env["ARM_DOUBLE_CA_FILE"])
    hubs = EventHubManagementClient(credential, env["AZURE_SUBSCRIPTION_ID"], base_url=env["ARM_DOUBLE_URL"],
                                    credential_scopes=[SCOPE], connection_verify=env["ARM_DOUBLE_CA_FILE"])
    group = env.get("ARM_DOUBLE_RESOURCE_GROUP", "rg-streamops-testbed")
    hubs.namespaces.create_or_update_authorization_rule(group, namespace, rule, AuthorizationRule(rights=["Listen"]))
    return hubs.namespaces.list_keys(group, namespace, rule).primary_connection_string


def connector_status(env: dict[str, str], namespace: str = "kafka-connect", service: str = "kafka-connect",
                     name: str = CONNECTOR) -> dict[str, Any]:
    from kubernetes import client, config

    core = client.CoreV1Api(config.new_client_from_config(config_file=env["KUBECONFIG"]))
    answer = core.connect_get_namespaced_service_proxy_with_path(f"{service}:8083", namespace,
                                                                 f"connectors/{name}/status", _preload_content=False)
    return json.loads(answer.data)


class Psql:
    """One psql session as the superuser over the unix socket: each statement autocommits, and its
    first output line comes back once PostgreSQL has committed it."""

    def __init__(self, env: dict[str, str]) -> None:
        command = [f"{env['POSTGRES_BIN']}/psql", "-h", env["POSTGRES_SOCKET_DIR"], "-p", env["POSTGRES_PORT"],
                   "-U", env["POSTGRES_SUPERUSER"], "-d", env["POSTGRES_DB"], "-X", "-q", "-t", "-A",
                   "-v", "ON_ERROR_STOP=1"]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def one(self, sql: str) -> str:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(sql.rstrip(";") + ";\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"psql ended on: {sql}")
        return line.strip()

    def insert_customer(self, tag: str) -> int:
        return int(self.one("INSERT INTO public.customers (first_name, last_name, email) VALUES "
                            f"('Grace', 'Hopper', 'grace-{tag}@example.com') RETURNING id"))

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=10)


class TopicReader:
    """A consumer of one topic from its end (or beginning), in a thread: calls `seen(key id, event, arrival)`
    per record; a key that is not a row's JSON key comes as its text."""

    def __init__(self, env: dict[str, str], connection: str, topic: str,
                 seen: Callable[[Any, Any, float], None], from_beginning: bool = False,
                 bootstrap: str | None = None) -> None:
        from confluent_kafka import Consumer

        # The namespace's endpoint is its connection string's; the testbed's operator string names none, so a
        # reader with it says which namespace's cluster it reads.
        self.consumer = Consumer({
            "bootstrap.servers": bootstrap or namespace_bootstrap(connection), "security.protocol": "SASL_SSL",
            "sasl.mechanism": "PLAIN", "sasl.username": "$ConnectionString", "sasl.password": connection,
            "ssl.ca.location": env["KAFKA_CA_FILE"], "group.id": f"demo-{uuid.uuid4().hex[:8]}",
            "enable.auto.commit": False, "auto.offset.reset": "latest", "fetch.wait.max.ms": 10,
            "logger": QUIET})
        self.topic, self.seen, self.from_beginning = topic, seen, from_beginning
        self.ready = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self, timeout: float = 60.0) -> None:
        self.thread.start()
        if not self.ready.wait(timeout):
            raise RuntimeError(f"no partition of {self.topic} assigned within {timeout:.0f} s")

    def _run(self) -> None:
        from confluent_kafka import OFFSET_BEGINNING, OFFSET_END, KafkaException, TopicPartition

        # a new SAS rule reaches the broker's ACLs a moment after ARM answered: ask until it describes the topic
        deadline, partitions = time.monotonic() + 30, []
        while not partitions and time.monotonic() < deadline:
            try:
                topic = self.consumer.list_topics(self.topic, timeout=10).topics[self.topic]
                partitions = [] if topic.error else list(topic.partitions)
            except KafkaException:  # while the login is still refused
                partitions = []
            if not partitions:
                time.sleep(0.5)
        if not partitions:
            self.consumer.close()
            return
        self.consumer.assign([TopicPartition(self.topic, p, OFFSET_BEGINNING if self.from_beginning else OFFSET_END) for p in partitions])
        while not self.stop.is_set():
            message = self.consumer.poll(0.05)
            if message is None:
                # the first empty poll means the fetch position (the end) is resolved
                self.ready.set()
                continue
            if message.error():
                continue
            arrival = time.monotonic()
            self.ready.set()
            self.seen(row_of(message.key()), decoded(message.value()), arrival)
        self.consumer.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=15)


def decoded(data: bytes | None) -> Any:
    """A record's bytes as JSON, else as text (Connect's config topic keys), None for a tombstone."""
    if data is None:
        return None
    try:
        return json.loads(data)
    except ValueError:
        return data.decode(errors="replace")


def row_of(key: bytes | None) -> Any:
    """The row id of a Debezium key (JSON with or without schemas), else the decoded key."""
    value = decoded(key)
    if isinstance(value, dict):
        return value.get("payload", value).get("id")
    return value


def main() -> int:
    started = time.monotonic()
    env = testbed_env()
    namespace = namespace_name(env)
    status = connector_status(env)
    tasks = ", ".join(f"task {task['id']} {task['state']} on {task['worker_id']}" for task in status.get("tasks", []))
    print(f"connector {status['name']}: {status['connector']['state']} on {status['connector']['worker_id']}; {tasks}")
    connection = listen_connection_string(env, namespace)
    found: dict[int, tuple[Any, float]] = {}
    arrived = threading.Condition()

    def seen(row: Any, value: Any, arrival: float) -> None:
        with arrived:
            found[row] = (value, arrival)
            arrived.notify_all()

    reader = TopicReader(env, connection, TOPIC, seen)
    reader.start()
    psql = Psql(env)
    try:
        row = psql.insert_customer(uuid.uuid4().hex[:8])
        committed = time.monotonic()
        with arrived:
            arrived.wait_for(lambda: row in found, timeout=60)
    finally:
        psql.close()
        reader.close()
    if row not in found:
        print(f"no change event for customers row {row} on {TOPIC} within 60 s", file=sys.stderr)
        return 1
    value, arrival = found[row]
    payload = value.get("payload", value)
    print(f"INSERT of customers row {row} committed; its change event on event hub {TOPIC} "
          f"(read with Listen-only rule {LISTEN_RULE}) after {arrival - committed:.3f} s:")
    event = {field: payload.get(field) for field in ("op", "before", "after", "ts_ms")}
    event["source"] = {k: payload.get("source", {}).get(k) for k in ("connector", "db", "schema", "table", "lsn")}
    print(json.dumps(event, indent=2))
    print(f"(demo step took {time.monotonic() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
