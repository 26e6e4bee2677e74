# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: site.yml from nothing versus its no-op re-run on the local testbed.

    python bench/converge.py [--runs 3]        (make bench runs it with testbed.env sourced)

Each run picks fresh Event Hubs and Kubernetes namespace names, times the first converge (namespace,
topics, SAS rule, Deployment, rollout, REST answer), then times the identical re-run, which must
report changed=0, then tears everything down (not timed). Prints the medians and the ratio
no-op / first converge; the first converge is the baseline measured in the same run. It also reads,
after each first converge, how long the slowest worker itself took to start (from its pod's start to
the pod runner's `testbed.streamops.io/first-ready-at` record), the floor a first converge cannot beat.

Besides the table it prints `BENCH noop ours=<no-op> baseline=<first converge> ratio=...` and
`BENCH converge ours=<first converge> baseline=<worker start> ratio=...`.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from datetime import datetime
from typing import Any, Dict, List, Tuple

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "converge.json"
PLAYBOOK_TIMEOUT = 1200
FIRST_READY_ANNOTATION = "testbed.streamops.io/first-ready-at"


def testbed_env() -> Dict[str, str]:
    """The current environment, completed from testbed.env when it was not sourced."""
    env = dict(os.environ)
    if not env.get("ARM_DOUBLE_URL"):
        state = Path(env.get("TESTBED_STATE") or REPO / "tests" / "output" / "testbed")
        env_file = (state if state.is_absolute() else REPO / state) / "testbed.env"
        if not env_file.is_file():
            sys.exit(f"bench/converge.py: the testbed is not running ({env_file} is absent); run `make testbed-up`")
        for line in env_file.read_text(encoding="utf-8").splitlines():
            if "=" in line and not line.startswith("#"):
                key, value = line.split("=", 1)
                env[key] = value
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", str(REPO / "tests" / "output" / "collections"))
    env["ANSIBLE_NOCOLOR"] = "1"
    return env


def read_tasks(path: Path) -> List[Dict[str, Any]]:
    """What bench/callback_plugins/bench_tasks.py recorded: each task's action, duration and module process."""
    if not path.is_file():
        return []
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    path.unlink()
    return lines


def ansible_playbook(playbook: str, env: Dict[str, str], extra_vars: Path,
                     *args: str) -> Tuple[float, int, List[Dict[str, Any]]]:
    """Run one playbook; return its wall time, the changed count and each task's record."""
    command = [str(Path(sys.executable).with_name("ansible-playbook")), "-i", str(REPO / "inventories" / "local"),
               str(REPO / "playbooks" / playbook), "-e", f"@{extra_vars}", *args]
    start = time.monotonic()
    tasks_file = extra_vars.with_suffix(".tasks.jsonl")
    completed = subprocess.run(command, cwd=REPO, env=dict(env, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
                                                           ANSIBLE_CALLBACKS_ENABLED="bench_tasks",
                                                           ANSIBLE_CALLBACK_PLUGINS=str(REPO / "bench" / "callback_plugins"),
                                                           BENCH_TASKS_FILE=str(tasks_file)),
                               capture_output=True, text=True, timeout=PLAYBOOK_TIMEOUT, check=False)
    elapsed = time.monotonic() - start
    try:
        document = json.loads(completed.stdout)
    except ValueError:
        document = None
    if completed.returncode != 0 or not document:
        sys.stderr.write(completed.stdout[-3000:] + completed.stderr[-2000:])
        raise SystemExit(f"bench/converge.py: {playbook} failed (rc={completed.returncode})")
    return elapsed, int(document["stats"]["localhost"]["changed"]), read_tasks(tasks_file)


def worker_start_seconds(env: Dict[str, str], namespace: str) -> float:
    """The slowest worker's own start: its pod's startTime to its first 200 on GET /connectors."""
    from kubernetes import client, config  # the venv's client; only the bench needs it

    config.load_kube_config(config_file=env.get("KUBECONFIG"))
    starts = []
    for pod in client.CoreV1Api().list_namespaced_pod(namespace).items:
        ready_at = (pod.metadata.annotations or {}).get(FIRST_READY_ANNOTATION)
        if ready_at and pod.status.start_time:
            first_ready = datetime.fromisoformat(ready_at.replace("Z", "+00:00"))
            starts.append((first_ready - pod.status.start_time).total_seconds())
    if not starts:
        raise SystemExit(f"bench/converge.py: no pod in {namespace} carries {FIRST_READY_ANNOTATION}")
    return max(starts)


def one_run(env: Dict[str, str], workdir: Path, index: int) -> Dict[str, Any]:
    suffix = uuid.uuid4().hex[:8]
    names = workdir / f"run-{index}.json"
    names.write_text(json.dumps({"eventhub_namespace_name": f"streamops-bench-{suffix}",
                                 "kafka_connect_namespace": f"kafka-connect-bench-{suffix}"}), encoding="utf-8")
    try:
        first, first_changed, first_tasks = ansible_playbook("site.yml", env, names)
        worker = worker_start_seconds(env, f"kafka-connect-bench-{suffix}")
        noop, noop_changed, tasks = ansible_playbook("site.yml", env, names)
        modules = [task for task in tasks if task["module"]]
        if first_changed == 0 or noop_changed != 0:
            raise SystemExit(f"bench/converge.py: expected changes then none, got changed={first_changed} then {noop_changed}")
    finally:
        ansible_playbook("teardown.yml", env, names, "-e", "eventhub_teardown_delete_namespace=true")  # not timed
    print(f"run {index + 1}: first converge {first:.1f} s, no-op re-run {noop:.1f} s ({len(modules)} module processes), "
          f"worker start {worker:.1f} s", flush=True)
    return {"first": first, "noop": noop, "worker": worker, "noop_modules": len(modules), "noop_tasks": tasks,
            "first_tasks": first_tasks}


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="runs to take the median of (default 3)")
    options = parser.parse_args(argv)
    env = testbed_env()
    workdir = RESULTS.parent
    workdir.mkdir(parents=True, exist_ok=True)
    runs = [one_run(env, workdir, index) for index in range(options.runs)]
    first = statistics.median(run["first"] for run in runs)
    noop = statistics.median(run["noop"] for run in runs)
    print(f"site.yml first converge (median of {len(runs)}): {first:.1f} s")
    print(f"site.yml no-op re-run   (median of {len(runs)}): {noop:.1f} s")
    worker = statistics.median(run["worker"] for run in runs)
    print(f"slowest worker's own start (median of {len(runs)}): {worker:.1f} s")
    print(f"ratio no-op / first converge: {noop / first:.2f}")
    print("module processes in the no-op re-run: " + ", ".join(str(run["noop_modules"]) for run in runs))
    print("the last no-op re-run's module processes (seconds, action, task):")
    for task in runs[-1]["noop_tasks"]:
        if task["module"]:
            print(f"  {task['seconds']:6.2f}  {task['action']:<28} {task['task']}")
    print("the last first converge's slowest tasks (seconds, action, task):")
    for task in sorted(runs[-1]["first_tasks"], key=lambda task: -task["seconds"])[:8]:
        print(f"  {task['seconds']:6.2f}  {task['action']:<28} {task['task']}")
    print(f"BENCH noop ours={noop:.2f} baseline={first:.2f} ratio={first / noop:.2f}")
    print(f"BENCH converge ours={first:.2f} baseline={worker:.2f} ratio={worker / first:.2f}")
    RESULTS.write_text(json.dumps({"runs": runs, "first_median_s": first, "noop_median_s": noop,
                                   "worker_start_median_s": worker,
                                   "ratio_noop_to_first": noop / first}, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
