# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: provisioning 10 event hubs with one `eventhub` call (concurrent) vs. ten one-hub calls.

Both variants run in the same process against a private ARM test double that adds 300 ms to every
request, each as one ansible-playbook run; the script prints the median of 3 runs of each and the ratio.
Run from the repository root after `make setup`: `.venv/bin/python bench/hubs.py [--runs N] [--latency-ms MS]`.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
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
    path = workdir / ("play-%s.yml" % uuid.uuid4().hex[:8])
    path.write_text(playbook(double, tasks), encoding="utf-8")
    env = dict(os.environ, **double.env, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCALHOST_WARNING="False", ANSIBLE_INVENTORY_UNPARSED_WARNING="False")
    command = [str(Path(sys.executable).with_name("ansible-playbook")), "-i", "localhost,", str(path)]
    started = time.monotonic()
    completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started
    if completed.returncode != 0:
        raise SystemExit("playbook failed:\n%s%s" % (completed.stdout[-3000:], completed.stderr[-3000:]))
    return elapsed


def hub_names() -> List[str]:
    run = uuid.uuid4().hex[:6]
    return ["bench-%s-%02d" % (run, i) for i in range(HUBS)]


def one_call(namespace: str) -> List[Dict[str, Any]]:
    return [{"name": "ten hubs in one call", FQCN + "eventhub": {
        "namespace_name": namespace, "hubs": [{"name": name} for name in hub_names()]}}]


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
    with tempfile.TemporaryDirectory(prefix="bench-hubs-") as directory:
        workdir = Path(directory)
        double = start_arm_double(workdir / "state", lro_delay=0.2)
        try:
            # Premium (100 hubs per PU) holds every run's hubs, so no run waits for a cleanup.
            namespace = "bench-" + uuid.uuid4().hex[:10]
            run_playbook(double, workdir, [{"name": "namespace", FQCN + "eventhub_namespace": {
                "name": namespace, "sku": "Premium", "location": "westeurope", "polling_interval": 0.2}}])
            double.set_latency(args.latency_ms)
            timings: Dict[str, List[float]] = {"one call": [], "ten calls": []}
            for run in range(args.runs):
                # Alternating the variants spreads the machine's noise over both.
                timings["one call"].append(run_playbook(double, workdir, one_call(namespace)))
                timings["ten calls"].append(run_playbook(double, workdir, ten_calls(namespace)))
            hubs = len(double.namespace(namespace).get("eventhubs", []))
        finally:
            double.stop()
    expected = 2 * args.runs * HUBS
    if hubs != expected:
        raise SystemExit("expected %d hubs in the double, found %d" % (expected, hubs))
    one = statistics.median(timings["one call"])
    ten = statistics.median(timings["ten calls"])
    print("bench/hubs.py: %d event hubs, ARM latency %d ms per request, median of %d runs"
          % (HUBS, args.latency_ms, args.runs))
    print("  one eventhub call (hubs list): %6.2f s  runs %s" % (one, ["%.2f" % t for t in timings["one call"]]))
    print("  ten one-hub calls:             %6.2f s  runs %s" % (ten, ["%.2f" % t for t in timings["ten calls"]]))
    print("  ratio ten calls / one call:    %6.2f x" % (ten / one))


if __name__ == "__main__":
    main()
