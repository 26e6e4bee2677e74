# SPDX-License-Identifier: GPL-3.0-or-later
"""The ansible-builder v3 definition renders a build context with this collection's requirements."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]


def builder_command() -> list[str]:
    """ansible-builder from the interpreter's own venv, so the pinned version runs."""
    beside_python = Path(sys.executable).with_name("ansible-builder")
    if beside_python.exists():
        return [str(beside_python)]
    found = shutil.which("ansible-builder")
    if not found:
        pytest.fail("ansible-builder is not installed (it is pinned in requirements-test.txt)")
    return [found]


@pytest.fixture(scope="module")
def build_context(tmp_path_factory: pytest.TempPathFactory) -> Path:
    context = tmp_path_factory.mktemp("ee") / "context"
    subprocess.run(
        builder_command()
        + ["create", "--file", "execution-environment.yml", "--context", str(context),
           "--output-filename", "Containerfile"],
        cwd=REPO, check=True, capture_output=True, text=True, timeout=120,
    )
    return context


def test_containerfile_builds_from_the_declared_base_image(build_context: Path) -> None:
    definition = yaml.safe_load((REPO / "execution-environment.yml").read_text())
    containerfile = (build_context / "Containerfile").read_text()
    assert definition["version"] == 3
    assert f'ARG EE_BASE_IMAGE="{definition["images"]["base_image"]["name"]}"' in containerfile
    assert "ansible-galaxy collection install" in containerfile
    assert "introspect" in containerfile


def test_galaxy_requirements_hold_kubernetes_core_and_this_collection(build_context: Path) -> None:
    requirements = yaml.safe_load((build_context / "_build" / "requirements.yml").read_text())
    names = {entry["name"] for entry in requirements["collections"]}
    assert {"kubernetes.core", "streamops.eventhub_connect"} <= names


def test_python_and_system_requirements_are_the_collections_own(build_context: Path) -> None:
    python_reqs = (build_context / "_build" / "requirements.txt").read_text()
    for line in (REPO / "requirements.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            assert line in python_reqs
    assert "azure-mgmt-eventhub" in python_reqs
    assert (build_context / "_build" / "bindep.txt").read_text() == (REPO / "bindep.txt").read_text()


def test_collection_metadata_points_builder_at_the_same_files() -> None:
    meta = yaml.safe_load((REPO / "meta" / "execution-environment.yml").read_text())
    assert meta["dependencies"]["python"] == "requirements.txt"
    assert meta["dependencies"]["system"] == "bindep.txt"
    for name in ("requirements.txt", "bindep.txt"):
        assert (REPO / name).is_file()
