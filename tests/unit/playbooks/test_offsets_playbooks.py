# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/offsets_save.yml and offsets_restore.yml, run by ansible-playbook against the fake Connect server.

The fake (tests/unit/plugins/modules/test_connect_connector.py) keeps offsets as KIP-875 does, so a restore
of a running connector is refused without offsets_allow_stop and goes through stop, write, resume with it;
every outcome is read back from the fake, not from the play's output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Tuple

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "plugins", "modules"))

from test_connect_connector import SOURCE_CONFIG, FakeConnect  # noqa: E402

REPO = Path(__file__).resolve().parents[3]
COLLECTIONS = REPO / "tests" / "output" / "collections"
FILE = "/tmp/input.txt"


def at(position: int, filename: str = FILE) -> list:
    return [{"partition": {"filename": filename}, "offset": {"position": position}}]


@pytest.fixture
def connect():
    fake = FakeConnect()
    fake.add("lines", SOURCE_CONFIG, state="RUNNING", offsets=at(99))
    fake.add("paused", SOURCE_CONFIG, state="PAUSED", offsets=at(7, "/tmp/other.txt"))
    fake.add("fresh", SOURCE_CONFIG, state="STOPPED")
    yield fake
    fake.close()


def play(connect: FakeConnect, name: str, tmp_path: Path, *args: str) -> Tuple[int, str]:
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCALHOST_WARNING="False", ANSIBLE_INVENTORY_UNPARSED_WARNING="False",
               ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    command = [str(Path(sys.executable).with_name("ansible-playbook")), "-i", "localhost,", "-c", "local",
               str(REPO / "playbooks" / name), "-e", "offsets_url=" + connect.url, *args]
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
    return done.returncode, done.stdout + done.stderr


def test_save_then_restore(connect, tmp_path):
    saved = tmp_path / "offsets.json"
    rc, output = play(connect, "offsets_save.yml", tmp_path, "-e", "offsets_file=" + str(saved))
    assert rc == 0, output[-3000:]
    assert json.loads(saved.read_text(encoding="utf-8")) == {
        "connectors": {"fresh": [], "lines": at(99), "paused": at(7, "/tmp/other.txt")}}
    assert oct(saved.stat().st_mode & 0o777) == "0o600"
    assert connect.writes() == []  # saving stops nothing

    # the connectors move on; a new partition appears on one of them
    connect.connectors["lines"]["offsets"].clear()
    connect.add("lines", SOURCE_CONFIG, state="RUNNING", offsets=at(5000) + at(3, "/tmp/new.txt"))
    connect.add("paused", SOURCE_CONFIG, state="PAUSED", offsets=at(70, "/tmp/other.txt"))

    rc, output = play(connect, "offsets_restore.yml", tmp_path, "-e", "offsets_file=" + str(saved))
    assert rc != 0
    assert "connector 'lines' is RUNNING: Connect changes the offsets of a STOPPED connector only" in output
    assert connect.writes() == []

    rc, output = play(connect, "offsets_restore.yml", tmp_path, "-e", "offsets_file=" + str(saved),
                      "-e", "offsets_allow_stop=true", "--check")
    assert rc == 0, output[-3000:]
    assert "changed=1" in output and connect.writes() == []

    rc, output = play(connect, "offsets_restore.yml", tmp_path, "-e", "offsets_file=" + str(saved),
                      "-e", "offsets_allow_stop=true")
    assert rc == 0, output[-3000:]
    assert connect.offsets("lines") == at(99) + at(3, "/tmp/new.txt")  # saved partitions back, the new one kept
    assert connect.offsets("paused") == at(7, "/tmp/other.txt")
    assert {name: entry["state"] for name, entry in connect.connectors.items()} == {
        "lines": "RUNNING", "paused": "PAUSED", "fresh": "STOPPED"}
    assert "PATCH /connectors/fresh/offsets" not in connect.writes()  # saved without offsets: skipped

    rc, output = play(connect, "offsets_restore.yml", tmp_path, "-e", "offsets_file=" + str(saved),
                      "-e", "offsets_allow_stop=true")
    assert rc == 0 and "changed=0" in output, output[-3000:]


@pytest.mark.parametrize("name", ["offsets_save.yml", "offsets_restore.yml"])
def test_offsets_file_is_required(connect, tmp_path, name):
    rc, output = play(connect, name, tmp_path)
    assert rc != 0 and "offsets_file is not set" in output
    assert connect.requests == []


def test_a_file_of_another_shape_is_refused_before_any_request(connect, tmp_path):
    saved = tmp_path / "offsets.json"
    saved.write_text(json.dumps({"connectors": {"lines": {"position": 0}}}), encoding="utf-8")
    rc, output = play(connect, "offsets_restore.yml", tmp_path, "-e", "offsets_file=" + str(saved))
    assert rc != 0 and "as offsets_save.yml writes it" in output
    assert connect.requests == []
