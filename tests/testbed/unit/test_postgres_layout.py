# SPDX-License-Identifier: GPL-3.0-or-later
"""Where tests/testbed/postgres.py keeps the server's files: where its system user can reach them."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import postgres  # noqa: E402  pylint: disable=wrong-import-position


@pytest.fixture(autouse=True)
def no_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TESTBED_POSTGRES_HOME", raising=False)


def test_the_server_lives_outside_the_state_so_a_0700_home_does_not_hide_it(tmp_path: Path) -> None:
    layout = postgres.Layout(tmp_path / "home" / "clone" / "tests" / "output" / "testbed")
    for path in (layout.server, layout.data, layout.run, layout.log):
        assert layout.root not in path.parents and path.is_relative_to(postgres.SERVER_HOMES)
    # what root alone reads stays in the state
    assert layout.password_file.is_relative_to(layout.root) and layout.env_file.is_relative_to(layout.root)


def test_each_state_has_its_own_server_folder_and_the_same_one_on_every_call(tmp_path: Path) -> None:
    first, second = postgres.Layout(tmp_path / "a"), postgres.Layout(tmp_path / "b")
    assert first.server != second.server
    assert first.server == postgres.Layout(tmp_path / "a").server


def test_testbed_postgres_home_chooses_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TESTBED_POSTGRES_HOME", str(tmp_path / "pg"))
    assert postgres.Layout(tmp_path / "state").data == tmp_path / "pg" / "data"


def test_a_parent_the_server_user_cannot_search_is_named_with_the_fix(tmp_path: Path) -> None:
    closed = tmp_path / "closed"
    (closed / "pg").mkdir(parents=True)
    closed.chmod(0o700)
    with pytest.raises(postgres.TestbedError, match=r"closed is not searchable by others.*TESTBED_POSTGRES_HOME"):
        postgres.check_traversable(closed / "pg")
