# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: 50 unchanged connectors synced by the connectors role vs one module call per connector.

    python bench/connectors.py [--connectors 50] [--runs 3] [--baseline-runs 1]   (needs `make testbed-up`)

Deploys one Kafka Connect worker with the kafka_connect role in a namespace of its own, creates
the connectors' topic as an event hub through the ARM double (the broker makes no topic by
itself), creates 50 FileStreamSource connectors with the connectors role, then times, on the
unchanged list:
- ours: the connectors role (one connect_connectors call: one read, nothing written);
- baseline: what the role did before, a connect_ready call, then one connect_connector call per
  connector (a module process and two reads each).
Both are whole ansible-playbook runs against the same real worker through the API server's
service proxy; both must report changed=0. REST requests are counted by the modules themselves
(the RV(requests) they return). Prints a table, then
`BENCH connectors ours=<s> baseline=<s> ratio=<baseline/ours> reads=<n>`.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List, Tuple

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "integration"))

from test_connectors_testbed import (  # noqa: E402
    TESTBED_ENV,
    LiveTestbed,
    connect_play,
    failures,
    read_env_file,
    task_results,
)

FQCN = "streamops.eventhub_connect."
# a play's own vars replace LiveTestbed's defaults, so each play names the interpreter again
INTERPRETER = {"ansible_python_interpreter": "{{ ansible_playbook_python }}"}
RESULTS = REPO / "bench" / "results" / "connectors.json"


def topic_play(env: Dict[str, str], namespace: str, topic: str) -> Dict[str, Any]:
    """The connectors' topic as an event hub of the testbed's namespace, through the ARM double."""
    group = env.get("ARM_DOUBLE_RESOURCE_GROUP", "rg-streamops-testbed")
    return {
        "name": "Topic as an event hub",
        "vars": dict(INTERPRETER),
        "module_defaults": {"group/streamops.eventhub_connect.azure": {"resource_group": group}},
        "tasks": [
            {"name": "namespace", FQCN + "eventhub_namespace": {
                "name": namespace, "location": env.get("ARM_DOUBLE_LOCATION", "westeurope"), "sku": "Standard"}},
            {"name": "topic", FQCN + "eventhub": {"namespace_name": namespace, "name": topic, "partition_count": 1}},
        ],
    }


def connectors_list(count: int, topic: str) -> List[Dict[str, Any]]:
    return [{
        "name": "bench-%02d" % index,
        "config": {
            "connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
            "tasks.max": 1,
            # a file that never appears: the task stays RUNNING and never produces
            "file": "/nonexistent/streamops-bench/input-%02d.txt" % index,
            "topic": topic,
        },
    } for index in range(count)]


def role_play(namespace: str, connectors: List[Dict[str, Any]]) -> Dict[str, Any]:
    return {
        "name": "connectors role",
        "tasks": [{"name": "connectors", "ansible.builtin.include_role": {"name": FQCN + "connectors"}}],
        "vars": dict(INTERPRETER, connectors_connect_endpoint={"namespace": namespace, "service": "kafka-connect", "port": 8083},
                     connectors_list=connectors),
    }


def per_connector_play(namespace: str, connectors: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The role before connect_connectors: a readiness call, then one module call per connector."""
    proxy = {"namespace": namespace, "service": "kafka-connect"}
    return {
        "name": "one call per connector",
        "vars": dict(INTERPRETER),
        "module_defaults": {"group/streamops.eventhub_connect.connect": proxy},
        "tasks": [
            {"name": "ready", FQCN + "connect_ready": {"timeout": 300}, "register": "ready"},
            {"name": "connector", FQCN + "connect_connector": {
                "name": "{{ item.name }}", "config": "{{ item.config }}", "state": "running"},
             "loop": connectors, "loop_control": {"label": "{{ item.name }}"}},
        ],
    }


def timed(testbed: LiveTestbed, play: Dict[str, Any]) -> Tuple[float, Dict[str, Any]]:
    started = time.monotonic()
    rc, document, _output = testbed.playbook(play)
    elapsed = time.monotonic() - started
    if rc != 0:
        details = [json.dumps({key: result.get(key) for key in ("rc", "module_stdout", "module_stderr", "exception")})[-4000:]
                   for p in document["plays"] for task in p["tasks"]
                   for result in [task["hosts"].get("localhost", {})] if result.get("failed")]
        raise SystemExit("bench/connectors.py: %s failed:\n%s\n%s" % (play["name"], failures(document), "\n".join(details)))
    return elapsed, document


def requests_of(document: Dict[str, Any], *task_names: str) -> int:
    return sum(int(result.get("requests") or 0) for name in task_names for result in task_results(document, name))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connectors", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    # the baseline takes minutes (a module process per connector); one run is the default
    parser.add_argument("--baseline-runs", type=int, default=1)
    args = parser.parse_args()
    if not TESTBED_ENV.exists():
        sys.exit("bench/connectors.py: the testbed is not running (%s is absent); run `make testbed-up`" % TESTBED_ENV)
    env = read_env_file(TESTBED_ENV)
    workdir = REPO / "tests" / "output" / "bench-connectors"
    workdir.mkdir(parents=True, exist_ok=True)
    testbed = LiveTestbed(env, workdir)
    namespace = "bench-conn-" + uuid.uuid4().hex[:6]
    topic = namespace + "-lines"
    connectors = connectors_list(args.connectors, topic)
    try:
        timed(testbed, topic_play(env, os.environ.get("TESTBED_EVENTHUB_NAMESPACE", "testbed"), topic))
        play = connect_play(namespace)
        play["vars"]["kafka_connect_replicas"] = 1
        timed(testbed, play)
        created, document = timed(testbed, role_play(namespace, connectors))
        assert document["stats"]["localhost"]["changed"] >= 1
        status, names = testbed.proxy(namespace, "/connectors")
        assert status == 200 and len(names) == args.connectors, (status, names)

        ours, baseline, reads, baseline_reads = [], [], [], []
        for _run in range(args.runs):
            seconds, document = timed(testbed, role_play(namespace, connectors))
            assert document["stats"]["localhost"]["changed"] == 0, "the unchanged list changed something"
            ours.append(seconds)
            reads.append(requests_of(document, "Apply connectors_list"))
        for _run in range(args.baseline_runs):
            seconds, document = timed(testbed, per_connector_play(namespace, connectors))
            assert document["stats"]["localhost"]["changed"] == 0, "the per-connector baseline changed something"
            baseline.append(seconds)
            # connect_ready: its attempts on GET /connectors, then GET / for the version
            ready_requests = int(task_results(document, "ready")[0]["attempts"]) + 1
            baseline_reads.append(requests_of(document, "connector") + ready_requests)
    finally:
        testbed.delete_namespace(namespace)

    ours_s, baseline_s = statistics.median(ours), statistics.median(baseline)
    figures = {"connectors": args.connectors, "runs": args.runs, "baseline_runs": args.baseline_runs, "create_s": round(created, 2),
               "ours_s": [round(x, 2) for x in ours], "baseline_s": [round(x, 2) for x in baseline],
               "reads": reads, "baseline_reads": baseline_reads, "loadavg": os.getloadavg()[0]}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print("| %d unchanged connectors | median of %d (baseline %d) | REST requests |" % (args.connectors, args.runs, args.baseline_runs))
    print("|---|---|---|")
    print("| connectors role (connect_connectors) | %.2f s | %d |" % (ours_s, max(reads)))
    print("| connect_ready + one connect_connector per connector | %.2f s | %d |" % (baseline_s, max(baseline_reads)))
    print("first sync (create %d): %.2f s; load average %.1f" % (args.connectors, created, figures["loadavg"]))
    print("BENCH connectors ours=%.2f baseline=%.2f ratio=%.2f reads=%d" % (ours_s, baseline_s, baseline_s / ours_s, max(reads)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
