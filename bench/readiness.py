# SPDX-License-Identifier: GPL-3.0-or-later
"""Readiness-detection lag: connect_ready vs. the uri + until loop cp-ansible ships (retries 40, delay 10).

Each trial starts a local stand-in for a Connect worker's REST port that refuses connections for the
first half of its start-up delay, answers 503 until the delay is over, then 200 on /connectors (a
worker on this machine takes 20-60 s to get there). Both waiters are started, as two ansible-playbook
runs, at the same moment against the same stand-in; the lag is the time from the first moment it
answers 200 to the moment the waiting task has returned. Prints both medians and their ratio.

Usage: python bench/readiness.py [--runs 7] [--min-delay 20] [--max-delay 60]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, List, Optional

REPO = Path(__file__).resolve().parent.parent
ANSIBLE_PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")
RETURNED = re.compile(r"WAITER_RETURNED_AT=([0-9.]+)")

CONNECT_READY_PLAY = """
- name: Wait with connect_ready
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Wait until Connect answers
      streamops.eventhub_connect.connect_ready:
        url: "{{ url }}"
        timeout: 400
    - name: Report when the waiter returned
      ansible.builtin.debug:
        msg: "WAITER_RETURNED_AT={{ now().timestamp() }}"
"""

URI_UNTIL_PLAY = """
- name: Wait with uri + until, as cp-ansible does
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Wait until Connect answers
      ansible.builtin.uri:
        url: "{{ url }}/connectors"
        status_code: 200
      register: result
      until: result.status == 200
      retries: 40
      delay: 10
    - name: Report when the waiter returned
      ansible.builtin.debug:
        msg: "WAITER_RETURNED_AT={{ now().timestamp() }}"
"""


class StartingWorker:
    """Refuses, then answers 503, then 200 from ready_at on; records when it first answered 200."""

    def __init__(self, listen_at: float, ready_at: float) -> None:
        self.listen_at = listen_at
        self.ready_at = ready_at
        self.first_200: Optional[float] = None
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.server: Optional[ThreadingHTTPServer] = None
        self._timer = threading.Timer(max(0.0, listen_at - time.time()), self._listen)
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return "http://127.0.0.1:{0}".format(self.port)

    def _listen(self) -> None:
        worker = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                now = time.time()
                if now < worker.ready_at:
                    status, body = 503, {"error_code": 503, "message": "Request timed out"}
                else:
                    with worker._lock:
                        if worker.first_200 is None:
                            worker.first_200 = now
                    status = 200
                    body = {"version": "4.3.1"} if self.path == "/" else []
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def __enter__(self) -> "StartingWorker":
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        if self.server:
            self.server.shutdown()
            self.server.server_close()


def ansible_env() -> Dict[str, str]:
    env = dict(os.environ)
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", str(REPO / "tests" / "output" / "collections"))
    env["ANSIBLE_LOCALHOST_WARNING"] = "false"
    env["ANSIBLE_INVENTORY_UNPARSED_WARNING"] = "false"
    env["ANSIBLE_FORCE_COLOR"] = "false"
    return env


def start_waiter(playbook: Path, url: str) -> subprocess.Popen:
    return subprocess.Popen(
        [str(ANSIBLE_PLAYBOOK), "-i", "localhost,", str(playbook), "-e", "url=" + url,
         "-e", "ansible_python_interpreter=" + sys.executable],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=ansible_env(),
    )


def returned_at(process: subprocess.Popen, name: str) -> float:
    output = process.communicate(timeout=900)[0]
    match = RETURNED.search(output)
    if process.returncode != 0 or not match:
        raise RuntimeError("{0} failed (rc {1}):\n{2}".format(name, process.returncode, output[-3000:]))
    return float(match.group(1))


def run_trial(plays: Dict[str, Path], delay: float) -> Dict[str, float]:
    start = time.time()
    with StartingWorker(listen_at=start + delay / 2, ready_at=start + delay) as worker:
        processes = {name: start_waiter(path, worker.url) for name, path in plays.items()}
        returns = {name: returned_at(process, name) for name, process in processes.items()}
        if worker.first_200 is None:
            raise RuntimeError("no waiter saw the worker ready")
        return {name: returns[name] - worker.ready_at for name in plays}


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--min-delay", type=float, default=20.0, help="shortest worker start-up, seconds")
    parser.add_argument("--max-delay", type=float, default=60.0, help="longest worker start-up, seconds")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)

    with tempfile.TemporaryDirectory(prefix="bench-readiness-") as tmp:
        plays = {"connect_ready": Path(tmp, "connect_ready.yml"), "uri_until": Path(tmp, "uri_until.yml")}
        plays["connect_ready"].write_text(CONNECT_READY_PLAY)
        plays["uri_until"].write_text(URI_UNTIL_PLAY)
        lags: Dict[str, List[float]] = {name: [] for name in plays}
        print("readiness lag = waiter returned - worker first ready (seconds)")
        print("{0:>5} {1:>8} {2:>14} {3:>10}".format("run", "start-up", "connect_ready", "uri_until"))
        for run in range(1, args.runs + 1):
            delay = rng.uniform(args.min_delay, args.max_delay)
            trial = run_trial(plays, delay)
            for name, lag in trial.items():
                lags[name].append(lag)
            print("{0:>5} {1:>8.1f} {2:>14.2f} {3:>10.2f}".format(run, delay, trial["connect_ready"], trial["uri_until"]))
            sys.stdout.flush()

    ours = statistics.median(lags["connect_ready"])
    baseline = statistics.median(lags["uri_until"])
    print("median lag: connect_ready {0:.2f} s, uri+until (retries 40, delay 10) {1:.2f} s".format(ours, baseline))
    print("ratio uri_until / connect_ready: {0:.1f}x".format(baseline / ours if ours > 0 else float("inf")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
