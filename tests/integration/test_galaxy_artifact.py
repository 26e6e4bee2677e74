# SPDX-License-Identifier: GPL-3.0-or-later
"""The Galaxy artifact: built from the checkout, installed alone, every plugin documented and site.yml parsed."""
from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Dict, List

import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# Paths that belong to git and the local testbed, never to the artifact.
NOT_SHIPPED = ("tests/testbed/", "tests/integration/", "tests/output/", "tests/unit/testbed/", "bench/",
               "extensions/molecule/", "inventories/local/", ".venv/", ".git/", "Makefile")


def run(command: List[str], env: Dict[str, str], cwd: Path) -> str:
    done = subprocess.run(command, env=env, cwd=str(cwd), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, "%s\n%s" % (" ".join(command), done.stdout)
    return done.stdout


def isolated_env(collections: Path, home: Path) -> Dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_")}
    env.update({"HOME": str(home), "ANSIBLE_COLLECTIONS_PATH": str(collections),
                # Without this the ansible package's own ansible_collections on sys.path would be found too.
                "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "False", "ANSIBLE_NOCOLOR": "1",
                "ANSIBLE_LOCALHOST_WARNING": "False", "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False"})
    return env


def test_the_artifact_holds_only_the_collection_and_works_installed_alone(tmp_path: Path) -> None:
    galaxy = yaml.safe_load((REPO / "galaxy.yml").read_text(encoding="utf-8"))
    home = tmp_path / "home"
    home.mkdir()
    collections = tmp_path / "collections"
    env = isolated_env(collections, home)
    run([str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(tmp_path), str(REPO)], env, tmp_path)
    artifact = tmp_path / ("%s-%s-%s.tar.gz" % (galaxy["namespace"], galaxy["name"], galaxy["version"]))
    with tarfile.open(artifact) as tar:
        names = tar.getnames()
    leaked = sorted(name for name in names
                    if any(name == prefix.rstrip("/") or name.startswith(prefix) for prefix in NOT_SHIPPED))
    assert leaked == [], leaked
    for expected in ("plugins/modules/eventhub.py", "plugins/filter/eventhub_topic_plan.py",
                     "roles/eventhub/tasks/main.yml", "playbooks/site.yml", "meta/runtime.yml"):
        assert expected in names, names

    run([str(BIN / "ansible-galaxy"), "collection", "install", "--no-deps", "-p", str(collections), str(artifact)],
        env, tmp_path)
    import ansible_collections.kubernetes.core as kubernetes_core  # the ansible package's copy, the dependency

    (collections / "ansible_collections" / "kubernetes").mkdir(parents=True, exist_ok=True)
    (collections / "ansible_collections" / "kubernetes" / "core").symlink_to(Path(kubernetes_core.__path__[0]))
    installed = collections / "ansible_collections" / galaxy["namespace"] / galaxy["name"]
    assert not (installed / "tests" / "testbed").exists()

    fqcn = "%s.%s." % (galaxy["namespace"], galaxy["name"])
    for plugin_type, folder in (("module", "modules"), ("filter", "filter")):
        plugins = sorted(path.stem for path in (installed / "plugins" / folder).glob("*.py")
                         if not path.name.startswith("_"))
        assert plugins, folder
        listed = run([str(BIN / "ansible-doc"), "-t", plugin_type, "-l", fqcn[:-1]], env, tmp_path)
        for plugin in plugins:
            assert fqcn + plugin in listed, (plugin, listed)
            text = run([str(BIN / "ansible-doc"), "-t", plugin_type, fqcn + plugin], env, tmp_path)
            assert fqcn + plugin in text and "EXAMPLES" in text, text
    # Run from an empty directory, so only the installed artifact can resolve the playbook and its roles.
    work = tmp_path / "empty"
    work.mkdir()
    output = run([str(BIN / "ansible-playbook"), "-i", "localhost,", "--syntax-check", fqcn + "site"], env, work)
    assert "playbook: %s" % (installed / "playbooks" / "site.yml") in output, output
