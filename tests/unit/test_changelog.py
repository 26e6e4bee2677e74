# SPDX-License-Identifier: GPL-3.0-or-later
"""The changelog holds: every fragment is one antsibull-changelog accepts, changelogs/changelog.yaml is valid, and
galaxy.yml's version is not older than the last release it records (a release bumps both)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import List, Tuple

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
ANTSIBULL_CHANGELOG = Path(sys.executable).with_name("antsibull-changelog")


def changelog_tool(*args: str) -> Tuple[int, str]:
    done = subprocess.run([str(ANTSIBULL_CHANGELOG), *args], cwd=REPO, capture_output=True, text=True, timeout=300,
                          check=False)
    return done.returncode, (done.stdout + done.stderr).strip()


def version(text: str) -> Tuple[int, ...]:
    return tuple(int(part) for part in text.split("-", 1)[0].split("."))


def test_every_fragment_passes_antsibull_changelog_lint() -> None:
    code, output = changelog_tool("lint")
    assert code == 0 and output == "", output


def test_lint_names_a_fragment_it_refuses(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("---\nnew_things:\n  - a section the config does not have\nbugfixes: not a list\n", encoding="utf-8")
    code, output = changelog_tool("lint", str(bad))
    assert code != 0 or output, output
    assert "new_things" in output and "bugfixes" in output, output


def test_fragments_are_yaml_files_in_the_fragment_folder() -> None:
    names: List[str] = [path.name for path in (REPO / "changelogs" / "fragments").iterdir()]
    assert [name for name in names if not name.endswith((".yml", ".yaml")) and name != ".keep"] == []


def test_changelog_yaml_is_valid_and_galaxy_is_not_behind_it() -> None:
    code, output = changelog_tool("lint-changelog-yaml", "changelogs/changelog.yaml")
    assert code == 0 and output == "", output
    releases = (yaml.safe_load((REPO / "changelogs" / "changelog.yaml").read_text(encoding="utf-8")) or {}).get(
        "releases") or {}
    galaxy = yaml.safe_load((REPO / "galaxy.yml").read_text(encoding="utf-8"))["version"]
    if not releases:
        pytest.skip("no release recorded yet")
    assert version(galaxy) >= max(version(str(name)) for name in releases), (galaxy, sorted(releases))
