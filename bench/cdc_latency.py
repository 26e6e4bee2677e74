# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: change data capture latency, from an INSERT's commit to its change event read on the event hub.

    .venv/bin/python bench/cdc_latency.py [--rows 25] [--min-gap 0.2] [--max-gap 1.5] [--seed N]
    (needs `make demo` first: the testbed up and site.yml run with inventories/local)

Inserts single rows into public.customers of the testbed's PostgreSQL, one autocommitted
statement each, at random gaps (uniform between --min-gap and --max-gap seconds, so the inserts do
not line up with Debezium's poll loop), while a consumer logged in with a Listen-only connection
string reads demo.public.customers from its end. A row's latency runs from the moment psql returns
its id (the commit is done) to the moment the consumer holds the record. The connector runs with
Debezium's default `poll.interval.ms` (500 ms) unless the inventory sets it.
Prints a table, then `BENCH cdc-latency ours=<median s> baseline=<p95 s> ratio=<p95/median>`:
here `ours` is the median latency, `baseline` the 95th percentile, and the ratio the tail's spread.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "testbed"))

from cdc_demo import TOPIC, Psql, TopicReader, connector_status, listen_connection_string, namespace_name, \
    testbed_env  # noqa: E402

RESULTS = REPO / "bench" / "results" / "cdc_latency.json"


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-share * len(ordered) // 1))))
    return ordered[rank - 1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=25)
    parser.add_argument("--min-gap", type=float, default=0.2)
    parser.add_argument("--max-gap", type=float, default=1.5)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    if args.rows < 20:
        parser.error("--rows: at least 20 rows make a p95")
    rng = random.Random(args.seed)
    env = testbed_env()
    from kubernetes.client.exceptions import ApiException

    try:
        status = connector_status(env)
    except ApiException as error:  # no Connect, or no such connector yet
        print(f"BENCH cdc-latency skipped: connector not found ({str(error).splitlines()[0]}); run `make demo` first")
        return 0
    if status.get("connector", {}).get("state") != "RUNNING":
        print(f"connector not RUNNING: {json.dumps(status)[:500]}", file=sys.stderr)
        return 1
    connection = listen_connection_string(env, namespace_name(env))
    arrivals: dict[int, float] = {}
    arrived = threading.Condition()

    def seen(row: Any, _value: Any, arrival: float) -> None:
        with arrived:
            arrivals.setdefault(row, arrival)
            arrived.notify_all()

    reader = TopicReader(env, connection, TOPIC, seen)
    reader.start()
    psql = Psql(env)
    commits: dict[int, float] = {}
    tag = uuid.uuid4().hex[:8]
    try:
        psql.insert_customer(f"{tag}-warmup")  # the first fetch after assignment is not the pipeline's
        time.sleep(1.0)
        for number in range(args.rows):
            time.sleep(rng.uniform(args.min_gap, args.max_gap))
            row = psql.insert_customer(f"{tag}-{number}")
            commits[row] = time.monotonic()
        with arrived:
            arrived.wait_for(lambda: all(row in arrivals for row in commits), timeout=60)
    finally:
        psql.close()
        reader.close()
    missing = [row for row in commits if row not in arrivals]
    if missing:
        print(f"{len(missing)} rows never arrived on {TOPIC}: {missing}", file=sys.stderr)
        return 1
    latencies = [arrivals[row] - commits[row] for row in commits]
    median, p95 = statistics.median(latencies), percentile(latencies, 0.95)
    print(f"{'row':>8} {'latency s':>10}")
    for row in commits:
        print(f"{row:>8} {arrivals[row] - commits[row]:>10.3f}")
    print(f"rows {len(latencies)}  min {min(latencies):.3f}  median {median:.3f}  p95 {p95:.3f}  "
          f"max {max(latencies):.3f}  gaps uniform {args.min_gap}-{args.max_gap} s")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"rows": len(latencies), "median": median, "p95": p95, "latencies": latencies},
                                  indent=2) + "\n", encoding="utf-8")
    print(f"BENCH cdc-latency ours={median:.3f} baseline={p95:.3f} ratio={p95 / median:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
