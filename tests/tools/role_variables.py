# SPDX-License-Identifier: GPL-3.0-or-later
"""The variable tables of each role README, generated from the role's meta/argument_specs.yml (the one source).

    python tests/tools/role_variables.py          # rewrite the tables (make docs)
    python tests/tools/role_variables.py --check  # fail naming every README whose tables differ

Each README holds its tables between the BEGIN and END markers below; everything outside them is written by hand.
tests/unit/roles/test_role_variable_docs.py fails when a table differs from what this script writes.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Tuple

import yaml

REPO = Path(__file__).resolve().parents[2]
ROLES = ("eventhub", "kafka_connect", "connectors")
BEGIN = ("<!-- BEGIN generated from meta/argument_specs.yml by tests/tools/role_variables.py (make docs); "
         "edit the spec, not this table -->")
END = "<!-- END generated from meta/argument_specs.yml -->"

# Ansible's semantic markup, as Markdown: O(option), V(value), C(code), E(env), M(module), P(plugin), I(), B(), U(), L().
_CODE = re.compile(r"\b([OVCEMP])\(((?:[^()]|\([^()]*\))*)\)")
_ITALIC = re.compile(r"\bI\(([^()]*)\)")
_BOLD = re.compile(r"\bB\(([^()]*)\)")
_URL = re.compile(r"\bU\(([^()]*)\)")
_LINK = re.compile(r"\bL\(([^(),]*),\s*([^()]*)\)")


def markdown(text: str) -> str:
    """One line of Markdown for a description, pipes escaped for a table cell."""
    text = _LINK.sub(lambda m: "[%s](%s)" % (m.group(1).strip(), m.group(2).strip()), text)
    text = _URL.sub(lambda m: m.group(1), text)
    text = _ITALIC.sub(lambda m: "*%s*" % m.group(1), text)
    text = _BOLD.sub(lambda m: "**%s**" % m.group(1), text)
    text = _CODE.sub(lambda m: "`%s`" % (m.group(2).split("#", 1)[0] if m.group(1) == "P" else m.group(2)), text)
    return " ".join(text.split()).replace("|", "\\|")


def description(spec: Mapping[str, Any]) -> str:
    value = spec.get("description") or ""
    parts = [str(part) for part in value] if isinstance(value, list) else [str(value)]
    text = " ".join(markdown(part) for part in parts if part)
    if spec.get("choices"):
        text += " Choices: %s." % ", ".join("`%s`" % _scalar(choice) for choice in spec["choices"])
    if spec.get("no_log"):
        text += " *(secret)*"
    return text.strip()


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(", ", ": "))
    return str(value)


def type_name(spec: Mapping[str, Any]) -> str:
    kind = spec.get("type", "str")
    if kind == "list":
        return "list of %s" % spec.get("elements", "any")
    return str(kind)


def default(spec: Mapping[str, Any], role_default: Any = None) -> str:
    """The spec's default; else the one of defaults/main.yml (a template the spec cannot hold), when set."""
    if spec.get("required"):
        return "**required**"
    if "default" in spec:
        return "`%s`" % _scalar(spec["default"]).replace("|", "\\|")
    if role_default is not None:
        return "`%s`" % _scalar(role_default).replace("|", "\\|")
    if any("default" in sub for sub in (spec.get("options") or {}).values()):
        return "per sub-option"
    return ""


def rows(options: Mapping[str, Any], prefix: str = "") -> Iterator[Tuple[str, Mapping[str, Any]]]:
    """Every option and sub-option, a list's entries as name[].sub and a dict's keys as name.sub."""
    for name, spec in options.items():
        spec = spec or {}
        yield prefix + name, spec
        if spec.get("options"):
            inner = prefix + name + ("[]." if spec.get("type") == "list" else ".")
            yield from rows(spec["options"], inner)


def entry_point_table(name: str, entry: Mapping[str, Any], role_defaults: Mapping[str, Any]) -> List[str]:
    lines = ["### Entry point `%s`" % name, ""]
    if entry.get("short_description"):
        lines += [markdown(str(entry["short_description"])) + ".", ""]
    lines += ["| variable | type | default | description |", "|---|---|---|---|"]
    for option, spec in rows(entry.get("options") or {}):
        lines.append("| `%s` | %s | %s | %s |" % (option, type_name(spec), default(spec, role_defaults.get(option)),
                                                  description(spec)))
    return lines + [""]


def role_tables(role: str, repo: Path = REPO) -> str:
    """The generated block of a role README, markers included."""
    specs = yaml.safe_load((repo / "roles" / role / "meta" / "argument_specs.yml").read_text(encoding="utf-8"))
    defaults_file = repo / "roles" / role / "defaults" / "main.yml"
    role_defaults = (yaml.safe_load(defaults_file.read_text(encoding="utf-8")) if defaults_file.exists() else None) or {}
    lines = [BEGIN, ""]
    for name, entry in specs["argument_specs"].items():
        lines += entry_point_table(name, entry, role_defaults)
    return "\n".join(lines + [END])


def readme_path(role: str, repo: Path = REPO) -> Path:
    return repo / "roles" / role / "README.md"


def with_tables(text: str, tables: str, where: str) -> str:
    """The README text with its generated block replaced."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ValueError("%s has no generated variable block (the BEGIN and END markers of %s)" % (where, __file__))
    return text[:start] + tables + text[end + len(END):]


def stale(repo: Path = REPO) -> Dict[str, str]:
    """README path -> its text as the generator writes it, for each README that differs."""
    result = {}
    for role in ROLES:
        path = readme_path(role, repo)
        text = path.read_text(encoding="utf-8")
        expected = with_tables(text, role_tables(role, repo), str(path.relative_to(repo)))
        if expected != text:
            result[str(path.relative_to(repo))] = expected
    return result


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report READMEs whose tables differ")
    args = parser.parse_args(argv)
    differing = stale()
    for path, text in differing.items():
        if args.check:
            print("%s: the variable tables differ from meta/argument_specs.yml; run make docs" % path)
        else:
            (REPO / path).write_text(text, encoding="utf-8")
            print("rewrote the variable tables of %s" % path)
    return 1 if args.check and differing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
