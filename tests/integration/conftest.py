# SPDX-License-Identifier: GPL-3.0-or-later
"""Run the collection's modules through ansible-playbook against the ARM test double."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any, Dict, List, NamedTuple, Optional

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COLLECTIONS = REPO / "tests" / "output" / "collections"
sys.path.insert(0, str(REPO / "tests" / "testbed"))

from arm_double import fixtures as arm_double_fixtures  # noqa: E402

# Re-exported so every test here can ask for the double.
arm_double = arm_double_fixtures.arm_double

FQCN = "streamops.eventhub_connect."


class PlaybookRun(NamedTuple):
    returncode: int
    output: str
    results: List[Dict[str, Any]]

    def task(self, name: str) -> Dict[str, Any]:
        """The localhost result of the task with this name."""
        for result in self.results:
            if result["name"] == name:
                return result["result"]
        raise KeyError("no task %r in %s" % (name, [r["name"] for r in self.results]))


def unique(prefix: str) -> str:
    """Random names keep tests independent of each other and of earlier runs."""
    return "%s%s" % (prefix, uuid.uuid4().hex[:10])


def playbook_env(double: Any, callback: str = "ansible.posix.json", extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    env = dict(os.environ)
    env.update(double.env)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS),
        "ANSIBLE_STDOUT_CALLBACK": callback,
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_HOST_KEY_CHECKING": "False",
        "ANSIBLE_LOCALHOST_WARNING": "False",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False",
    })
    env.update(extra or {})
    return env


def run_tasks(double: Any, tmp_path: Path, tasks: List[Dict[str, Any]], *args: str,
              callback: str = "ansible.posix.json", env: Optional[Dict[str, str]] = None) -> PlaybookRun:
    """Write a one-play playbook on localhost and run it; module_defaults point the modules at the double's group."""
    play = {
        "name": "eventhub integration",
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": False,
        "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
        "module_defaults": {
            "group/streamops.eventhub_connect.azure": {"resource_group": double.resource_group},
            FQCN + "eventhub_namespace": {"polling_interval": 0.2, "location": "westeurope"},
        },
        "tasks": tasks,
    }
    path = tmp_path / ("play-%s.yml" % uuid.uuid4().hex[:8])
    path.write_text(yaml.safe_dump([play], sort_keys=False), encoding="utf-8")
    if not (COLLECTIONS / "ansible_collections" / "streamops" / "eventhub_connect").exists():
        pytest.fail("the collection link is missing: run `make setup` first")
    command = [str(Path(sys.executable).with_name("ansible-playbook")), "-i", "localhost,", str(path), *args]
    completed = subprocess.run(command, env=playbook_env(double, callback, env), capture_output=True, text=True,
                               timeout=600, check=False)
    output = completed.stdout + completed.stderr
    results = []
    if callback == "ansible.posix.json":
        try:
            document = json.loads(completed.stdout)
        except ValueError:
            pytest.fail("ansible-playbook did not print JSON:\n%s" % output)
        for task in document["plays"][0]["tasks"]:
            results.append({"name": task["task"]["name"], "result": task["hosts"].get("localhost", {})})
    return PlaybookRun(completed.returncode, output, results)


@pytest.fixture(scope="module")
def standard_namespace(arm_double: Any, tmp_path_factory: pytest.TempPathFactory) -> str:  # noqa: F811
    """One Standard namespace shared by a test module's hub and rule tests (each uses its own hub names)."""
    name = unique("ehit-")
    run = run_tasks(arm_double, tmp_path_factory.mktemp("ns"), [
        {"name": "namespace", FQCN + "eventhub_namespace": {"name": name, "sku": "Standard"}}])
    assert run.returncode == 0, run.output
    return name
