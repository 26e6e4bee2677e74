# SPDX-License-Identifier: GPL-3.0-or-later
"""Fault bench: does the CDC pipeline keep streaming through rolling updates, node loss and broken workers?

    python bench/faults.py [--faults rolling-2,sigkill] [-e '{"kafka_connect_workload_kind": "StatefulSet"}']
    make bench-faults                                    (all faults, with testbed.env loaded)

site.yml (inventories/local) builds a fresh Event Hubs namespace, Connect and the Debezium connector;
then a steady load of INSERTs into public.customers (20 rows/s by default, autocommitted) runs while a
consumer reads demo.public.customers from its beginning with a Listen-only rule. A row's event is its create
or, for a row committed before the connector's slot existed, its read in the initial snapshot. Each fault
opens a window:

  rolling-2 / rolling-3   a worker-setting change (the ConfigMap checksum rolls the pods), 2 / 3 replicas
  node-lost               the Node of the worker running the task deleted, 2 replicas on 3 nodes; the pod
                          runner kills that node's workers (the machine is gone), PodGC deletes the orphaned
                          pods, the workload's controller replaces them elsewhere; the Node is restored after
  node-lost-required      the same with required anti-affinity and 3 replicas on 3 nodes: the replacement
                          stays Pending and the two others must carry the tasks
  sigkill / sigstop       the task's worker killed / hung mid-stream (the livenessProbe must replace it)
  apiserver-restart       the API server stopped, connect_ready started against it, the API server started

Per window it reports when every task was RUNNING again (Connect REST status, on a worker that is a
Ready pod) and when the stream caught up (the last row of the window whose change event came later than
LAG_LIMIT), measured from the reference: the last replacement pod's Ready, or the fault where nothing is
replaced. Rows made vs events read give lost (a row without event) and duplicated (extra events) counts.
`max lag` is the longest a row of the window waited for its event, the time the stream stood still even in
the middle of a rollout; `held` is the longest scheduled rebalance delay the workers' logged assignments
announced (0: Connect moved the departed worker's tasks at once), and the notes say whether the worker hit
led the group: a new leader assigns a departed worker's tasks at once, a follower's wait for the delay.
`restarts` counts the container restarts in the window (a liveness kill, a crash): 0 where nothing was
killed, or the probe killed a healthy worker. Rows without an event are traced at the end: in PostgreSQL?
on the topic read again? the connector's committed offsets, the slot, what the workers logged on resuming.
The last line is `faults: N/M recovered, max recovery X s, lost L, duplicated D`.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[1]
TESTBED = REPO / "tests" / "testbed"
sys.path.insert(0, str(TESTBED))

from cdc_demo import Psql, TopicReader, decoded, listen_connection_string, namespace_bootstrap, row_of  # noqa: E402  pylint: disable=wrong-import-position

FAULTS = ("rolling-2", "sigkill", "sigstop", "node-lost", "apiserver-restart", "rolling-3", "node-lost-required")
REPLICAS = {"rolling-3": 3, "node-lost-required": 3}
TOPIC = "demo.public.customers"
OFFSETS_TOPIC = "connect-offsets"  # the eventhub role's default, as inventories/local keeps it
LAG_LIMIT = 5.0  # an event later than this behind its row means the stream was interrupted
STABLE_SECONDS = 8.0  # status and stream both fine this long: the window closes
WINDOW_TIMEOUT = 480.0  # Connect's default scheduled.rebalance.max.delay.ms is 300 s
PLAYBOOK_TIMEOUT = 900
GOAL_SECONDS = 60.0
ASSIGNMENT = re.compile(r"^\[(?P<at>[0-9-]+ [0-9:]+),\d+\] INFO .*got assignment: .*leaderUrl='http://(?P<leader>[^/]+)/'"
                        r".*, delay=(?P<delay>\d+)")


def testbed_env() -> dict[str, str]:
    """The current environment with testbed.env over it."""
    env = dict(os.environ)
    state = Path(env.get("TESTBED_STATE") or REPO / "tests" / "output" / "testbed")
    state = state if state.is_absolute() else REPO / state
    env_file = state / "testbed.env"
    if not env_file.is_file():
        sys.exit(f"bench/faults.py: the testbed is not running ({env_file} is absent); run `make testbed-up`")
    for line in env_file.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            env[key] = value  # testbed.env wins: it points REQUESTS_CA_BUNDLE at the testbed CA
    env["TESTBED_STATE"] = str(state)
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", str(REPO / "tests" / "output" / "collections"))
    env["ANSIBLE_NOCOLOR"] = "1"
    return env


def remove_leftovers(env: dict[str, str]) -> None:
    """Delete the Event Hubs namespaces of runs that were cut short: each is a Kafka cluster of its own on the
    testbed (a broker JVM), which would hold memory and CPU for nothing."""
    from azure.identity import ClientSecretCredential  # pylint: disable=import-outside-toplevel
    from azure.mgmt.eventhub import EventHubManagementClient  # pylint: disable=import-outside-toplevel

    credential = ClientSecretCredential(env["AZURE_TENANT"], env["AZURE_CLIENT_ID"], env["AZURE_SECRET"],
                                        authority=env["ARM_DOUBLE_URL"], disable_instance_discovery=True,
                                        connection_verify=env["ARM_DOUBLE_CA_FILE"])
    hubs = EventHubManagementClient(credential, env["AZURE_SUBSCRIPTION_ID"], base_url=env["ARM_DOUBLE_URL"],
                                    credential_scopes=["https://management.azure.com/.default"],
                                    connection_verify=env["ARM_DOUBLE_CA_FILE"])
    group = env.get("ARM_DOUBLE_RESOURCE_GROUP", "rg-streamops-testbed")
    for namespace in hubs.namespaces.list_by_resource_group(group):
        if namespace.name.startswith("streamops-faults-"):
            print(f"deleting {namespace.name}, left by a run that was cut short", flush=True)
            hubs.namespaces.begin_delete(group, namespace.name).result()


def wall_to_monotonic(stamp: str) -> float:
    """An RFC 3339 time of the API server as this process's monotonic clock."""
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    return time.monotonic() - (time.time() - moment)


@dataclass
class Window:
    name: str
    start: float
    reference: float = 0.0
    end: float = 0.0
    recovered: bool = False
    status_at: float = 0.0
    stream_at: float = 0.0
    note: str = ""
    replaced: list[str] = field(default_factory=list)
    max_lag: float = 0.0  # the longest a row of the window waited for its event: how long the stream stood still
    held: float = 0.0  # the longest scheduled.rebalance delay Connect announced in the window
    restarts: int = 0  # container restarts in the window (liveness kills, crashes), replaced pods' included


class Pipeline:
    """site.yml's pipeline under load, and its observers: rows, events, Connect's status, the pods."""

    def __init__(self, env: dict[str, str], extra: dict[str, Any], rate: float) -> None:
        from kubernetes import client, config

        self.env, self.extra, self.rate = env, extra, rate
        suffix = uuid.uuid4().hex[:8]
        self.eventhub_namespace = f"streamops-faults-{suffix}"
        self.namespace = f"kafka-connect-faults-{suffix}"
        self.slot = f"faults_{suffix}"
        self.tag = f"faults-{suffix}"
        self.roll = 0
        self.replicas = 2
        self.vars_file = REPO / "tests" / "output" / f"faults-{suffix}.json"
        api = config.new_client_from_config(config_file=env["KUBECONFIG"])
        self.core = client.CoreV1Api(api)
        self.lock = threading.Lock()
        self.rows: dict[int, float] = {}  # row id -> commit time
        self.row_lsns: dict[int, str] = {}  # row id -> the WAL insert position when its INSERT returned
        self.events: dict[int, list[float]] = {}  # row id -> arrival times of its create (or snapshot read) events
        self.snapshot_rows: set[int] = set()  # rows whose event is a read of the initial snapshot
        self.samples: list[tuple[float, bool | None]] = []  # (time, status fine; None when unreadable)
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []
        self.reader: TopicReader | None = None
        self.lost_node: dict[str, Any] = {}

    # ------------------------------------------------------------ set-up

    def converge(self) -> float:
        variables = {"eventhub_namespace_name": self.eventhub_namespace, "kafka_connect_namespace": self.namespace,
                     "kafka_connect_replicas": self.replicas, "connectors_demo_slot_name": self.slot,
                     "kafka_connect_worker_settings": {"offset.flush.timeout.ms": 5000 + self.roll}}
        variables.update(self.extra)
        self.vars_file.parent.mkdir(parents=True, exist_ok=True)
        self.vars_file.write_text(json.dumps(variables), encoding="utf-8")
        return self.playbook("site.yml")

    def playbook(self, name: str, *args: str) -> float:
        command = [str(Path(sys.executable).with_name("ansible-playbook")), "-i", str(REPO / "inventories" / "local"),
                   str(REPO / "playbooks" / name), "-e", f"@{self.vars_file}", *args]
        started = time.monotonic()
        done = subprocess.run(command, cwd=REPO, env=self.env, capture_output=True, text=True,
                              timeout=PLAYBOOK_TIMEOUT, check=False)
        if done.returncode != 0:
            sys.stderr.write(done.stdout[-4000:] + done.stderr[-2000:])
            raise SystemExit(f"bench/faults.py: {name} failed (rc={done.returncode})")
        return time.monotonic() - started

    def start_observers(self) -> None:
        connection = listen_connection_string(self.env, self.eventhub_namespace, "faults-listen")
        # from the beginning: the topic is this run's own, and rows committed before the connector's slot existed
        # arrive in its initial snapshot, which may be written before a reader starting at the end is positioned
        self.reader = TopicReader(self.env, connection, TOPIC, self.seen, from_beginning=True)
        self.reader.start()
        for target in (self.load, self.watch_status):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self.threads.append(thread)

    def seen(self, row: Any, value: Any, arrival: float) -> None:
        payload = value.get("payload", value) if isinstance(value, dict) else None
        after = (payload or {}).get("after") or {}
        # "r": a row committed before the slot existed is read by the initial snapshot, not streamed as a create
        if payload and payload.get("op") in ("c", "r") and str(after.get("email", "")).startswith(self.tag):
            with self.lock:
                self.events.setdefault(int(row), []).append(arrival)
                if payload.get("op") == "r":
                    self.snapshot_rows.add(int(row))

    def load(self) -> None:
        psql = Psql(self.env)
        number = 0
        next_at = time.monotonic()
        try:
            while not self.stop.is_set():
                number += 1
                answer = psql.one("INSERT INTO public.customers (first_name, last_name, email) VALUES "
                                  f"('Fault', 'Load', '{self.tag}-{number}@faults.example') "
                                  "RETURNING id, pg_current_wal_insert_lsn()")
                row = int(answer.split("|")[0])
                with self.lock:
                    self.rows[row] = time.monotonic()
                    self.row_lsns[row] = answer.split("|")[1]
                next_at += 1.0 / self.rate
                time.sleep(max(0.0, next_at - time.monotonic()))
        finally:
            psql.close()

    # ------------------------------------------------------------ what Connect and Kubernetes say

    def pods(self) -> list[Any]:
        return self.core.list_namespaced_pod(self.namespace, label_selector="app=kafka-connect").items

    @staticmethod
    def ready_at(pod: Any) -> float | None:
        for condition in pod.status.conditions or []:
            if condition.type == "Ready" and condition.status == "True" and condition.last_transition_time:
                return wall_to_monotonic(condition.last_transition_time.isoformat())
        return None

    def connector_status(self) -> dict[str, Any]:
        answer = self.core.connect_get_namespaced_service_proxy_with_path(
            "kafka-connect:8083", self.namespace, "connectors/inventory-postgres/status", _preload_content=False,
            _request_timeout=5)
        return json.loads(answer.data)

    def status_fine(self) -> bool | None:
        """Connector and every task RUNNING, each on a worker that is a Ready pod; None when unreadable."""
        try:
            workers = {name for pod in self.pods() if self.ready_at(pod) is not None for name in self.worker_ids(pod)}
            status = self.connector_status()
        except Exception:  # pylint: disable=broad-exception-caught  # API server down, proxy 503: unknown
            return None
        tasks = status.get("tasks") or []
        states = [status.get("connector", {})] + tasks
        return bool(tasks) and all(item.get("state") == "RUNNING" and item.get("worker_id") in workers
                                   for item in states)

    def watch_status(self) -> None:
        while not self.stop.is_set():
            fine = self.status_fine()
            with self.lock:
                self.samples.append((time.monotonic(), fine))
            time.sleep(1.0)

    def caught_up(self) -> bool:
        """The latest row committed more than LAG_LIMIT ago has its event."""
        now = time.monotonic()
        with self.lock:
            old = [row for row, made in self.rows.items() if made < now - LAG_LIMIT]
            return bool(old) and max(old) in self.events

    def worker_ids(self, pod: Any) -> set[str]:
        """What the pod's worker may advertise: its IP, or with a StatefulSet its DNS name."""
        names = {f"{pod.status.pod_ip}:8083"}
        if pod.spec.hostname and pod.spec.subdomain:
            names.add(f"{pod.spec.hostname}.{pod.spec.subdomain}.{self.namespace}.svc:8083")
        return names

    def task_pod(self) -> Any:
        worker = self.connector_status()["tasks"][0]["worker_id"]
        return next(pod for pod in self.pods() if worker in self.worker_ids(pod))

    def worker_pid(self, pod_name: str) -> int:
        record = Path(self.env["TESTBED_STATE"]) / "pods" / self.namespace / pod_name / "worker.json"
        return int(json.loads(record.read_text(encoding="utf-8"))["pid"])

    def restart_counts(self) -> dict[str, int]:
        """Each pod's container restarts, by pod uid."""
        return {pod.metadata.uid: sum(status.restart_count or 0 for status in pod.status.container_statuses or [])
                for pod in self.pods()}

    def all_ready(self) -> bool:
        pods = [pod for pod in self.pods() if not pod.metadata.deletion_timestamp]
        return len(pods) == self.replicas and all(self.ready_at(pod) is not None for pod in pods)

    # ------------------------------------------------------------ one fault

    def window(self, name: str, action: Callable[[Window], None]) -> Window:
        names_before = {pod.metadata.name + pod.metadata.uid for pod in self.pods()}
        restarts_before = self.restart_counts()
        window = Window(name, time.monotonic())
        print(f"fault {name}: start", flush=True)
        action(window)
        deadline = window.start + WINDOW_TIMEOUT
        stable_since = None
        while time.monotonic() < deadline:
            fine = self.status_fine() and self.caught_up()
            now = time.monotonic()
            stable_since = (stable_since or now) if fine else None
            if stable_since is not None and now - stable_since >= STABLE_SECONDS:
                window.recovered = True
                break
            time.sleep(1.0)
        window.end = time.monotonic()
        replacements = [pod for pod in self.pods() if pod.metadata.name + pod.metadata.uid not in names_before]
        window.replaced = [pod.metadata.name for pod in replacements]
        ready = [at for at in (self.ready_at(pod) for pod in replacements) if at is not None and at >= window.start]
        if not window.reference:
            window.reference = max(ready) if ready else window.start
        with self.lock:
            bad = [at for at, fine in self.samples if window.start <= at <= window.end and fine is False]
            good = [at for at, fine in self.samples if bad and at > max(bad) and fine]
            window.status_at = min(good) if bad and good else window.start
            late = [min(self.events[row]) for row, made in self.rows.items()
                    if window.start <= made <= window.end and row in self.events
                    and min(self.events[row]) - made > LAG_LIMIT]
            window.stream_at = max(late) if late else window.start
            lags = [min(self.events[row]) - made for row, made in self.rows.items()
                    if window.start <= made <= window.end and row in self.events]
            window.max_lag = max(lags, default=0.0)
        window.held = self.announced_delay(window)
        window.restarts = sum(count - restarts_before.get(uid, 0) for uid, count in self.restart_counts().items())
        print(f"fault {name}: {'recovered' if window.recovered else 'NOT recovered'} "
              f"{self.recovery(window):.1f} s after the reference; from the fault: reference +"
              f"{window.reference - window.start:.1f} s, tasks RUNNING +{window.status_at - window.start:.1f} s, "
              f"stream caught up +{window.stream_at - window.start:.1f} s; max lag {window.max_lag:.1f} s, held "
              f"{window.held:.0f} s; {window.restarts} restart(s); replaced {window.replaced or 'nothing'}"
              f"{'; ' + window.note if window.note else ''}", flush=True)
        return window

    def worker_logs(self) -> list[Path]:
        return sorted((Path(self.env["TESTBED_STATE"]) / "pods" / self.namespace).glob("*/worker.log"))

    def announced_delay(self, window: Window) -> float:
        """The longest delay of the assignments the workers logged during the window (0: tasks moved at once)."""
        start, end = (time.time() - (time.monotonic() - at) for at in (window.start, window.end))
        longest = 0
        for log in self.worker_logs():
            for line in log.read_text(errors="replace").splitlines():
                found = ASSIGNMENT.match(line)
                if found and start <= datetime.fromisoformat(found["at"]).timestamp() <= end:
                    longest = max(longest, int(found["delay"]))
        return longest / 1000

    def leader(self) -> str:
        """The leader's advertised host:port, from the last assignment a worker logged."""
        last = ("", "")
        for log in self.worker_logs():
            for line in log.read_text(errors="replace").splitlines():
                found = ASSIGNMENT.match(line)
                if found and found["at"] > last[0]:
                    last = (found["at"], found["leader"])
        return last[1]

    def target(self) -> tuple[Any, str]:
        """The pod whose worker runs the task, and whether that worker leads the group."""
        pod = self.task_pod()
        role = "the leader" if self.leader() in self.worker_ids(pod) else "not the leader"
        return pod, role

    @staticmethod
    def recovery(window: Window) -> float:
        if not window.recovered:
            return window.end - window.reference
        return max(0.0, max(window.status_at, window.stream_at) - window.reference)

    def rolling(self, window: Window) -> None:
        self.roll += 1
        window.note = f"site.yml with the changed setting took {self.converge():.0f} s"

    def kill(self, signum: signal.Signals) -> Callable[[Window], None]:
        def action(window: Window) -> None:
            pod, role = self.target()
            os.kill(self.worker_pid(pod.metadata.name), signum)
            window.note = f"{signum.name} to the worker of {pod.metadata.name} ({role})"
        return action

    def node_lost(self, window: Window) -> None:
        pod, role = self.target()
        node = pod.spec.node_name
        manifest = self.core.read_node(node)
        self.core.delete_node(node)
        window.note = f"node {node} (with {pod.metadata.name}, {role}) deleted"
        self.lost_node = self.core.api_client.sanitize_for_serialization(manifest)

    def restore_node(self) -> None:
        import kube  # pylint: disable=import-outside-toplevel
        node = self.lost_node["metadata"]["name"]
        zone = node.rsplit("-", 1)[1]
        self.core.create_node(kube.node_manifest(zone, kube.ZONES.index(zone)))
        self.wait(f"node {node} Ready", lambda: any(
            c.type == "Ready" and c.status == "True" for c in self.core.read_node(node).status.conditions or []))

    def apiserver_restart(self, window: Window) -> None:
        pid_file = Path(self.env["TESTBED_STATE"]) / "pids" / "kube-apiserver.pid"
        pid = int(pid_file.read_text().strip())
        os.kill(pid, signal.SIGTERM)
        self.wait("the API server's exit", lambda: not Path(f"/proc/{pid}").exists(), timeout=120)
        ready = subprocess.Popen(
            [str(Path(sys.executable).with_name("ansible")), "localhost", "-m",
             "streamops.eventhub_connect.connect_ready", "-a",
             json.dumps({"namespace": self.namespace, "service": "kafka-connect", "port": "8083", "timeout": 240})],
            cwd=REPO, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        time.sleep(5)
        subprocess.run([sys.executable, str(TESTBED / "kube.py"), "up"], cwd=REPO, env=self.env, check=True,
                       capture_output=True)
        window.reference = time.monotonic()  # the API server answers again: connect_ready should follow
        output = ready.communicate(timeout=300)[0]
        answered = time.monotonic() - window.reference
        window.note = f"connect_ready {'returned' if ready.returncode == 0 else 'FAILED'} " \
                      f"{answered:.1f} s after the API server was back"
        if ready.returncode != 0:
            print(output[-2000:], file=sys.stderr)
            window.reference -= 10 * WINDOW_TIMEOUT  # not recovered: counts as beyond any goal

    def wait(self, what: str, check: Callable[[], bool], timeout: float = 300.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if check():
                    return
            except Exception:  # pylint: disable=broad-exception-caught  # the API server may be starting
                pass
            time.sleep(1.0)
        raise SystemExit(f"bench/faults.py: {what} not reached within {timeout:.0f} s")

    # ------------------------------------------------------------ the end

    def drain(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)
        deadline, last = time.monotonic() + 60, -1
        while time.monotonic() < deadline:
            with self.lock:
                missing = len([row for row in self.rows if row not in self.events])
            if missing == 0:
                break
            if missing != last:
                last, deadline = missing, max(deadline, time.monotonic() + 20)
            time.sleep(1.0)
        if self.reader is not None:
            self.reader.close()

    def counts(self, start: float, end: float) -> tuple[int, int, int]:
        with self.lock:
            rows = [row for row, made in self.rows.items() if start <= made < end]
            lost = sum(1 for row in rows if row not in self.events)
            duplicated = sum(len(self.events[row]) - 1 for row in rows if row in self.events)
        return len(rows), lost, duplicated

    def missing(self) -> list[int]:
        with self.lock:
            return sorted(row for row in self.rows if row not in self.events)

    def read_topic(self, topic: str) -> list[Any]:
        """Every record of the topic, all partitions, from the beginning, by a fresh consumer."""
        from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition  # pylint: disable=import-outside-toplevel

        connection = listen_connection_string(self.env, self.eventhub_namespace, "faults-listen")
        consumer = Consumer({
            "bootstrap.servers": namespace_bootstrap(connection), "security.protocol": "SASL_SSL",
            "sasl.mechanism": "PLAIN", "sasl.username": "$ConnectionString", "sasl.password": connection,
            "ssl.ca.location": self.env["KAFKA_CA_FILE"], "group.id": f"faults-audit-{uuid.uuid4().hex[:8]}",
            "enable.auto.commit": False, "auto.offset.reset": "earliest"})
        try:
            partitions = list(consumer.list_topics(topic, timeout=10).topics[topic].partitions)
            ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in partitions}
            consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
            records, done, deadline = [], {p for p, end in ends.items() if end == 0}, time.monotonic() + 60
            while len(done) < len(partitions) and time.monotonic() < deadline:
                message = consumer.poll(0.5)
                if message is None or message.error():
                    continue
                records.append(message)
                if message.offset() + 1 >= ends[message.partition()]:
                    done.add(message.partition())
            return records
        finally:
            consumer.close()

    def audit(self) -> str:
        """Where the rows without an event went: in PostgreSQL? on the topic (read again from the beginning)?
        The connector's committed offsets, the slot, and what the workers logged about resuming."""
        missing = self.missing()
        if not missing:
            return "no row is missing"
        lines = [f"missing rows {missing[:30]} (WAL at insert {self.row_lsns.get(missing[0])}.."
                 f"{self.row_lsns.get(missing[-1])})"]
        psql = Psql(self.env)
        try:
            committed = psql.one(f"SELECT count(*) FROM public.customers WHERE id IN ({','.join(map(str, missing))})")
            slot = psql.one(f"SELECT restart_lsn || ' ' || confirmed_flush_lsn FROM pg_replication_slots "
                            f"WHERE slot_name = '{self.slot}'")
        finally:
            psql.close()
        lines.append(f"in PostgreSQL: {committed} of {len(missing)}; slot {self.slot} restart/confirmed_flush {slot}")
        found: dict[int, list[str]] = {}
        for message in self.read_topic(TOPIC):
            value = decoded(message.value())
            payload = value.get("payload", value) if isinstance(value, dict) else {}
            row = row_of(message.key())
            if isinstance(row, int) and (row in missing or any(abs(row - m) <= 2 for m in (missing[0], missing[-1]))):
                source = (payload or {}).get("source") or {}
                found.setdefault(row, []).append(
                    f"offset {message.offset()} at {message.timestamp()[1]} op {(payload or {}).get('op')} "
                    f"lsn {source.get('lsn')} txId {source.get('txId')}")
        lines.append(f"on {TOPIC} read again from the beginning: {sum(1 for row in missing if row in found)} of "
                     f"{len(missing)}")
        lines += [f"  row {row} ({self.row_lsns.get(row)}): {'; '.join(where)}" for row, where in sorted(found.items())]
        for message in self.read_topic(OFFSETS_TOPIC):
            if b"inventory-postgres" in (message.key() or b""):
                lines.append(f"  offset record at {message.timestamp()[1]}: {decoded(message.value())}")
        pattern = re.compile(r"WalPositionLocator|Streaming requested|already processed|resume|Found previous|"
                             r"Committing offsets|committed offsets|flush|Stopping task|Starting task|slot|"
                             r"Finished commitOffsets|Failed to|ERROR|WARN .*(offset|commit)", re.IGNORECASE)
        for log in self.worker_logs():
            for line in log.read_text(errors="replace").splitlines():
                if ("inventory-postgres" in line and pattern.search(line)) or "WalPositionLocator" in line:
                    lines.append(f"  {log.parent.name}: {line[:400]}")
        return "\n".join(lines)

    def teardown(self) -> None:
        try:
            self.playbook("teardown.yml", "-e", "eventhub_teardown_delete_namespace=true")
        finally:
            psql = Psql(self.env)
            try:
                active = f"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '{self.slot}' AND active"
                self.wait(f"slot {self.slot} released", lambda: psql.one(active) == "0", timeout=90)
                psql.one(f"SELECT count(pg_drop_replication_slot(slot_name)) FROM pg_replication_slots "
                         f"WHERE slot_name = '{self.slot}'")
            finally:
                psql.close()
            self.vars_file.unlink(missing_ok=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--faults", default=",".join(FAULTS), help=f"comma-separated, from {', '.join(FAULTS)}")
    parser.add_argument("-e", "--extra-vars", default="{}", help="JSON extra vars for site.yml (e.g. the workload kind)")
    parser.add_argument("--rate", type=float, default=20.0, help="rows per second (default 20)")
    options = parser.parse_args(argv)
    chosen = [name.strip() for name in options.faults.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(FAULTS))
    if unknown:
        parser.error(f"unknown faults {unknown}; choose from {', '.join(FAULTS)}")
    chosen.sort(key=lambda name: (REPLICAS.get(name, 2), FAULTS.index(name)))
    env = testbed_env()
    remove_leftovers(env)
    pipeline = Pipeline(env, json.loads(options.extra_vars), options.rate)
    windows: list[Window] = []
    try:
        print(f"first converge with {pipeline.replicas} replicas: {pipeline.converge():.0f} s", flush=True)
        pipeline.start_observers()
        pipeline.wait("the first change events", pipeline.caught_up, timeout=120)
        actions: dict[str, Callable[[Window], None]] = {
            "rolling-2": pipeline.rolling, "rolling-3": pipeline.rolling, "sigkill": pipeline.kill(signal.SIGKILL),
            "sigstop": pipeline.kill(signal.SIGSTOP), "node-lost": pipeline.node_lost,
            "node-lost-required": pipeline.node_lost, "apiserver-restart": pipeline.apiserver_restart}
        for name in chosen:
            if REPLICAS.get(name, 2) != pipeline.replicas:
                pipeline.replicas = REPLICAS.get(name, 2)
                print(f"scaled to {pipeline.replicas} replicas: {pipeline.converge():.0f} s", flush=True)
                pipeline.wait("every replica Ready", pipeline.all_ready)
                pipeline.wait("the stream caught up", pipeline.caught_up, timeout=WINDOW_TIMEOUT)
            windows.append(pipeline.window(name, actions[name]))
            if name.startswith("node-lost"):
                pipeline.restore_node()
            pipeline.wait("every replica Ready", pipeline.all_ready, timeout=WINDOW_TIMEOUT)
            pipeline.wait("the stream caught up", pipeline.caught_up, timeout=WINDOW_TIMEOUT)
        pipeline.drain()
        if pipeline.missing():
            print(pipeline.audit(), flush=True)
    except BaseException:
        traceback.print_exc()  # before the teardown, whose own failure would hide it
        raise
    finally:
        pipeline.stop.set()
        pipeline.teardown()
    print()
    print(f"{'fault':<20} {'recovered':>9} {'recovery s':>10} {'tasks s':>8} {'stream s':>8} {'max lag s':>9} "
          f"{'held s':>6} {'restarts':>8} {'rows':>6} {'lost':>5} {'dup':>5}  replaced")
    total_lost = total_duplicated = 0
    # a window's rows run until the next fault: the settling after it is its own
    bounds = [0.0] + [window.start for window in windows[1:]] + [float("inf")]
    for index, window in enumerate(windows):
        rows, lost, duplicated = pipeline.counts(bounds[index], bounds[index + 1])
        total_lost += lost
        total_duplicated += duplicated
        print(f"{window.name:<20} {'yes' if window.recovered else 'NO':>9} {pipeline.recovery(window):>10.1f} "
              f"{max(0.0, window.status_at - window.reference):>8.1f} "
              f"{max(0.0, window.stream_at - window.reference):>8.1f} {window.max_lag:>9.1f} {window.held:>6.0f} "
              f"{window.restarts:>8} "
              f"{rows:>6} {lost:>5} {duplicated:>5}  "
              f"{', '.join(window.replaced) or '-'}")
        print(f"BENCH fault-{window.name} ours={pipeline.recovery(window):.2f} baseline={GOAL_SECONDS:.2f} "
              f"ratio={GOAL_SECONDS / max(pipeline.recovery(window), 0.01):.2f}")
    print(f"{len(pipeline.snapshot_rows)} rows, committed before the connector's slot existed, came as reads of its "
          "initial snapshot")
    recovered = sum(1 for window in windows if window.recovered)
    worst = max((pipeline.recovery(window) for window in windows), default=0.0)
    print(f"faults: {recovered}/{len(windows)} recovered, max recovery {worst:.1f} s, "
          f"lost {total_lost}, duplicated {total_duplicated}")
    return 0 if recovered == len(windows) and total_lost == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
