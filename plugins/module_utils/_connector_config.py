# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is **PRIVATE** to the collection. It can change at any time.
"""Kafka Connect connector configs: string normalisation, comparison, secret refusal and redaction.

What is secret is decided by _secrets.py alone: values under secret keys, and credentials inside
other values (a URL's user:password@, user/password@ or ?password=...). What a placeholder may read
is decided here: the workers' file and dir config providers may read only the connector-secrets mount
(the kafka_connect role renders the same paths as their allowed.paths).
"""

from __future__ import annotations

import posixpath
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
# ConfigTransformer's own pattern, to read provider, path and key as Connect does
CONFIG_VARIABLE = re.compile(r"\$\{(?P<provider>[^}]*?):(?:(?P<path>[^}]*?):)?(?P<key>[^}]*?)\}")

# Where the kafka_connect role mounts what the workers read through config providers
# (roles/kafka_connect/vars/main.yml renders these paths; a unit test holds them equal).
EXTERNAL_CONFIGURATION = "/opt/kafka/external-configuration"
CONNECTOR_SECRETS_DIR = EXTERNAL_CONFIGURATION + "/connector-secrets"
WORKER_CREDENTIALS_DIR = EXTERNAL_CONFIGURATION + "/kafka-credentials"
# The providers a connector may read files with, and the one that reads the workers' own credentials
PATH_PROVIDERS = ("file", "dir")
WORKER_PROVIDER = "worker"
# The workers' own settings in their environment (with kafka_connect_credentials_from=env, their credentials)
WORKER_ENV_PREFIX = "CONNECT_"
PLACEHOLDER_EXAMPLE = "${dir:" + CONNECTOR_SECRETS_DIR + ":KEY}"


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
    """Whether value is exactly one config provider reference (${dir:...}, ${env:X}) and nothing else."""
    return bool(CONFIG_PLACEHOLDER.fullmatch(value))


def literal_secrets(config: Dict[str, str]) -> List[str]:
    """Keys whose value is a credential in clear: a secret key not exactly one placeholder, or a URL with one."""
    keys = []
    for key, value in config.items():
        if is_secret_key(key):
            if value and not is_placeholder(value):
                keys.append(key)
        elif any(not is_placeholder(found) for found in secrets_in_value(value)):
            keys.append(key)
    return sorted(keys)


def placeholder_error(provider: str, path: Optional[str], key: str) -> Optional[str]:
    """Why a connector may not use ${provider:path:key}, or None: file and dir read the connector-secrets mount only."""
    placeholder = "${%s:%s%s}" % (provider, "" if path is None else path + ":", key)
    if provider == WORKER_PROVIDER:
        return "{0} uses the {1!r} provider, which holds the workers' own Kafka credentials".format(
            placeholder, WORKER_PROVIDER)
    if provider == "env" and key.startswith(WORKER_ENV_PREFIX):
        return "{0} reads a worker setting ({1}*), where the workers keep their Kafka credentials".format(
            placeholder, WORKER_ENV_PREFIX)
    if provider not in PATH_PROVIDERS:
        return None
    if not path:
        return "{0} names no path".format(placeholder)
    segments = path.split("/")
    if ".." in segments or "." in segments:
        return "{0} has a '.' or '..' segment in its path".format(placeholder)
    normalized = posixpath.normpath(path)
    if normalized == WORKER_CREDENTIALS_DIR or normalized.startswith(WORKER_CREDENTIALS_DIR + "/"):
        return "{0} reads the workers' own Kafka credentials".format(placeholder)
    inside = normalized.startswith(CONNECTOR_SECRETS_DIR + "/") or (provider == "dir" and normalized == CONNECTOR_SECRETS_DIR)
    if not path.startswith("/") or not inside:
        return "{0} reads {1}, outside the connector-secrets mount".format(placeholder, path)
    return None


def connector_config_errors(name: str, config: Dict[str, str], allow_literal_secrets: bool = False,
                            field: str = "config") -> List[str]:
    """Everything wrong with a normalized connector config before it is written, one line per key.

    The one check of the connect_connector and connect_connectors modules and of the connector list the
    eventhub and connectors roles plan from: placeholders confined to the connector-secrets mount (always),
    and no credential in clear (unless allow_literal_secrets).
    """
    errors = []
    allowed = "file and dir placeholders may read only the connector-secrets mount {0} (e.g. {1})".format(
        CONNECTOR_SECRETS_DIR, PLACEHOLDER_EXAMPLE)
    for key in sorted(config):
        for match in CONFIG_VARIABLE.finditer(config[key]):
            reason = placeholder_error(match.group("provider"), match.group("path"), match.group("key"))
            if reason:
                errors.append("{0} of connector {1!r}, key {2}: {3}; {4}".format(field, name, key, reason, allowed))
    if not allow_literal_secrets:
        for key in literal_secrets(config):
            what = ("the value of a secret key must be exactly one config provider placeholder, nothing before or "
                    "after it" if is_secret_key(key) else "a password inside a URL must be a placeholder")
            errors.append(
                "{0} of connector {1!r} holds a literal secret under {2}: {3}, e.g. {4}; Connect would store it in "
                "clear in its config topic and answer it on GET (allow_literal_secrets: true accepts it for this "
                "connector)".format(field, name, key, what, PLACEHOLDER_EXAMPLE))
    return errors


def check_connector_config(name: str, config: Dict[str, str], allow_literal_secrets: bool = False,
                           field: str = "config") -> None:
    """InvalidInput with every error of connector_config_errors, before any request."""
    errors = connector_config_errors(name, config, allow_literal_secrets, field)
    if errors:
        raise InvalidInput("; ".join(errors))


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
