# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter: a mapping as a Java properties file, as FileConfigProvider reads it."""

from __future__ import annotations

DOCUMENTATION = r"""
name: kafka_connect_properties
version_added: 0.2.0
short_description: A mapping of worker properties as the text of a Java properties file
description:
  - One C(key=value) line per entry, sorted by key, escaped for C(java.util.Properties.load), which
    Kafka's C(FileConfigProvider) uses to read the file, so that a value holding C(\\), C(=), C(:),
    C(#), newlines or leading spaces reads back exactly.
  - Booleans are written V(true)/V(false), as Kafka spells them.
positional: _input
options:
  _input:
    description: A mapping of property names to values.
    type: dict
    required: true
author:
  - streamops (@streamops)
"""

EXAMPLES = r"""
---
- name: The Kafka credentials file of the workers
  ansible.builtin.set_fact:
    kafka_properties: "{{ {'sasl.jaas.config': jaas_line} | streamops.eventhub_connect.kafka_connect_properties }}"
  no_log: true
"""

RETURN = r"""
_value:
  description: The file's text, ending with a newline (empty for an empty mapping).
  type: str
"""

from collections.abc import Mapping
from typing import Any, Callable, Dict

from ansible.errors import AnsibleFilterError

_SPECIAL = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\f": "\\f"}


def _escape(text: str, key: bool) -> str:
    out = []
    for index, char in enumerate(text):
        if char in _SPECIAL:
            out.append(_SPECIAL[char])
        elif char in "=:#!" and (key or index == 0):
            out.append("\\" + char)
        elif char == " " and (key or index == 0):
            out.append("\\ ")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append("\\u%04x" % ord(char))
        else:
            out.append(char)
    return "".join(out)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def kafka_connect_properties(mapping: Any) -> str:
    if not isinstance(mapping, Mapping):
        raise AnsibleFilterError("kafka_connect_properties expects a mapping, got %s" % type(mapping).__name__)
    lines = ["%s=%s" % (_escape(str(key), key=True), _escape(_text(mapping[key]), key=False))
             for key in sorted(mapping, key=str)]
    return "".join(line + "\n" for line in lines)


class FilterModule:
    def filters(self) -> Dict[str, Callable[..., Any]]:
        return {"kafka_connect_properties": kafka_connect_properties}
