# SPDX-License-Identifier: GPL-3.0-or-later
"""Change data capture end to end on the testbed: PostgreSQL -> Debezium on a Connect worker -> event hubs.

A Debezium PostgreSQL connector (3.6.1.Final, from the workers' plugin.path) runs on a worker the
pod runner starts as the Debezium image would. Its topics, and Connect's three, are created first
as event hubs of a namespace of the ARM test double, as the broker requires when it refuses
auto-creation. The database password reaches the connector only as a `${dir:...}` placeholder
resolved from a mounted Secret: the test reads it back from neither the REST API nor the config topic.
INSERT, UPDATE and DELETE rows are then read from the topics as change events (keys, `op` codes).

Needs the kube, arm, kafka, pods and postgres components (`make testbed-up`).
"""
from __future__ import annotations

import json
import logging
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest

from cdc_demo import namespace_bootstrap  # noqa: E402
from test_pod_runner import (CONNECTOR_SECRETS_DIR, answering, create_workers, debezium_worker_env, http,  # noqa: E402
                             read_env, state_dir, wait_for, worker_container, worker_ips)

kubernetes = pytest.importorskip("kubernetes")
confluent_kafka = pytest.importorskip("confluent_kafka")
from azure.identity import ClientSecretCredential  # noqa: E402
from azure.mgmt.eventhub import EventHubManagementClient  # noqa: E402
from azure.mgmt.eventhub.models import EHNamespace, Eventhub, RetentionDescription, Sku  # noqa: E402
from confluent_kafka import Consumer, TopicPartition  # noqa: E402
from kubernetes import client, config  # noqa: E402

POSTGRES_CONNECTOR = "io.debezium.connector.postgresql.PostgresConnector"
SCOPE = "https://management.azure.com/.default"
EVENT_SECONDS = 120.0
QUIET = logging.getLogger("test_cdc.librdkafka")
QUIET.addHandler(logging.NullHandler())
QUIET.propagate = False


@pytest.fixture(scope="module")
def env() -> dict[str, str]:
    values: dict[str, str] = {}
    for name in ("kube.env", "arm.env", "kafka.env", "pods.env", "postgres.env"):
        path = state_dir() / name
        if not path.is_file():
            pytest.skip(f"no testbed: {path} is absent (run `make testbed-up`)")
        values.update(read_env(path))
    return values


def psql(env: dict[str, str], sql: str) -> str:
    """One statement as the superuser over the unix socket; the rows' first column, one a line."""
    command = [f"{env['POSTGRES_BIN']}/psql", "-h", env["POSTGRES_SOCKET_DIR"], "-p", env["POSTGRES_PORT"],
               "-U", env["POSTGRES_SUPERUSER"], "-d", env["POSTGRES_DB"], "-X", "-q", "-t", "-A",
               "-v", "ON_ERROR_STOP=1", "-c", sql]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()


def eventhub_client(env: dict[str, str]) -> EventHubManagementClient:
    credential = ClientSecretCredential(env["AZURE_TENANT"], env["AZURE_CLIENT_ID"], env["AZURE_SECRET"],
                                        authority=env["ARM_DOUBLE_URL"], disable_instance_discovery=True,
                                        connection_verify=env["ARM_DOUBLE_CA_FILE"])
    return EventHubManagementClient(credential, env["AZURE_SUBSCRIPTION_ID"], base_url=env["ARM_DOUBLE_URL"],
                                    credential_scopes=[SCOPE], connection_verify=env["ARM_DOUBLE_CA_FILE"])


class Pipeline:
    """Names of one run: namespace (Kubernetes and Event Hubs), topics, replication slot."""

    def __init__(self) -> None:
        run = uuid.uuid4().hex[:8]
        self.namespace = f"cdc-{run}"
        # Topic names as a user picks them: the namespace is a Kafka cluster of its own, nobody else's topics are there.
        self.prefix = "inventory"
        self.slot = f"cdc_{run}"  # the testbed's one PostgreSQL serves every test
        self.internal = {kind: f"connect-{kind}" for kind in ("configs", "offsets", "status")}
        self.data = {table: f"{self.prefix}.public.{table}" for table in ("customers", "orders")}


@pytest.fixture(scope="module")
def pipeline(env: dict[str, str]) -> Iterator[tuple[Pipeline, str, str]]:
    """Event hubs first, then a one-worker Connect; yields (names, connection string, worker IP)."""
    names = Pipeline()
    group = env["ARM_DOUBLE_RESOURCE_GROUP"]
    hubs = eventhub_client(env)
    standard = Sku(name="Standard", tier="Standard", capacity=1)
    location = env.get("ARM_DOUBLE_LOCATION", "westeurope")
    hubs.namespaces.begin_create_or_update(group, names.namespace, EHNamespace(location=location, sku=standard)).result()
    core = client.CoreV1Api(config.new_client_from_config(config_file=env["KUBECONFIG"]))
    apps = client.AppsV1Api(core.api_client)
    try:
        for hub in names.internal.values():
            compacted = RetentionDescription(cleanup_policy="Compact", tombstone_retention_time_in_hours=24)
            hubs.event_hubs.create_or_update(group, names.namespace, hub,
                                             Eventhub(partition_count=1, retention_description=compacted))
        for hub in names.data.values():
            hubs.event_hubs.create_or_update(group, names.namespace, hub,
                                             Eventhub(partition_count=1, message_retention_in_days=1))
        connection = hubs.namespaces.list_keys(group, names.namespace,
                                               "RootManageSharedAccessKey").primary_connection_string
        settings, credentials = debezium_worker_env(names.namespace, connection, "connect", namespace_bootstrap(connection))
        password = Path(env["POSTGRES_DEBEZIUM_PASSWORD_FILE"]).read_text(encoding="utf-8").strip()
        core.create_namespace({"metadata": {"name": names.namespace}})
        core.create_namespaced_secret(names.namespace, {"metadata": {"name": "connector-secrets"},
                                                        "stringData": {"database-password": password}})
        mount = {"name": "connector-secrets", "mountPath": CONNECTOR_SECRETS_DIR, "readOnly": True}
        volume = {"name": "connector-secrets", "secret": {"secretName": "connector-secrets"}}
        create_workers(core, apps, names.namespace, settings, credentials, 1, worker_container(extra_mounts=[mount]),
                       [volume])
        ip = wait_for("the worker's pod IP", lambda: next(iter(worker_ips(core, names.namespace).values()), None))
        wait_for(f"the worker on {ip}", lambda: answering(ip))
        yield names, connection, ip
    finally:
        core.delete_namespace(names.namespace)
        hubs.namespaces.begin_delete(group, names.namespace).result()


def connector_config(env: dict[str, str], names: Pipeline) -> dict[str, str]:
    return {
        "connector.class": POSTGRES_CONNECTOR, "tasks.max": "1", "plugin.name": "pgoutput",
        "database.hostname": env["POSTGRES_HOST"], "database.port": env["POSTGRES_PORT"],
        "database.dbname": env["POSTGRES_DB"], "database.user": env["POSTGRES_USER"],
        "database.password": f"${{dir:{CONNECTOR_SECRETS_DIR}:database-password}}",
        "topic.prefix": names.prefix, "table.include.list": "public.customers,public.orders",
        "publication.name": env["POSTGRES_PUBLICATION"], "publication.autocreate.mode": "disabled",
        "slot.name": names.slot, "snapshot.mode": "no_data", "poll.interval.ms": "100",
    }


def running(ip: str, name: str) -> dict[str, Any] | None:
    status, body = http("GET", f"http://{ip}:8083/connectors/{name}/status")
    if status != 200:
        return None
    tasks = body.get("tasks") or []
    if body["connector"]["state"] == "FAILED" or any(task["state"] == "FAILED" for task in tasks):
        pytest.fail(f"connector {name} failed: {json.dumps(body)[:2000]}")
    return body if body["connector"]["state"] == "RUNNING" and tasks and tasks[0]["state"] == "RUNNING" else None


def decoded(key: bytes | None) -> Any:
    """A record key as JSON (the converters' keys), else as text (Connect's config topic keys)."""
    if key is None:
        return None
    try:
        return json.loads(key)
    except ValueError:
        return key.decode(errors="replace")


def consume(env: dict[str, str], connection: str, topic: str, until: int, timeout: float = EVENT_SECONDS
            ) -> list[tuple[Any, Any]]:
    """(key, value) JSON pairs of a topic from its beginning, until `until` records or the timeout."""
    consumer = Consumer({
        "bootstrap.servers": namespace_bootstrap(connection), "security.protocol": "SASL_SSL",
        "sasl.mechanism": "PLAIN", "sasl.username": "$ConnectionString", "sasl.password": connection,
        "ssl.ca.location": env["KAFKA_CA_FILE"], "group.id": f"reader-{uuid.uuid4().hex[:8]}",
        "enable.auto.commit": False, "logger": QUIET})
    consumer.assign([TopicPartition(topic, 0, confluent_kafka.OFFSET_BEGINNING)])
    records: list[tuple[Any, Any]] = []
    deadline = time.monotonic() + timeout
    try:
        while len(records) < until and time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is None or message.error():
                continue
            key, value = message.key(), message.value()
            records.append((decoded(key), json.loads(value) if value is not None else None))
    finally:
        consumer.close()
    return records


def ops_of(records: list[tuple[Any, Any]], row_id: int) -> list[str]:
    """`op` codes of one row's events in order, `tombstone` for a null value."""
    found = []
    for key, value in records:
        if isinstance(key, dict) and key["payload"]["id"] == row_id:
            found.append("tombstone" if value is None else value["payload"]["op"])
    return found


def test_row_changes_travel_from_postgres_to_the_event_hubs(env: dict[str, str],
                                                            pipeline: tuple[Pipeline, str, str]) -> None:
    names, connection, ip = pipeline
    name = "inventory-connector"
    config_body = connector_config(env, names)
    status, body = http("PUT", f"http://{ip}:8083/connectors/{name}/config", config_body)
    assert status in (200, 201), body
    try:
        wait_for(f"{name} and its task RUNNING", lambda: running(ip, name), timeout=120)
        # The task is RUNNING before it streams: changes count only once its slot is active.
        wait_for(f"replication slot {names.slot} active", lambda: psql(
            env, f"SELECT active FROM pg_replication_slots WHERE slot_name = '{names.slot}'") == "t", timeout=60)
        customer = int(psql(env, "INSERT INTO public.customers (first_name, last_name, email) VALUES "
                                 f"('Ada', 'Lovelace', 'ada-{names.slot}@example.com') RETURNING id").splitlines()[0])
        psql(env, f"UPDATE public.customers SET last_name = 'King' WHERE id = {customer}")
        order = int(psql(env, "INSERT INTO public.orders (purchaser, quantity, product) VALUES "
                              f"({customer}, 2, 'widget') RETURNING id").splitlines()[0])
        psql(env, f"DELETE FROM public.orders WHERE id = {order}")
        psql(env, f"DELETE FROM public.customers WHERE id = {customer}")

        customers = consume(env, connection, names.data["customers"], until=4)
        orders = consume(env, connection, names.data["orders"], until=3)
        assert ops_of(customers, customer) == ["c", "u", "d", "tombstone"]
        assert ops_of(orders, order) == ["c", "d", "tombstone"]
        created, updated = customers[0][1]["payload"], customers[1][1]["payload"]
        assert created["after"]["last_name"] == "Lovelace" and updated["after"]["last_name"] == "King"
        assert created["source"]["table"] == "customers" and created["source"]["db"] == env["POSTGRES_DB"]
        assert orders[0][1]["payload"]["after"]["purchaser"] == customer

        # The password went through neither the REST API nor the config topic.
        password = Path(env["POSTGRES_DEBEZIUM_PASSWORD_FILE"]).read_text(encoding="utf-8").strip()
        status, stored = http("GET", f"http://{ip}:8083/connectors/{name}/config")
        assert status == 200 and stored["database.password"] == config_body["database.password"]
        raw = consume(env, connection, names.internal["configs"], until=3, timeout=30)
        values = [json.dumps(value) for _key, value in raw]
        assert any(config_body["database.password"] in value for value in values)
        assert not any(password in value for value in values)
        worker_log = next((state_dir() / "pods" / names.namespace).glob("*/worker.log")).read_text(errors="replace")
        assert password not in worker_log and connection.split("SharedAccessKey=", 1)[1] not in worker_log
    finally:
        http("DELETE", f"http://{ip}:8083/connectors/{name}")
        # Replication slots outlive their connector and hold WAL: drop it once the task let it go.
        inactive = f"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{names.slot}' AND active"
        wait_for(f"slot {names.slot} released", lambda: psql(env, inactive) == "0", timeout=60)
        psql(env, f"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                  f"WHERE slot_name = '{names.slot}'")
