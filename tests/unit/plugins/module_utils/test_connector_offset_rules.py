# SPDX-License-Identifier: GPL-3.0-or-later
"""What a list of connector offsets may hold, per class, and how two lists compare (pure functions)."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), *[".."] * 3, "output", "collections"))

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connector_offset_rules import (  # noqa: E402
    check_connector_offsets,
    differing,
    offsets_after,
    offsets_kind,
    offsets_shape_errors,
    partition_key,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._errors import InvalidInput  # noqa: E402

FILE_SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"


def entry(filename: str, position) -> dict:
    return {"partition": {"filename": filename}, "offset": None if position is None else {"position": position}}


def test_partitions_are_equal_whatever_their_key_order_or_number_spelling():
    assert partition_key({"a": 1, "b": "x"}) == partition_key({"b": "x", "a": 1.0})
    assert partition_key({"a": 1}) != partition_key({"a": "1"})
    assert partition_key({"a": True}) != partition_key({"a": 1})


@pytest.mark.parametrize("connector_class, direction, kind", [
    (FILE_SOURCE, "source", "file"),
    ("FileStreamSource", None, "file"),
    ("FileStreamSourceConnector", None, "file"),
    ("io.debezium.connector.postgresql.PostgresConnector", "source", "postgres"),
    ("org.apache.kafka.connect.file.FileStreamSinkConnector", "sink", "sink"),
    ("com.example.Anything", "sink", "sink"),  # Connect's type wins over the class name
    ("com.example.Anything", "source", "other"),
])
def test_the_rules_follow_the_class_and_direction(connector_class, direction, kind):
    assert offsets_kind(connector_class, direction) == kind


def test_shape_errors_name_every_field():
    errors = offsets_shape_errors([{"partition": {"": 1}, "offset": {"k": [1]}}, "x"], "connectors_list[2].offsets")
    assert errors == [
        "connectors_list[2].offsets[0].partition has the key ''; keys are non-empty strings",
        "connectors_list[2].offsets[0].offset.k is [1]; Connect takes strings, numbers, booleans or null only",
        "connectors_list[2].offsets[1] is 'x'; each entry is a mapping with partition and offset",
    ]
    assert offsets_shape_errors([entry("/a", 1), entry("/a", None)]) == [
        "offsets[1].partition is the partition of offsets[0] again; each partition once"]
    assert offsets_shape_errors([entry("/a", 1), entry("/b", None)]) == []


def test_whole_numbers_are_coerced_for_known_classes_only():
    checked = check_connector_offsets([entry("/a", "17"), entry("/b", 3.0), entry("/c", None)], FILE_SOURCE, None, {})
    assert checked == [entry("/a", 17), entry("/b", 3), entry("/c", None)]
    unknown = [{"partition": {"p": "1"}, "offset": {"o": "17"}}]
    assert check_connector_offsets(unknown, "com.example.Source", "source", {}) == unknown


def test_every_refusal_is_reported_at_once():
    with pytest.raises(InvalidInput) as exc:
        check_connector_offsets([entry("/a", "x"), entry("", 1)], FILE_SOURCE, None, {})
    assert str(exc.value) == ("offsets[0].offset.position is 'x'; a byte position in the file is a whole number, 0 or more; "
                              "offsets[1].partition.filename is ''; the file's path is a non-empty string")


def test_differing_and_offsets_after():
    current = [entry("/a", 10), entry("/b", 20)]
    wanted = [entry("/a", 10.0), entry("/b", 0), entry("/c", None), entry("/d", 5)]
    changes = differing(current, wanted)
    assert changes == [entry("/b", 0), entry("/d", 5)]  # /c has no offset and gets none: unchanged
    assert offsets_after(current, changes) == [entry("/a", 10), entry("/b", 0), entry("/d", 5)]
    assert offsets_after(current, [entry("/a", None)]) == [entry("/b", 20)]
