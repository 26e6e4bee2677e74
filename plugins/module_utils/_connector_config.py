# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is **PRIVATE** to the collection. It can change at any time.
"""Kafka Connect connector configs: string normalisation, comparison, secret refusal and redaction.

What is secret is decided by _secrets.py alone: values under secret keys, and credentials inside
other values (a URL's user:password@ or ?password=...).
"""

from __future__ import annotations

import re

from ansible.module_utils.common.text.converters import to_text

from typing import Any, Dict, List, Optional, Set

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._errors import InvalidInput
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._secrets import (
    is_secret_key,
    mask_value,
    secrets_in_value,
)

REDACTED = "********"

# Kafka's ConfigTransformer syntax: ${provider:[path:]key}
CONFIG_PLACEHOLDER = re.compile(r"\$\{[^}:]+:[^}]*\}")


class ConfigValueError(InvalidInput):
    """A desired config value cannot be expressed as a Connect config string."""


def config_value_text(key: str, value: Any) -> str:
    """The string Connect stores for a YAML value: true -> "true", 3 -> "3", [a, b] -> "a,b"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(config_value_text(key, item) for item in value)
    if isinstance(value, dict):
        raise ConfigValueError("config value of {0!r} is a mapping; Connect takes strings only".format(key))
    return to_text(value)


def normalize_config(name: str, config: Dict[str, Any]) -> Dict[str, str]:
    """The config as Connect will store it: every value a string, None dropped, name added."""
    normalized = {}  # type: Dict[str, str]
    for key, value in config.items():
        if value is None:
            continue
        normalized[to_text(key)] = config_value_text(key, value)
    stored_name = normalized.setdefault("name", name)
    if stored_name != name:
        raise ConfigValueError("config.name is {0!r} but the connector is {1!r}".format(stored_name, name))
    return normalized


def stored_config(payload: Any) -> Dict[str, str]:
    """GET /connectors/NAME/config as str -> str (null values, which Connect can hold, become "")."""
    if not isinstance(payload, dict):
        return {}
    return dict((to_text(key), "" if value is None else to_text(value)) for key, value in payload.items())


def changed_keys(before: Optional[Dict[str, str]], after: Dict[str, str]) -> List[str]:
    """Keys added, removed or changed between two configs, sorted."""
    before = before or {}
    return sorted(key for key in set(before) | set(after) if before.get(key) != after.get(key))


def is_placeholder(value: str) -> bool:
    """Whether value holds a config provider reference (${file:...}, ${dir:...}, ${env:...})."""
    return bool(CONFIG_PLACEHOLDER.search(value))


def literal_secrets(config: Dict[str, str]) -> List[str]:
    """Keys whose value is a credential in clear: a secret key without a placeholder, or a URL with one."""
    keys = []
    for key, value in config.items():
        if is_secret_key(key):
            if value and not is_placeholder(value):
                keys.append(key)
        elif any(not is_placeholder(found) for found in secrets_in_value(value)):
            keys.append(key)
    return sorted(keys)


def refuse_literal_secrets(name: str, config: Dict[str, str], field: str = "config") -> None:
    """InvalidInput naming the keys when a credential is written in clear into a connector config."""
    keys = literal_secrets(config)
    if keys:
        raise InvalidInput(
            "{0} of connector {1!r} holds a literal secret under {2}: Connect would store it in clear in its "
            "config topic and answer it on GET. Use a config provider placeholder, e.g. "
            "${{dir:/opt/kafka/external-configuration/connector-secrets:KEY}}, or set allow_literal_secrets: true "
            "for this connector".format(field, name, ", ".join(keys)))


def secret_values(config: Optional[Dict[str, Any]]) -> Set[str]:
    """Values of secret keys and credentials inside other values, for AnsibleModule.no_log_values."""
    values = set()  # type: Set[str]
    for key, value in (config or {}).items():
        if value is None or isinstance(value, (dict, list, bool)):
            continue
        text = to_text(value)
        if is_secret_key(to_text(key)):
            if text:
                values.add(text)
        else:
            values.update(found for found in secrets_in_value(text) if found)
    return values


def redact_config(config: Optional[Dict[str, str]], show_secrets: bool = False) -> Optional[Dict[str, str]]:
    """A copy with secret values replaced by REDACTED and credentials in other values masked."""
    if config is None or show_secrets:
        return config
    return dict((key, REDACTED if is_secret_key(key) else mask_value(value, REDACTED)) for key, value in config.items())


def redacted_diff(before: Optional[Dict[str, str]], after: Optional[Dict[str, str]]) -> Dict[str, Any]:
    """before/after with secrets redacted; a changed secret shows as changed, never its value."""
    diff_before = redact_config(before)
    diff_after = redact_config(after)
    if diff_before is not None and diff_after is not None:
        for key in diff_after:
            changed = key in diff_before and (before or {}).get(key) != (after or {}).get(key)
            if changed and diff_before[key] == diff_after[key]:
                # equal placeholders would hide that the secret changed
                diff_before[key] = diff_before[key] + " (old)"
                diff_after[key] = diff_after[key] + " (new)"
    return {"before": diff_before or {}, "after": diff_after or {}}
