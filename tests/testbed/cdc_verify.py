# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks of the `site` molecule scenario on the pipeline site.yml built from inventories/local.

    python tests/testbed/cdc_verify.py --eventhub-namespace NS --kubernetes-namespace NS [--kafka-connect-name N]

Reads every backend back: the Debezium connector and its task RUNNING (GET .../status through the
API server's service proxy); an INSERT, UPDATE and DELETE of a customers row and an INSERT and
DELETE of an orders row arrive as exactly that many change events (keys, `op` c/u/d and the
tombstone) on the planned event hubs, read by a consumer that logs in with a Listen-only rule's
connection string; the database password is in neither the `connect-configs` topic (read with that
consumer), nor any ConfigMap of the namespace, nor the workers' logs (what `kubectl logs` shows).
Exits 1 with the failed checks listed, never printing the password.
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cdc_demo import Psql, TopicReader, connector_status, listen_connection_string, testbed_env  # noqa: E402

EVENT_SECONDS = 90.0
QUIET_SECONDS = 3.0  # after the expected events, how long no extra one may arrive


class Collected:
    """Records of several topics by (topic, key id), in arrival order."""

    def __init__(self) -> None:
        self.records: dict[str, list[tuple[Any, Any]]] = {}
        self.changed = threading.Condition()

    def reader_for(self, topic: str) -> Any:
        def seen(row: Any, value: Any, _arrival: float) -> None:
            with self.changed:
                self.records.setdefault(topic, []).append((row, value))
                self.changed.notify_all()
        return seen

    def ops(self, topic: str, row: Any) -> list[str]:
        with self.changed:
            return ["tombstone" if value is None else value.get("payload", value).get("op")
                    for key, value in self.records.get(topic, []) if key == row]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--eventhub-namespace", required=True)
    parser.add_argument("--kubernetes-namespace", required=True)
    parser.add_argument("--kafka-connect-name", default="kafka-connect")
    parser.add_argument("--connector", default="inventory-postgres")
    parser.add_argument("--topic-prefix", default="demo")
    parser.add_argument("--config-topic", default="connect-configs")
    parser.add_argument("--slot-name", default="debezium_demo")
    args = parser.parse_args()
    env = testbed_env()
    failures: list[str] = []

    status = connector_status(env, args.kubernetes_namespace, args.kafka_connect_name, args.connector)
    tasks = status.get("tasks") or []
    if status.get("connector", {}).get("state") != "RUNNING" or not tasks \
            or any(task["state"] != "RUNNING" for task in tasks):
        failures.append(f"connector {args.connector} and its tasks not all RUNNING: {str(status)[:1500]}")
        print("\n".join(failures), file=sys.stderr)
        return 1
    print(f"connector {args.connector} RUNNING, tasks " + ", ".join(f"{t['id']} {t['state']}" for t in tasks))

    connection = listen_connection_string(env, args.eventhub_namespace, "verify-listen")
    customers, orders = (f"{args.topic_prefix}.public.{table}" for table in ("customers", "orders"))
    collected = Collected()
    readers = [TopicReader(env, connection, topic, collected.reader_for(topic), from_beginning=True)
               for topic in (customers, orders)]
    for reader in readers:
        reader.start()
    psql = Psql(env)
    tag = uuid.uuid4().hex[:8]
    try:
        slot = args.slot_name
        active = psql.one(f"SELECT count(*) FROM pg_replication_slots WHERE active AND slot_name = '{slot}'")
        if active != "1":
            failures.append(f"replication slot {slot} is not active")
        customer = psql.insert_customer(tag)
        psql.one(f"UPDATE public.customers SET last_name = 'Brewster' WHERE id = {customer} RETURNING id")
        order = int(psql.one(f"INSERT INTO public.orders (purchaser, quantity, product) VALUES ({customer}, 3, "
                             "'compiler') RETURNING id"))
        psql.one(f"DELETE FROM public.orders WHERE id = {order} RETURNING id")
        psql.one(f"DELETE FROM public.customers WHERE id = {customer} RETURNING id")
        expected = {(customers, customer): ["c", "u", "d", "tombstone"], (orders, order): ["c", "d", "tombstone"]}
        with collected.changed:
            collected.changed.wait_for(lambda: all(len(collected.ops(t, r)) >= len(ops)
                                                   for (t, r), ops in expected.items()), timeout=EVENT_SECONDS)
        time.sleep(QUIET_SECONDS)
    finally:
        psql.close()
        for reader in readers:
            reader.close()
    for (topic, row), ops in expected.items():
        got = collected.ops(topic, row)
        if got != ops:
            failures.append(f"{topic} row {row}: events {got}, expected exactly {ops}")
        else:
            print(f"{topic} row {row}: {' '.join(got)}")
    created = [value for key, value in collected.records.get(customers, []) if key == customer and value]
    if created and created[0].get("payload", {}).get("after", {}).get("last_name") != "Hopper":
        failures.append(f"{customers}: the create event's after is {created[0].get('payload', {}).get('after')}")

    password = Path(env["POSTGRES_DEBEZIUM_PASSWORD_FILE"]).read_text(encoding="utf-8").strip()
    configs: list[tuple[Any, Any]] = []
    config_reader = TopicReader(env, connection, args.config_topic,
                                lambda key, value, _t: configs.append((key, value)), from_beginning=True)
    config_reader.start()
    time.sleep(QUIET_SECONDS)
    config_reader.close()
    config_text = "\n".join(str(value) for _key, value in configs)
    if "${dir:" not in config_text:
        failures.append(f"{args.config_topic}: no record with the ${{dir:...}} placeholder ({len(configs)} records)")
    if password in config_text:
        failures.append(f"{args.config_topic}: the database password is stored in the clear")
    print(f"{args.config_topic}: {len(configs)} records, placeholder present, password absent"
          if password not in config_text else f"{args.config_topic}: password FOUND")

    from kubernetes import client, config
    core = client.CoreV1Api(config.new_client_from_config(config_file=env["KUBECONFIG"]))
    maps = core.list_namespaced_config_map(args.kubernetes_namespace).items
    leaking = [item.metadata.name for item in maps if password in str(item.data or {})]
    if leaking:
        failures.append(f"ConfigMaps holding the database password: {leaking}")
    state = Path(os.environ.get("TESTBED_STATE") or Path(__file__).resolve().parents[2] / "tests/output/testbed")
    logs = sorted((state / "pods" / args.kubernetes_namespace).glob("*/worker.log"))
    if not logs:
        failures.append(f"no worker log under pods/{args.kubernetes_namespace}")
    leaking = [log.parent.name for log in logs if password in log.read_text(errors="replace")]
    if leaking:
        failures.append(f"worker logs holding the database password: {leaking}")
    print(f"{len(maps)} ConfigMaps and {len(logs)} worker logs checked for the password")
    if failures:
        print("\n".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
