# SPDX-License-Identifier: GPL-3.0-or-later
"""Readiness-detection lag on the testbed: the kafka_connect role's wait vs. cp-ansible's uri + until loop.

    python bench/readiness.py [--runs 7] [--replicas 1]      (needs `make testbed-up`)

Each run deploys Kafka Connect with the kafka_connect role into a namespace of its own (real workers
of the pod runner, behind the API server's service proxy) and, started at the same moment, the loop
cp-ansible ships: `ansible.builtin.uri` on GET /connectors through the same service proxy URL,
`until` 200, retries 40, delay 10; the role's playbook first sleeps a random 0-10 s, so that the worker
comes up at a random phase of the loop's delay. The lag of each is the time from the moment the last worker first
answered 200 on GET /connectors (the pod runner's `testbed.streamops.io/first-ready-at` annotation,
polled every 50 ms) to the moment the waiting task's module returned to ansible-playbook (recorded by
bench/callback_plugins/bench_tasks.py). The role's wait includes everything it checks: the rollout, the Service's ready endpoints, each
pod, the Service. Prints a table, the medians, and
`BENCH readiness ours=<role's median lag> baseline=<uri loop's median lag> ratio=<baseline/ours>`.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "integration"))

from test_connectors_testbed import TESTBED_ENV, LiveTestbed, connect_play, read_env_file  # noqa: E402

RESULTS = REPO / "bench" / "results" / "readiness.json"
FIRST_READY_ANNOTATION = "testbed.streamops.io/first-ready-at"
ROLE_WAIT_TASK = "Wait until every replica is rolled out, ready and answers on its REST API"
URI_WAIT_TASK = "Wait until Connect answers"


def uri_play(host: str, namespace: str) -> Dict[str, Any]:
    """cp-ansible's wait for Connect, pointed at the service proxy URL the role's wait uses."""
    return {
        "name": "Wait with uri + until, as cp-ansible does",
        "tasks": [{
            "name": "Wait until Connect answers",
            "ansible.builtin.uri": {
                "url": "%s/api/v1/namespaces/%s/services/kafka-connect:8083/proxy/connectors" % (host, namespace),
                "status_code": 200,
                "headers": {"Authorization": "Bearer {{ lookup('ansible.builtin.env', 'K8S_AUTH_API_KEY') }}"},
                "ca_path": "{{ lookup('ansible.builtin.env', 'K8S_AUTH_SSL_CA_CERT') }}",
            },
            "register": "result",
            "until": "result.status == 200",
            "retries": 40,
            "delay": 10,
            "no_log": True,
        }],
    }


def start_playbook(testbed: LiveTestbed, play: Dict[str, Any]) -> Tuple[subprocess.Popen, Path]:
    """ansible-playbook in the background; bench/callback_plugins/bench_tasks.py records when each task ended."""
    play = dict({"hosts": "localhost", "connection": "local", "gather_facts": False}, **play)
    play.setdefault("vars", {})["ansible_python_interpreter"] = "{{ ansible_playbook_python }}"
    path = testbed.workdir / ("play-%s.yml" % uuid.uuid4().hex[:8])
    path.write_text(yaml.safe_dump([play], sort_keys=False), encoding="utf-8")
    tasks_file = path.with_suffix(".tasks.jsonl")
    env = dict(os.environ)
    env.update(testbed.env)
    env.update({"ANSIBLE_COLLECTIONS_PATH": str(REPO / "tests" / "output" / "collections"), "ANSIBLE_NOCOLOR": "1",
                "ANSIBLE_LOCALHOST_WARNING": "False", "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False",
                "ANSIBLE_CALLBACKS_ENABLED": "bench_tasks", "ANSIBLE_CALLBACK_PLUGINS": str(REPO / "bench" / "callback_plugins"),
                "BENCH_TASKS_FILE": str(tasks_file)})
    process = subprocess.Popen([str(Path(sys.executable).with_name("ansible-playbook")), "-i", "localhost,", str(path)],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return process, tasks_file


def returned_at(started: Tuple[subprocess.Popen, Path], task: str) -> float:
    """When the named task's module returned to ansible-playbook (epoch seconds)."""
    process, tasks_file = started
    output = process.communicate(timeout=900)[0]
    ended = [record["ended_at"] for record in map(json.loads, tasks_file.read_text(encoding="utf-8").splitlines())
             if record["task"].split(" : ")[-1] == task and record["status"] == "ok"] if tasks_file.is_file() else []
    if process.returncode != 0 or len(ended) != 1:
        raise SystemExit("bench/readiness.py: %r failed (rc %s):\n%s" % (task, process.returncode, output[-3000:]))
    return ended[0]


def api_get(testbed: LiveTestbed, path: str) -> Any:
    request = urllib.request.Request(testbed.host + path, headers={
        "Authorization": "Bearer " + testbed.env["K8S_AUTH_API_KEY"], "Accept": "application/json"})
    with urllib.request.urlopen(request, context=testbed.context, timeout=30) as response:
        return json.loads(response.read())


def last_first_ready(testbed: LiveTestbed, namespace: str, replicas: int) -> float:
    """When the last worker of the namespace first answered 200 (epoch seconds), from the pod runner's record."""
    pods = api_get(testbed, "/api/v1/namespaces/%s/pods" % namespace)["items"]
    stamps = [(pod["metadata"].get("annotations") or {}).get(FIRST_READY_ANNOTATION) for pod in pods]
    stamps = [stamp for stamp in stamps if stamp]
    if len(stamps) < replicas:
        raise SystemExit("bench/readiness.py: %d of %d pods in %s carry %s"
                         % (len(stamps), replicas, namespace, FIRST_READY_ANNOTATION))
    return max(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() for stamp in stamps)


def wait_gone(testbed: LiveTestbed, namespace: str, timeout: float = 180.0) -> None:
    testbed.delete_namespace(namespace)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            api_get(testbed, "/api/v1/namespaces/%s" % namespace)
        except urllib.error.HTTPError as err:
            if err.code == 404:
                return
            raise
        time.sleep(1)
    raise SystemExit("bench/readiness.py: namespace %s still there after %.0f s" % (namespace, timeout))


class ReadyWatch:
    """When this bench first saw each pod of a namespace Ready (a watch on its pods), to split the lag in two."""

    def __init__(self, testbed: LiveTestbed, namespace: str) -> None:
        self.testbed = testbed
        self.namespace = namespace
        self.ready_seen: Dict[str, float] = {}
        self.stopping = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        while not self.stopping:
            request = urllib.request.Request(
                "%s/api/v1/namespaces/%s/pods?watch=true&timeoutSeconds=30" % (self.testbed.host, self.namespace),
                headers={"Authorization": "Bearer " + self.testbed.env["K8S_AUTH_API_KEY"]})
            try:
                with urllib.request.urlopen(request, context=self.testbed.context, timeout=60) as stream:
                    for line in stream:
                        pod = json.loads(line).get("object") or {}
                        conditions = (pod.get("status") or {}).get("conditions") or []
                        if any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions):
                            self.ready_seen.setdefault(pod["metadata"]["name"], time.time())
                        if self.stopping:
                            return
            except (OSError, ValueError):
                time.sleep(0.2)

    def last_ready(self) -> Optional[float]:
        return max(self.ready_seen.values()) if self.ready_seen else None


def one_run(testbed: LiveTestbed, replicas: int, offset: float) -> Dict[str, float]:
    namespace = "bench-ready-" + uuid.uuid4().hex[:8]
    role = connect_play(namespace)
    role["vars"]["kafka_connect_replicas"] = replicas
    # A worker starts in about the same time every run: without a random offset its first 200 would fall at
    # the same phase of the uri loop's 10 s delay each time, and the loop's lag would be that phase, not its own.
    role["tasks"] = [{"name": "Start the worker at a random phase of the uri loop",
                      "ansible.builtin.command": "sleep %.2f" % offset, "changed_when": False}] + role["tasks"]
    try:
        started = time.time()
        watch = ReadyWatch(testbed, namespace)
        processes = {"role": start_playbook(testbed, role), "uri_until": start_playbook(testbed, uri_play(testbed.host, namespace))}
        returns = {"role": returned_at(processes["role"], ROLE_WAIT_TASK),
                   "uri_until": returned_at(processes["uri_until"], URI_WAIT_TASK)}
        ready = last_first_ready(testbed, namespace, replicas)
        watch.stopping = True
        pods_ready = watch.last_ready()
    finally:
        wait_gone(testbed, namespace)
    return {"worker_start": ready - started, "role": returns["role"] - ready, "uri_until": returns["uri_until"] - ready,
            # the kubelet's (here the pod runner's) share: first 200 to the pod's Ready condition, as watched
            "pod_ready": (pods_ready - ready) if pods_ready else float("nan")}


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    # one: the uri loop returns on the first Ready worker behind the Service, the role's wait on the last
    parser.add_argument("--replicas", type=int, default=1, help="Connect workers per run (default 1)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the random start offsets")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    if not TESTBED_ENV.exists():
        sys.exit("bench/readiness.py: the testbed is not running (%s is absent); run `make testbed-up`" % TESTBED_ENV)
    env = read_env_file(TESTBED_ENV)
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-readiness-") as tmp:
        testbed = LiveTestbed(env, Path(tmp))
        print("readiness lag = waiting task returned - last worker's first 200 on GET /connectors (seconds)")
        print("%5s %14s %10s %10s %12s" % ("run", "worker start", "role", "uri_until", "(pod Ready)"))
        for index in range(args.runs):
            run = one_run(testbed, args.replicas, rng.uniform(0.0, 10.0))
            runs.append(run)
            print("%5d %14.1f %10.2f %10.2f %12.2f"
                  % (index + 1, run["worker_start"], run["role"], run["uri_until"], run["pod_ready"]), flush=True)
    pod_ready = statistics.median(run["pod_ready"] for run in runs)
    print("median from the first 200 to the pod's Ready condition (the startup probe's share): %.2f s" % pod_ready)
    ours = statistics.median(run["role"] for run in runs)
    baseline = statistics.median(run["uri_until"] for run in runs)
    print("median lag (%d runs): kafka_connect role %.2f s, uri+until (retries 40, delay 10) %.2f s" % (len(runs), ours, baseline))
    print("BENCH readiness ours=%.2f baseline=%.2f ratio=%.2f" % (ours, baseline, baseline / ours if ours > 0 else float("inf")))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"runs": runs, "role_median_s": ours, "uri_until_median_s": baseline,
                                   "pod_ready_median_s": pod_ready}, indent=2) + "\n",
                       encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
