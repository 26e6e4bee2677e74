# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is **PRIVATE** to the collection. It can change at any time.
"""What a list of connector offsets (KIP-875) may hold, per connector class, and how two lists compare.

Each entry is ``{"partition": {...}, "offset": {...}}``, the partition and offset flat maps of primitive
values; an offset of ``null`` removes the partition's offset. A partition is matched by equality, so an
offset written for a partition the connector never reads is stored and silently ignored: for the classes
whose partitions are known, these checks refuse that before any write. Pure functions: the connector-list
check (_connector_list.py) and the offsets module both run them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Dict, List, Optional, Tuple

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._errors import InvalidInput

ENTRY_KEYS = ("partition", "offset")
# Connect's OffsetUtils accepts these value types only (no nested maps or lists).
PRIMITIVES = (str, int, float, bool)
# FileStreamSource by class name or by the aliases Connect accepts
FILE_STREAM_SOURCE = ("FileStreamSource", "FileStreamSourceConnector")
DEBEZIUM_POSTGRES_CLASS = "io.debezium.connector.postgresql.PostgresConnector"
# Debezium PostgreSQL keeps its place in the WAL under these offset keys, all whole numbers (PostgresOffsetContext).
DEBEZIUM_POSTGRES_NUMBERS = ("lsn", "lsn_proc", "lsn_commit", "txId", "ts_usec")


# --- shapes ------------------------------------------------------------------------------------------

def _primitive_errors(values: Any, where: str) -> List[str]:
    if not isinstance(values, Mapping):
        return ["{0} is {1!r}; it is a mapping of names to values".format(where, values)]
    errors = []
    for key, value in values.items():
        if not isinstance(key, str) or not key:
            errors.append("{0} has the key {1!r}; keys are non-empty strings".format(where, key))
        elif value is not None and not isinstance(value, PRIMITIVES):
            errors.append("{0}.{1} is {2!r}; Connect takes strings, numbers, booleans or null only".format(where, key, value))
    return errors


def offsets_shape_errors(entries: Any, field: str = "offsets") -> List[str]:
    """What Connect itself would refuse in a list of partition/offset entries, whatever the connector."""
    if isinstance(entries, (str, Mapping)) or not isinstance(entries, Sequence):
        return ["{0} is {1!r}; it is a list of {{partition: ..., offset: ...}} entries".format(field, entries)]
    if not entries:
        return ["{0} is empty; give at least one partition and its offset".format(field)]
    errors = []
    seen = {}  # type: Dict[str, int]
    for index, entry in enumerate(entries):
        where = "{0}[{1}]".format(field, index)
        if not isinstance(entry, Mapping):
            errors.append("{0} is {1!r}; each entry is a mapping with partition and offset".format(where, entry))
            continue
        unknown = sorted(str(key) for key in entry if key not in ENTRY_KEYS)
        if unknown:
            errors.append("{0} has unknown keys {1}; allowed: partition, offset".format(where, ", ".join(unknown)))
        if "partition" not in entry or not entry["partition"]:
            errors.append("{0}.partition is missing or empty; it names what the offset is of".format(where))
        else:
            partition_errors = _primitive_errors(entry["partition"], where + ".partition")
            errors.extend(partition_errors)
            if not partition_errors:
                key = partition_key(entry["partition"])
                if key in seen:
                    errors.append("{0}.partition is the partition of {1}[{2}] again; each partition once".format(
                        where, field, seen[key]))
                seen.setdefault(key, index)
        if "offset" not in entry:
            errors.append("{0}.offset is missing; give the offset, or null to remove the partition's offset".format(where))
        elif entry["offset"] is not None:
            errors.extend(_primitive_errors(entry["offset"], where + ".offset"))
    return errors


def _canonical(value: Any) -> Any:
    """A JSON value as Connect gives it back: 5, 5.0 and a long all read as the same number."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return dict((to_text(key), _canonical(item)) for key, item in value.items())
    return value


def partition_key(partition: Mapping) -> str:
    """One string per partition, the same for equal partitions however their keys are ordered."""
    return json.dumps(_canonical(partition), sort_keys=True)


# --- what a connector class expects ------------------------------------------------------------------

def _whole_number(value: Any, where: str, what: str, errors: List[str]) -> Any:
    """value as an int (a string of digits is one too: templating makes strings), else an error."""
    if isinstance(value, bool):
        pass
    elif isinstance(value, int) and value >= 0:
        return value
    elif isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    errors.append("{0} is {1!r}; {2} is a whole number, 0 or more".format(where, value, what))
    return value


def _text(value: Any, where: str, what: str, errors: List[str]) -> Any:
    if isinstance(value, str) and value:
        return value
    errors.append("{0} is {1!r}; {2} is a non-empty string".format(where, value, what))
    return value


def _exact_keys(values: Mapping, keys: Tuple[str, ...], where: str, who: str, errors: List[str]) -> bool:
    if sorted(values) == sorted(keys):
        return True
    errors.append("{0} has the keys {1}; {2} expects exactly {3}".format(
        where, ", ".join(sorted(str(key) for key in values)) or "none", who, ", ".join(keys)))
    return False


def offsets_kind(connector_class: str, direction: Optional[str]) -> str:
    """Which rules apply: "sink" (by direction: Connect's type, else the class), "file" (FileStreamSource),
    "postgres" (Debezium PostgreSQL) or "other"."""
    if direction == "sink":
        return "sink"
    if connector_class.rsplit(".", 1)[-1] in FILE_STREAM_SOURCE:
        return "file"
    if connector_class == DEBEZIUM_POSTGRES_CLASS:
        return "postgres"
    return "other"


def check_connector_offsets(entries: List[Dict[str, Any]], connector_class: str, direction: Optional[str],
                            config: Optional[Mapping], field: str = "offsets") -> List[Dict[str, Any]]:
    """The entries as Connect should get them for this connector class, or InvalidInput naming each bad field.

    Run after offsets_shape_errors found nothing. Whole numbers given as strings become numbers; any other
    value is kept as given. Unknown classes get the structural checks only.
    """
    kind = offsets_kind(connector_class, direction)
    config = config or {}
    errors = []  # type: List[str]
    checked = []
    for index, entry in enumerate(entries):
        where = "{0}[{1}]".format(field, index)
        partition = dict(entry["partition"])
        offset = None if entry["offset"] is None else dict(entry["offset"])
        if kind == "sink":
            who = "a sink connector (the partitions of its consumer group)"
            if _exact_keys(partition, ("kafka_topic", "kafka_partition"), where + ".partition", who, errors):
                _text(partition["kafka_topic"], where + ".partition.kafka_topic", "a topic name", errors)
                partition["kafka_partition"] = _whole_number(partition["kafka_partition"], where + ".partition.kafka_partition",
                                                             "a partition number", errors)
            if offset is not None and _exact_keys(offset, ("kafka_offset",), where + ".offset", who, errors):
                offset["kafka_offset"] = _whole_number(offset["kafka_offset"], where + ".offset.kafka_offset",
                                                       "a Kafka offset", errors)
        elif kind == "file":
            who = "FileStreamSource"
            if _exact_keys(partition, ("filename",), where + ".partition", who, errors):
                _text(partition["filename"], where + ".partition.filename", "the file's path", errors)
            if offset is not None and _exact_keys(offset, ("position",), where + ".offset", who, errors):
                offset["position"] = _whole_number(offset["position"], where + ".offset.position",
                                                   "a byte position in the file", errors)
        elif kind == "postgres":
            who = "Debezium PostgreSQL"
            prefix = config.get("topic.prefix")
            if _exact_keys(partition, ("server",), where + ".partition", who, errors):
                server = _text(partition["server"], where + ".partition.server", "the connector's topic.prefix", errors)
                # a tombstone may clear a partition of an earlier prefix; a real offset there would never be read
                if offset is not None and prefix and isinstance(server, str) and server and server != prefix:
                    errors.append("{0}.partition.server is {1!r} but the connector's topic.prefix is {2!r}; Debezium "
                                  "reads only the partition of its own topic.prefix".format(where, server, prefix))
            if offset is not None:
                if "lsn" not in offset:
                    errors.append("{0}.offset has no lsn; Debezium PostgreSQL resumes from the WAL position in lsn".format(where))
                for key in DEBEZIUM_POSTGRES_NUMBERS:
                    if offset.get(key) is not None:
                        offset[key] = _whole_number(offset[key], "{0}.offset.{1}".format(where, key), key, errors)
        checked.append({"partition": partition, "offset": offset})
    if errors:
        raise InvalidInput("; ".join(errors))
    return checked


# --- comparison --------------------------------------------------------------------------------------

def offsets_by_partition(entries: Optional[List[Dict[str, Any]]]) -> Dict[str, Dict[str, Any]]:
    return dict((partition_key(entry.get("partition") or {}), entry) for entry in entries or [])


def differing(current: List[Dict[str, Any]], wanted: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The wanted entries whose partition has another offset now (a null offset differs from any offset)."""
    have = offsets_by_partition(current)
    changes = []
    for entry in wanted:
        now = have.get(partition_key(entry["partition"]))
        now_offset = None if now is None else now.get("offset")
        if _canonical(now_offset) != _canonical(entry["offset"]):
            changes.append(entry)
    return changes


def sorted_offsets(entries: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return sorted(entries, key=lambda entry: partition_key(entry.get("partition") or {}))


def offsets_after(current: List[Dict[str, Any]], changes: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """What GET .../offsets answers once changes are written: replaced, added, null ones removed."""
    merged = offsets_by_partition(current)
    for entry in changes:
        key = partition_key(entry["partition"])
        if entry["offset"] is None:
            merged.pop(key, None)
        else:
            merged[key] = {"partition": entry["partition"], "offset": entry["offset"]}
    return sorted_offsets(list(merged.values()))
