# SPDX-License-Identifier: GPL-3.0-or-later
"""meta/argument_specs.yml is the one source of the roles' variable docs.

The variable tables of each role README are what tests/tools/role_variables.py generates from it (`make docs`
rewrites them); docs/variables.md carries no per-variable table of its own; every variable the example inventory
sets, and every one the top-level README names, is an option of an argument spec.
"""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any, Dict, Iterator, Tuple

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
_SPEC = importlib.util.spec_from_file_location("role_variables", REPO / "tests" / "tools" / "role_variables.py")
assert _SPEC and _SPEC.loader
role_variables = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(role_variables)

ROLE_PREFIXES = tuple(role + "_" for role in role_variables.ROLES)
# Set in the example inventory for Ansible itself, not for a role.
ANSIBLE_VARIABLES = ("ansible_connection", "ansible_python_interpreter")


def spec_options() -> Dict[str, Dict[str, Any]]:
    """Every option of every entry point of every role, by name (an option in two entry points: the main one's)."""
    options: Dict[str, Dict[str, Any]] = {}
    for role in role_variables.ROLES:
        specs = yaml.safe_load((REPO / "roles" / role / "meta" / "argument_specs.yml").read_text(encoding="utf-8"))
        for entry in reversed(list(specs["argument_specs"].values())):
            options.update(entry.get("options") or {})
    return options


def inventory_variables() -> Iterator[Tuple[str, str, Any]]:
    """(file, variable, value) for every variable of inventories/example: group_vars files and the hosts' vars."""
    root = REPO / "inventories" / "example"
    for path in sorted((root / "group_vars").rglob("*.yml")):
        for name, value in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            yield str(path.relative_to(REPO)), name, value
    hosts = yaml.safe_load((root / "hosts.yml").read_text(encoding="utf-8")) or {}

    def walk(group: Dict[str, Any]) -> Iterator[Tuple[str, str, Any]]:
        for host_vars in (group.get("hosts") or {}).values():
            for name, value in (host_vars or {}).items():
                yield "inventories/example/hosts.yml", name, value
        for name, value in (group.get("vars") or {}).items():
            yield "inventories/example/hosts.yml", name, value
        for child in (group.get("children") or {}).values():
            yield from walk(child or {})

    for group in hosts.values():
        yield from walk(group or {})


@pytest.mark.parametrize("role", role_variables.ROLES)
def test_readme_tables_are_generated_from_the_argument_spec(role) -> None:
    path = role_variables.readme_path(role)
    text = path.read_text(encoding="utf-8")
    expected = role_variables.with_tables(text, role_variables.role_tables(role), str(path))
    assert text == expected, "%s differs from meta/argument_specs.yml: run make docs" % path.relative_to(REPO)


def test_the_check_names_a_readme_that_drifted(tmp_path) -> None:
    for role in role_variables.ROLES:
        for name in ("README.md", "meta/argument_specs.yml", "defaults/main.yml"):
            source = REPO / "roles" / role / name
            (tmp_path / "roles" / role / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / "roles" / role / name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    assert role_variables.stale(tmp_path) == {}
    spec = tmp_path / "roles" / "eventhub" / "meta" / "argument_specs.yml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("Azure region of the namespace.", "Region."),
                    encoding="utf-8")
    drifted = role_variables.stale(tmp_path)
    assert list(drifted) == ["roles/eventhub/README.md"]
    assert "| `eventhub_location` | str | `westeurope` | Region. |" in drifted["roles/eventhub/README.md"]


def test_markup_becomes_markdown_and_every_row_has_four_cells() -> None:
    assert role_variables.markdown("O(a_b=1), V(x), C(${dir:/p:K}), E(ENV), B(bold), I(it), M(ns.c.mod) a|b") == \
        "`a_b=1`, `x`, `${dir:/p:K}`, `ENV`, **bold**, *it*, `ns.c.mod` a\\|b"
    assert role_variables.markdown("L(the docs, https://example.org/x) and U(https://example.org)") == \
        "[the docs](https://example.org/x) and https://example.org"
    for role in role_variables.ROLES:
        for line in role_variables.role_tables(role).splitlines():
            if line.startswith("| `"):
                cells = re.split(r"(?<!\\)\|", line)[1:-1]
                assert len(cells) == 4, line
                assert not re.search(r"\b[OVCEMBI]\(", cells[3]), line


def test_variables_md_keeps_no_per_variable_table() -> None:
    options = spec_options()
    text = (REPO / "docs" / "variables.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    described = [row for row in rows if row.split("`")[1].split("[")[0].split(".")[0] in options]
    assert described == [], "docs/variables.md repeats role variables; point to the role READMEs instead"


def test_every_example_inventory_variable_is_in_an_argument_spec() -> None:
    options = spec_options()
    seen = 0
    for where, name, value in inventory_variables():
        if name in ANSIBLE_VARIABLES:
            continue
        seen += 1
        assert name.startswith(ROLE_PREFIXES), "%s: %s is no role's variable" % (where, name)
        assert name in options, "%s: %s is in no meta/argument_specs.yml" % (where, name)
        sub = options[name].get("options")
        if sub and options[name].get("type") == "list":
            for entry in value or []:
                unknown = sorted(set(entry) - set(sub))
                assert not unknown, "%s: %s entries have keys %s the spec does not" % (where, name, unknown)
    assert seen > 10


def test_the_readme_names_only_variables_of_an_argument_spec() -> None:
    options = spec_options()
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Variables", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`((?:%s)[a-z0-9_]+)`" % "|".join(ROLE_PREFIXES), section))
    assert named and sorted(named - set(options)) == []
