# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark callback: each task's action, duration, end time and whether it ran a module process, as JSON lines.

Enabled by bench/converge.py (ANSIBLE_CALLBACKS_ENABLED=bench_tasks, BENCH_TASKS_FILE=<path>); it only
observes. Actions that run on the controller without a module process are named in CONTROLLER_ACTIONS.
"""
from __future__ import annotations

import json
import os
import time
from typing import Any, Dict

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: bench_tasks
type: aggregate
short_description: records each task's action and duration for the benchmarks
description: Writes one JSON line per task result to the file named by BENCH_TASKS_FILE.
requirements: [enable in configuration]
"""

CONTROLLER_ACTIONS = {
    "set_fact", "debug", "assert", "fail", "include_tasks", "import_tasks", "include_role", "import_role",
    "include_vars", "meta", "pause", "add_host", "group_by", "set_stats", "validate_argument_spec",
}


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_tasks"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self.started: Dict[str, float] = {}
        self.path = os.environ.get("BENCH_TASKS_FILE")

    def v2_playbook_on_task_start(self, task: Any, is_conditional: bool) -> None:
        self.started[task._uuid] = time.monotonic()

    def _record(self, result: Any, status: str) -> None:
        if not self.path:
            return
        task = result._task
        action = task.action.split(".")[-1]
        line = {"task": task.get_name(), "action": action, "status": status,
                "module": status != "skipped" and action not in CONTROLLER_ACTIONS,
                "seconds": round(time.monotonic() - self.started.get(task._uuid, time.monotonic()), 3),
                "ended_at": time.time()}
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(line) + "\n")

    def v2_runner_on_ok(self, result: Any) -> None:
        self._record(result, "ok")

    def v2_runner_on_failed(self, result: Any, ignore_errors: bool = False) -> None:
        self._record(result, "failed")

    def v2_runner_on_skipped(self, result: Any) -> None:
        self._record(result, "skipped")
