# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: 10 event hubs with one `eventhub` call, against ten one-hub calls, against the same call with
`max_workers: 1`, and against the round-trip limit.

Every variant runs in the same process against a private ARM test double that adds `--latency-ms` (300) to
every request. A variant's time is the sum of its `eventhub` task durations as ansible-playbook's JSON
callback reports them (a module process each: start-up, token, reads, writes), so ansible-playbook's own
start-up, the same for all, is left out. The limit is the same one call at 0 ms latency (the fixed cost
of a module process) plus 3 round trips: a token, the reads in parallel, the writes in parallel.
Discovery documents are cached in a private directory, warmed by the namespace task, as a second run of a
playbook finds them. Prints the median of `--runs` (3) per variant, a table, and `BENCH` lines.
Run from the repository root after `make setup`: `.venv/bin/python bench/hubs.py [--runs N] [--latency-ms MS]`.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any, Dict, List

REPO = Path(__file__).resolve().parents[1]
COLLECTIONS = REPO / "tests" / "output" / "collections"
sys.path.insert(0, str(REPO / "tests" / "testbed"))

from arm_double.fixtures import ArmDouble, start_arm_double  # noqa: E402

HUBS = 10
FQCN = "streamops.eventhub_connect."


def playbook(double: ArmDouble, tasks: List[Dict[str, Any]]) -> str:
    play = {
        "hosts": "localhost", "connection": "local", "gather_facts": False,
        "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
        "module_defaults": {"group/streamops.eventhub_connect.azure": {"resource_group": double.resource_group}},
        "tasks": tasks,
    }
    return json.dumps([play])


def run_playbook(double: ArmDouble, workdir: Path, tasks: List[Dict[str, Any]]) -> float:
    """Run the tasks; return the sum of their durations."""
    path = workdir / ("play-%s.yml" % uuid.uuid4().hex[:8])
    path.write_text(playbook(double, tasks), encoding="utf-8")
    env = dict(os.environ, **double.env, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCALHOST_WARNING="False", ANSIBLE_INVENTORY_UNPARSED_WARNING="False",
               ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
               STREAMOPS_AZURE_DISCOVERY_CACHE=str(workdir / "discovery-cache"))
    command = [str(Path(sys.executable).with_name("ansible-playbook")), "-i", "localhost,", str(path)]
    completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit("playbook failed:\n%s%s" % (completed.stdout[-3000:], completed.stderr[-3000:]))
    total = 0.0
    for task in json.loads(completed.stdout)["plays"][0]["tasks"]:
        duration = task["task"]["duration"]
        total += (parse_time(duration["end"]) - parse_time(duration["start"])).total_seconds()
    return total


def parse_time(value: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(value.rstrip("Z"))


def hub_names() -> List[str]:
    run = uuid.uuid4().hex[:6]
    return ["bench-%s-%02d" % (run, i) for i in range(HUBS)]


def one_call(namespace: str, **options: Any) -> List[Dict[str, Any]]:
    return [{"name": "ten hubs in one call", FQCN + "eventhub": dict(
        namespace_name=namespace, hubs=[{"name": name} for name in hub_names()], **options)}]


def ten_calls(namespace: str) -> List[Dict[str, Any]]:
    return [{"name": "one hub", FQCN + "eventhub": {"namespace_name": namespace, "name": name}}
            for name in hub_names()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--latency-ms", type=int, default=300)
    args = parser.parse_args()
    if not (COLLECTIONS / "ansible_collections" / "streamops" / "eventhub_connect").exists():
        raise SystemExit("run `make setup` first (the collection link is missing)")
    variants = ("one call", "ten calls", "max_workers 1", "one call at 0 ms")
    timings: Dict[str, List[float]] = {variant: [] for variant in variants}
    with tempfile.TemporaryDirectory(prefix="bench-hubs-") as directory:
        workdir = Path(directory)
        double = start_arm_double(workdir / "state", lro_delay=0.2)
        try:
            # Premium with 2 PUs (200 hubs) holds every run's hubs, so no run waits for a cleanup.
            namespace = "bench-" + uuid.uuid4().hex[:10]
            run_playbook(double, workdir, [{"name": "namespace", FQCN + "eventhub_namespace": {
                "name": namespace, "sku": "Premium", "capacity": 2, "location": "westeurope",
                "polling_interval": 0.2}}])
            for _run in range(args.runs):
                # Alternating the variants spreads the machine's noise over all of them.
                double.set_latency(0)
                timings["one call at 0 ms"].append(run_playbook(double, workdir, one_call(namespace)))
                double.set_latency(args.latency_ms)
                double.clear_requests()
                timings["one call"].append(run_playbook(double, workdir, one_call(namespace)))
                requests = len(double.requests())
                timings["ten calls"].append(run_playbook(double, workdir, ten_calls(namespace)))
                timings["max_workers 1"].append(run_playbook(double, workdir, one_call(namespace, max_workers=1)))
            hubs = len(double.namespace(namespace).get("eventhubs", []))
        finally:
            double.stop()
    expected = len(variants) * args.runs * HUBS
    if hubs != expected:
        raise SystemExit("expected %d hubs in the double, found %d" % (expected, hubs))
    median = {variant: statistics.median(values) for variant, values in timings.items()}
    latency = args.latency_ms / 1000.0
    limit = median["one call at 0 ms"] + 3 * latency
    print("bench/hubs.py: %d event hubs, ARM latency %d ms per request, median of %d runs, "
          "%d requests in one call" % (HUBS, args.latency_ms, args.runs, requests))
    for variant in variants:
        print("  %-34s %6.2f s  runs %s" % (variant + ":", median[variant], ["%.2f" % t for t in timings[variant]]))
    print("  %-34s %6.2f s  (0 ms call + 3 x %d ms)" % ("round-trip limit:", limit, args.latency_ms))
    one = median["one call"]
    print("BENCH hubs ours=%.2f baseline=%.2f ratio=%.2f" % (one, median["ten calls"], median["ten calls"] / one))
    print("BENCH hubs-concurrency ours=%.2f baseline=%.2f ratio=%.2f"
          % (one, median["max_workers 1"], median["max_workers 1"] / one))
    print("BENCH hubs-limit ours=%.2f baseline=%.2f ratio=%.2f limit=%.2f" % (one, limit, one / limit, limit))


if __name__ == "__main__":
    main()
