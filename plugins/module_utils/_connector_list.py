# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is **PRIVATE** to the collection. It can change at any time.
"""The one check of a connector list (connectors_list, eventhub_connectors, connect_connectors' connectors).

The eventhub role plans topics from the list before the first write of site.yml, and the connectors role
applies it last: both refuse, with this check, what Connect or the plan would refuse later, so a bad list
fails before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Dict, List, Optional

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connector_config import (
    ConfigValueError,
    connector_config_errors,
    normalize_config,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connector_offset_rules import (
    check_connector_offsets,
    offsets_shape_errors,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._errors import InvalidInput

STATES = ("present", "running", "paused", "stopped", "absent")
ENTRY_KEYS = ("name", "config", "state", "restart_failed", "allow_literal_secrets", "offsets", "topics",
              "topic_partitions", "topic_retention_hours")
DEBEZIUM_PACKAGE = "io.debezium.connector."
# Debezium's source connectors by the alias Connect resolves (the class name without package and "Connector").
DEBEZIUM_SOURCE_KINDS = ("Postgres", "MySql", "MariaDb", "SqlServer", "Oracle", "MongoDb", "Db2", "Informix",
                         "Vitess", "Spanner")
# Kafka's own source connectors that write topics named by their config.
KNOWN_SOURCE_KINDS = ("FileStreamSource", "MirrorSource", "MirrorCheckpoint", "MirrorHeartbeat")


def connector_kind(connector_class: str) -> str:
    """The class's simple name without "Connector": the alias Connect itself accepts."""
    simple = connector_class.rsplit(".", 1)[-1]
    return simple[:-len("Connector")] if simple.endswith("Connector") and simple != "Connector" else simple


def connector_direction(connector_class: str) -> Optional[str]:
    """"source", "sink", or None when the class does not say: by the class, never by the keys of the config."""
    kind = connector_kind(connector_class)
    if kind in DEBEZIUM_SOURCE_KINDS or kind in KNOWN_SOURCE_KINDS or kind.endswith("Source"):
        return "source"
    if kind.endswith("Sink"):
        return "sink"
    return None


def is_debezium_source(connector_class: str) -> bool:
    kind = connector_kind(connector_class)
    if connector_class.startswith(DEBEZIUM_PACKAGE):
        return connector_direction(connector_class) != "sink"
    return kind in DEBEZIUM_SOURCE_KINDS


def connector_name_error(name: Any, field: str) -> Optional[str]:
    """Why Connect would refuse or could not address a connector name, or None.

    Connect refuses empty names and control characters and trims blanks (so the stored name would
    differ); its REST paths cannot address a name with '/', nor '.' or '..' (path segments that HTTP
    clients and the API server's proxy collapse).
    """
    if name is not None and not isinstance(name, str):
        return "{0} is {1!r}; a connector name is a string".format(field, name)
    text = name or ""
    if not text.strip():
        return "{0} is empty; a connector needs a name".format(field)
    if "/" in text:
        return "{0} {1!r} contains '/'; Connect's REST paths cannot address such a connector".format(field, text)
    if text in (".", ".."):
        return "{0} is {1!r}; Connect's REST paths cannot address such a connector".format(field, text)
    if text != text.strip() or any(ord(char) < 32 or ord(char) == 127 for char in text):
        return "{0} {1!r} has leading or trailing blanks or control characters".format(field, text)
    return None


def _is_bool(value: Any) -> bool:
    try:
        boolean(value, strict=True)
    except TypeError:
        return False
    return True


def _entry_errors(index: int, entry: Any, field: str) -> List[str]:
    """What is wrong with one entry by itself: its fields, its name, its config."""
    where = "{0}[{1}]".format(field, index)
    if not isinstance(entry, Mapping):
        return ["{0} is {1!r}; each connector is a mapping with name and config".format(where, entry)]
    errors = []
    unknown = sorted(str(key) for key in entry if key not in ENTRY_KEYS)
    if unknown:
        errors.append("{0} has unknown keys {1}; allowed: {2}".format(where, ", ".join(unknown), ", ".join(ENTRY_KEYS)))
    name_error = connector_name_error(entry.get("name"), where + ".name")
    if name_error:
        errors.append(name_error)
    label = "{0} ({1})".format(where, entry.get("name")) if not name_error else where
    state = entry.get("state")
    if state is not None and state not in STATES:
        errors.append("{0}: state is {1!r}; allowed: {2}".format(label, state, ", ".join(STATES)))
    for key in ("restart_failed", "allow_literal_secrets"):
        if entry.get(key) is not None and not _is_bool(entry[key]):
            errors.append("{0}: {1} is {2!r}; allowed: true or false".format(label, key, entry[key]))
    topics = entry.get("topics")
    if topics is not None:
        if isinstance(topics, str) or not isinstance(topics, Sequence):
            errors.append("{0}: topics is {1!r}; it is a list of topic names".format(label, topics))
        else:
            for position, topic in enumerate(topics):
                if not isinstance(topic, str) or not topic.strip():
                    errors.append("{0}: topics[{1}] is {2!r}; each topic is a non-empty name".format(
                        label, position, topic))
    config = entry.get("config")
    if config is not None and not isinstance(config, Mapping):
        errors.append("{0}: config is {1!r}; it is a mapping of Connect settings".format(label, config))
    elif config and not name_error and (state or "running") != "absent":
        try:
            normalized = normalize_config(entry["name"], dict(config))
        except ConfigValueError as exc:
            errors.append("{0}: {1}".format(label, exc))
        else:
            allow = entry.get("allow_literal_secrets")
            allow_literal = _is_bool(allow) and boolean(allow, strict=False)
            errors.extend(connector_config_errors(entry["name"], normalized, allow_literal, where + ".config"))
    errors.extend(starting_offsets_errors(entry, where))
    return errors


def starting_offsets_errors(entry: Mapping, where: str) -> List[str]:
    """What is wrong with an entry's starting offsets: their shape, then what its connector class reads."""
    offsets = entry.get("offsets")
    if offsets is None:
        return []
    if (entry.get("state") or "running") == "absent":
        return ["{0}.offsets: starting offsets are written when the connector is created; state absent deletes it".format(where)]
    errors = offsets_shape_errors(offsets, where + ".offsets")
    config = entry.get("config")
    if config is None:
        errors.append("{0}.offsets: starting offsets are written when the connector is created, which needs its config"
                      .format(where))
    if errors or not isinstance(config, Mapping) or not config.get("connector.class"):
        return errors
    connector_class = str(config["connector.class"])
    try:
        check_connector_offsets(list(offsets), connector_class, connector_direction(connector_class), config, where + ".offsets")
    except InvalidInput as exc:
        errors.append(str(exc))
    return errors


def connector_list_errors(entries: Any, field: str = "connectors_list") -> List[str]:
    """Every reason to refuse the list, before any write: the entries, then what they share.

    Names are unique; two Debezium source connectors may not share a topic.prefix (Event Hubs names are
    case-insensitive, so neither may two prefixes that differ in case only): they would write the same topics.
    """
    if entries is None:
        return []
    if isinstance(entries, (str, Mapping)) or not isinstance(entries, Sequence):
        return ["{0} is {1!r}; it is a list of connectors".format(field, entries)]
    errors = []
    for index, entry in enumerate(entries):
        errors.extend(_entry_errors(index, entry, field))
    named = [entry for entry in entries if isinstance(entry, Mapping) and isinstance(entry.get("name"), str)]
    names = [entry["name"] for entry in named]
    repeated = sorted(set(name for name in names if names.count(name) > 1))
    if repeated:
        errors.append("{0} names a connector more than once: {1}; each name is one connector".format(
            field, ", ".join(repeated)))
    prefixes = {}  # type: Dict[str, List[str]]
    spelled = {}  # type: Dict[str, str]
    for entry in named:
        config = entry.get("config")
        if (entry.get("state") or "running") == "absent" or not isinstance(config, Mapping):
            continue
        if not is_debezium_source(str(config.get("connector.class") or "")) or config.get("topic.prefix") is None:
            continue
        prefix = str(config["topic.prefix"]).strip()
        spelled.setdefault(prefix.lower(), prefix)
        prefixes.setdefault(prefix.lower(), []).append(entry["name"])
    for key, owners in prefixes.items():
        if len(owners) > 1:
            errors.append("{0}: Debezium connectors {1} share topic.prefix {2!r}; each Debezium connector needs a "
                          "topic.prefix of its own (its topics are named after it; Event Hubs names ignore case)"
                          .format(field, ", ".join(owners), spelled[key]))
    return errors


def check_connector_list(entries: Any, field: str = "connectors") -> None:
    """InvalidInput with every error of connector_list_errors."""
    errors = connector_list_errors(entries, field)
    if errors:
        raise InvalidInput("; ".join(errors))
