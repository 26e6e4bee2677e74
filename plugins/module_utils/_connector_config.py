# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is **PRIVATE** to the collection. It can change at any time.
"""Kafka Connect connector configs: string normalisation, comparison and secret redaction."""

from __future__ import annotations

from ansible.module_utils.common.text.converters import to_text

from typing import Any, Dict, List, Optional, Set

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._secrets import is_secret_key

REDACTED = "********"


class ConfigValueError(ValueError):
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


def secret_values(config: Optional[Dict[str, Any]]) -> Set[str]:
    """Values of secret-looking keys, for AnsibleModule.no_log_values."""
    values = set()  # type: Set[str]
    for key, value in (config or {}).items():
        if is_secret_key(to_text(key)) and value is not None and not isinstance(value, (dict, list, bool)):
            text = to_text(value)
            if text:
                values.add(text)
    return values


def redact_config(config: Optional[Dict[str, str]], show_secrets: bool = False) -> Optional[Dict[str, str]]:
    """A copy with every secret-looking value replaced by REDACTED, unless show_secrets."""
    if config is None or show_secrets:
        return config
    return dict((key, REDACTED if is_secret_key(key) else value) for key, value in config.items())


def redacted_diff(before: Optional[Dict[str, str]], after: Optional[Dict[str, str]]) -> Dict[str, Any]:
    """before/after with secrets redacted; a changed secret shows as changed, never its value."""
    diff_before = redact_config(before)
    diff_after = redact_config(after)
    if diff_before is not None and diff_after is not None:
        for key in diff_after:
            if is_secret_key(key) and key in diff_before and (before or {}).get(key) != (after or {}).get(key):
                # equal placeholders would hide that the secret changed
                diff_before[key] = REDACTED + " (old)"
                diff_after[key] = REDACTED + " (new)"
    return {"before": diff_before or {}, "after": diff_after or {}}
