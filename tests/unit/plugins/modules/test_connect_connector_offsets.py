# SPDX-License-Identifier: GPL-3.0-or-later
"""connect_connector_offsets, its _info module, and starting offsets at creation, against the fake Connect REST server.

The fake of test_connect_connector.py keeps offsets as KIP-875 does: readable at any time, writable only
while the connector is STOPPED and has no tasks left, refused otherwise with Connect's own 400, and kept
after the connector is deleted. It records every request, so each test checks what reached the server:
the stop, the write and the restore in that order, or no write at all when the input is refused.
"""

from __future__ import annotations

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), *[".."] * 3, "output", "collections"))

# the fake server, its fixture and the autouse capture of module results are shared
from test_connect_connector import (  # noqa: E402,F401  pylint: disable=unused-import
    SOURCE_CONFIG,
    FakeConnect,
    capture_result,
    connect,
    run,
)

from ansible_collections.streamops.eventhub_connect.plugins.modules import (  # noqa: E402
    connect_connector,
    connect_connector_offsets,
    connect_connector_offsets_info,
    connect_connectors,
)

FILE = "/tmp/input.txt"
LINES = [{"partition": {"filename": FILE}, "offset": {"position": 1200}}]
POSTGRES_CONFIG = {"connector.class": "io.debezium.connector.postgresql.PostgresConnector", "tasks.max": 1,
                   "topic.prefix": "inventory", "database.hostname": "postgres"}
SINK_CONFIG = {"connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector", "tasks.max": 1,
               "topics": "orders", "file": "/tmp/out.txt"}
PATH = "/connectors/lines/offsets"


def at(position, filename: str = FILE) -> list:
    return [{"partition": {"filename": filename}, "offset": {"position": position}}]


def offsets(connect: FakeConnect, check: bool = False, diff: bool = False, **args) -> dict:
    return run(connect_connector_offsets, dict({"url": connect.url, "name": "lines", "timeout": 5}, **args),
               check=check, diff=diff)


def source(connect: FakeConnect, state: str = "STOPPED", position: int = 1200) -> None:
    connect.add("lines", SOURCE_CONFIG, state=state, offsets=at(position))


# --- read ----------------------------------------------------------------------------------------------

def test_info_reads_and_changes_nothing(connect):
    source(connect, "RUNNING")
    connect.connectors["lines"]["offsets"]['{"filename": "/tmp/older.txt"}'] = at(7, "/tmp/older.txt")[0]
    result = run(connect_connector_offsets_info, {"url": connect.url, "name": "lines"})
    assert result["changed"] is False
    assert result["offsets"] == LINES + at(7, "/tmp/older.txt")  # sorted by partition
    assert result["connector_state"] == "RUNNING"
    assert result["connector_class"] == SOURCE_CONFIG["connector.class"] and result["type"] == "source"
    assert connect.requests == ["GET /connectors/lines", "GET /connectors/lines/status", "GET " + PATH]
    assert result["requests"] == 3


def test_info_of_a_missing_connector_is_named(connect):
    result = run(connect_connector_offsets_info, {"url": connect.url, "name": "gone"})
    assert result["failed"] is True
    assert result["msg"] == "connector 'gone' does not exist on {0}".format(connect.url)


def test_a_worker_without_the_offsets_endpoint_is_named(connect):
    source(connect)
    connect.failures["GET offsets"] = (404, {"error_code": 404, "message": "HTTP 404 Not Found"})
    result = run(connect_connector_offsets_info, {"url": connect.url, "name": "lines"})
    assert result["failed"] is True
    assert result["msg"] == ("{0} answers GET {1} with 404 although the connector exists: reading offsets needs Kafka "
                             "Connect 3.5 or later (KIP-875)".format(connect.url, PATH))


def test_absent_takes_no_offsets(connect):
    source(connect)
    result = offsets(connect, state="absent", offsets=LINES)
    assert result["failed"] is True and "offsets is for state=present" in result["msg"]
    assert connect.requests == []


# --- alter ---------------------------------------------------------------------------------------------

def test_alter_a_stopped_connector_then_nothing(connect):
    source(connect)
    first = offsets(connect, offsets=at(0), diff=True)
    assert first["changed"] is True
    assert first["operations"] == ["PATCH " + PATH]  # STOPPED: no stop, no restore
    assert connect.offsets("lines") == at(0)
    assert first["before"] == LINES and first["offsets"] == at(0)
    assert first["diff"] == {"before": {"offsets": LINES, "state": "STOPPED"},
                             "after": {"offsets": at(0), "state": "STOPPED"}}
    assert connect.connectors["lines"]["state"] == "STOPPED"

    writes = len(connect.writes())
    second = offsets(connect, offsets=at(0))
    assert second["changed"] is False and second["operations"] == []
    assert len(connect.writes()) == writes


def test_check_mode_predicts_and_writes_nothing(connect):
    source(connect, "RUNNING")
    result = offsets(connect, offsets=at(0), allow_stop=True, check=True, diff=True)
    assert result["changed"] is True
    assert result["operations"] == ["PUT /connectors/lines/stop", "PATCH " + PATH, "PUT /connectors/lines/resume"]
    assert result["offsets"] == at(0) and result["before"] == LINES
    assert result["diff"]["after"] == {"offsets": at(0), "state": "RUNNING"}
    assert connect.writes() == []
    assert connect.offsets("lines") == LINES and connect.connectors["lines"]["state"] == "RUNNING"
    assert offsets(connect, offsets=LINES, allow_stop=True, check=True)["changed"] is False


def test_only_the_partitions_given_are_compared_and_written(connect):
    source(connect)
    connect.connectors["lines"]["offsets"]['{"filename": "/tmp/older.txt"}'] = at(7, "/tmp/older.txt")[0]
    result = offsets(connect, offsets=at(5))
    assert result["changed"] is True
    assert connect.offsets("lines") == at(5) + at(7, "/tmp/older.txt")
    assert offsets(connect, offsets=at(5))["changed"] is False


def test_numbers_compare_as_numbers_and_digit_strings_become_numbers(connect):
    source(connect)
    result = offsets(connect, offsets=at("42"))
    assert result["changed"] is True
    stored = connect.offsets("lines")[0]["offset"]["position"]
    assert stored == 42 and isinstance(stored, int)  # Connect got a number: FileStreamSource needs a Long
    assert offsets(connect, offsets=at(42))["changed"] is False
    assert offsets(connect, offsets=at(42.0))["changed"] is False
    assert offsets(connect, offsets=at(" 42 "))["changed"] is False


def test_a_null_offset_removes_the_partition_once(connect):
    source(connect)
    gone = [{"partition": {"filename": FILE}, "offset": None}]
    result = offsets(connect, offsets=gone, diff=True)
    assert result["changed"] is True and connect.offsets("lines") == []
    assert result["offsets"] == [] and result["diff"]["after"]["offsets"] == []
    assert offsets(connect, offsets=gone)["changed"] is False


def test_an_unknown_class_gets_what_it_was_given(connect):
    connect.add("lines", {"connector.class": "com.example.CustomSource", "tasks.max": 1}, state="STOPPED")
    wanted = [{"partition": {"shard": "a", "region": "eu"}, "offset": {"seq": "0042", "ts": 1.5}}]
    assert offsets(connect, offsets=wanted)["changed"] is True
    assert connect.offsets("lines") == wanted  # no coercion for a class whose offsets are not known
    assert offsets(connect, offsets=wanted)["changed"] is False


# --- stop and restore ----------------------------------------------------------------------------------

def test_a_running_connector_is_refused_without_allow_stop(connect):
    source(connect, "RUNNING")
    for check in (False, True):
        result = offsets(connect, offsets=at(0), check=check)
        assert result["failed"] is True
        assert result["msg"] == ("connector 'lines' is RUNNING: Connect changes the offsets of a STOPPED connector only; "
                                 "set allow_stop=true to stop it for the write and put it back RUNNING afterwards, or stop "
                                 "it first; nothing was changed")
    assert connect.writes() == []
    assert "traceback" not in json.dumps(result).lower()
    # nothing to change: no stop needed, none asked for
    assert offsets(connect, offsets=LINES)["changed"] is False


@pytest.mark.parametrize("state, verb", [("RUNNING", "resume"), ("PAUSED", "pause")])
def test_allow_stop_stops_writes_and_restores(connect, state, verb):
    source(connect, state)
    result = offsets(connect, offsets=at(0), allow_stop=True)
    assert result["changed"] is True
    assert result["operations"] == ["PUT /connectors/lines/stop", "PATCH " + PATH, "PUT /connectors/lines/" + verb]
    assert connect.writes() == result["operations"]
    assert connect.offsets("lines") == at(0)
    assert connect.connectors["lines"]["state"] == state
    assert result["connector_state_before"] == result["connector_state_after"] == state


def test_the_write_waits_for_the_stop_to_take_hold(connect):
    source(connect, "RUNNING")
    connect.status_lag = 2  # the status still says RUNNING twice after the stop
    connect.stop_lag = 2  # then Connect still counts the tasks twice
    result = offsets(connect, offsets=at(0), allow_stop=True)
    assert result["changed"] is True
    assert connect.writes() == ["PUT /connectors/lines/stop"] + ["PATCH " + PATH] * 3 + ["PUT /connectors/lines/resume"]
    assert connect.offsets("lines") == at(0) and connect.connectors["lines"]["state"] == "RUNNING"


@pytest.mark.parametrize("state, verb", [("RUNNING", "resume"), ("PAUSED", "pause")])
def test_the_state_is_restored_when_the_write_fails(connect, state, verb):
    source(connect, state)
    connect.failures["PATCH offsets"] = (500, {"error_code": 500, "message": "Failed to write offsets: broker gone"})
    result = offsets(connect, offsets=at(0), allow_stop=True)
    assert result["failed"] is True
    assert result["msg"] == "PATCH /connectors/lines/offsets answered HTTP 500: Failed to write offsets: broker gone"
    assert result["operations"] == ["PUT /connectors/lines/stop", "PATCH " + PATH, "PUT /connectors/lines/" + verb]
    assert connect.connectors["lines"]["state"] == state
    assert connect.offsets("lines") == LINES


def test_a_failed_restore_is_reported_with_the_failed_write(connect):
    source(connect, "RUNNING")
    connect.failures["PATCH offsets"] = (500, {"error_code": 500, "message": "broker gone"})
    connect.failures["PUT resume"] = (500, {"error_code": 500, "message": "resume refused"})
    result = offsets(connect, offsets=at(0), allow_stop=True)
    assert result["failed"] is True
    assert result["msg"] == ("connector lines was RUNNING and is left STOPPED: PUT /connectors/lines/resume failed: "
                             "PUT /connectors/lines/resume answered HTTP 500: resume refused; before that: "
                             "PATCH /connectors/lines/offsets answered HTTP 500: broker gone")
    assert result["restore_failed"] is True
    assert connect.connectors["lines"]["state"] == "STOPPED"


def test_a_failed_restore_after_a_good_write_is_a_failure(connect):
    source(connect, "PAUSED")
    connect.failures["PUT pause"] = (500, {"error_code": 500, "message": "pause refused"})
    result = offsets(connect, offsets=at(0), allow_stop=True)
    assert result["failed"] is True
    assert result["msg"].startswith("connector lines was PAUSED and is left STOPPED: PUT /connectors/lines/pause failed")
    assert connect.offsets("lines") == at(0)


def test_rebalance_conflicts_are_retried(connect):
    source(connect, "RUNNING")
    connect.conflicts = 3
    result = offsets(connect, offsets=at(0), allow_stop=True)
    assert result["changed"] is True and connect.offsets("lines") == at(0)
    assert connect.requests[:3] == ["GET /connectors/lines"] * 3


# --- reset ---------------------------------------------------------------------------------------------

def test_reset_then_nothing(connect):
    source(connect, "RUNNING")
    predicted = offsets(connect, state="absent", allow_stop=True, check=True, diff=True)
    assert predicted["changed"] is True and predicted["offsets"] == []
    assert predicted["diff"]["before"]["offsets"] == LINES and predicted["diff"]["after"]["offsets"] == []
    assert connect.writes() == []

    result = offsets(connect, state="absent", allow_stop=True)
    assert result["operations"] == ["PUT /connectors/lines/stop", "DELETE " + PATH, "PUT /connectors/lines/resume"]
    assert connect.offsets("lines") == [] and result["offsets"] == [] and result["before"] == LINES
    assert connect.connectors["lines"]["state"] == "RUNNING"
    assert offsets(connect, state="absent", allow_stop=True)["changed"] is False


def test_reset_of_a_running_connector_needs_allow_stop(connect):
    source(connect, "RUNNING")
    result = offsets(connect, state="absent")
    assert result["failed"] is True and "allow_stop=true" in result["msg"]
    assert connect.writes() == [] and connect.offsets("lines") == LINES


# --- bad input -----------------------------------------------------------------------------------------

def test_a_missing_connector_is_named(connect):
    result = offsets(connect, offsets=at(0))
    assert result["failed"] is True
    assert result["msg"] == "connector 'lines' does not exist on {0}".format(connect.url)
    assert connect.writes() == []


@pytest.mark.parametrize("wanted, message", [
    ([], "offsets is empty; give at least one partition and its offset"),
    ([{"partition": {"filename": FILE}, "offset": "0"}], "offsets[0].offset is '0'; it is a mapping of names to values"),
    ([{"partition": {"filename": FILE}}], "offsets[0].offset is missing; give the offset, or null"),
    ([{"offset": {"position": 0}}], "offsets[0].partition is missing or empty"),
    ([{"partition": {"filename": FILE}, "offset": {"position": 0}, "topic": "x"}],
     "offsets[0] has unknown keys topic; allowed: partition, offset"),
    ([{"partition": {"filename": {"path": FILE}}, "offset": {"position": 0}}],
     "offsets[0].partition.filename is {'path': '/tmp/input.txt'}; Connect takes strings, numbers, booleans or null only"),
    (at(0) + at(5), "offsets[1].partition is the partition of offsets[0] again; each partition once"),
])
def test_malformed_offsets_are_refused_before_any_request(connect, wanted, message):
    source(connect)
    result = offsets(connect, offsets=wanted)
    assert result["failed"] is True
    assert message in result["msg"], result["msg"]
    assert connect.requests == []


@pytest.mark.parametrize("config, wanted, message", [
    (SOURCE_CONFIG, at("abc"),
     "offsets[0].offset.position is 'abc'; a byte position in the file is a whole number, 0 or more"),
    (SOURCE_CONFIG, at(-1), "offsets[0].offset.position is -1; a byte position in the file is a whole number, 0 or more"),
    (SOURCE_CONFIG, at(True), "offsets[0].offset.position is True"),
    (SOURCE_CONFIG, [{"partition": {"file": FILE}, "offset": {"position": 0}}],
     "offsets[0].partition has the keys file; FileStreamSource expects exactly filename"),
    (SOURCE_CONFIG, [{"partition": {"filename": FILE}, "offset": {"position": 0, "line": 3}}],
     "offsets[0].offset has the keys line, position; FileStreamSource expects exactly position"),
    (POSTGRES_CONFIG, [{"partition": {"server": "inventry"}, "offset": {"lsn": 24023128}}],
     "offsets[0].partition.server is 'inventry' but the connector's topic.prefix is 'inventory'; Debezium reads only"),
    (POSTGRES_CONFIG, [{"partition": {"server": "inventory"}, "offset": {"txId": 555}}],
     "offsets[0].offset has no lsn; Debezium PostgreSQL resumes from the WAL position in lsn"),
    (POSTGRES_CONFIG, [{"partition": {"server": "inventory"}, "offset": {"lsn": "0/16B3748"}}],
     "offsets[0].offset.lsn is '0/16B3748'; lsn is a whole number, 0 or more"),
    (POSTGRES_CONFIG, [{"partition": {"server": "inventory", "database": "x"}, "offset": {"lsn": 1}}],
     "offsets[0].partition has the keys database, server; Debezium PostgreSQL expects exactly server"),
    (SINK_CONFIG, [{"partition": {"kafka_topic": "orders"}, "offset": {"kafka_offset": 5}}],
     "offsets[0].partition has the keys kafka_topic; a sink connector (the partitions of its consumer group) expects "
     "exactly kafka_topic, kafka_partition"),
    (SINK_CONFIG, [{"partition": {"kafka_topic": "orders", "kafka_partition": 0}, "offset": {"kafka_offset": "x"}}],
     "offsets[0].offset.kafka_offset is 'x'; a Kafka offset is a whole number, 0 or more"),
])
def test_offsets_the_class_does_not_read_are_refused_before_any_write(connect, config, wanted, message):
    connect.add("lines", config, state="STOPPED")
    result = offsets(connect, offsets=wanted, allow_stop=True)
    assert result["failed"] is True
    assert message in result["msg"], result["msg"]
    assert connect.writes() == []


def test_what_each_known_class_reads_is_accepted(connect):
    connect.add("lines", POSTGRES_CONFIG, state="STOPPED")
    debezium = [{"partition": {"server": "inventory"}, "offset": {"lsn": "24023128", "txId": 555, "ts_usec": 1}}]
    assert offsets(connect, offsets=debezium)["changed"] is True
    assert connect.offsets("lines")[0]["offset"] == {"lsn": 24023128, "txId": 555, "ts_usec": 1}
    # a tombstone may clear the partition of an earlier topic.prefix
    assert offsets(connect, offsets=[{"partition": {"server": "old"}, "offset": None}])["changed"] is False

    connect.add("sink", SINK_CONFIG, state="STOPPED")
    sink = [{"partition": {"kafka_topic": "orders", "kafka_partition": "3"}, "offset": {"kafka_offset": 42017}}]
    result = run(connect_connector_offsets, {"url": connect.url, "name": "sink", "offsets": sink, "timeout": 5})
    assert result["changed"] is True and result["type"] == "sink"
    assert connect.offsets("sink") == [{"partition": {"kafka_topic": "orders", "kafka_partition": 3},
                                        "offset": {"kafka_offset": 42017}}]


def test_the_workers_refusal_is_passed_through(connect):
    connect.add("lines", {"connector.class": "com.example.CustomSource", "tasks.max": 1}, state="STOPPED")
    message = "Failed to alter offsets for connector lines: Offsets for the partition {shard=a} are malformed"
    connect.failures["PATCH offsets"] = (400, {"error_code": 400, "message": message})
    result = offsets(connect, offsets=[{"partition": {"shard": "a"}, "offset": {"seq": 1}}])
    assert result["failed"] is True
    assert result["msg"] == "PATCH /connectors/lines/offsets answered HTTP 400: " + message
    assert result["connect_status"] == 400


def test_present_needs_offsets(connect):
    result = offsets(connect)
    assert result["failed"] is True and "state=present needs offsets" in result["msg"]
    assert connect.requests == []


# --- starting offsets, at creation ---------------------------------------------------------------------

def create(connect: FakeConnect, check: bool = False, **args) -> dict:
    return run(connect_connector, dict({"url": connect.url, "name": "lines", "timeout": 5, "config": SOURCE_CONFIG},
                                       **args), check=check)


@pytest.mark.parametrize("state, calls, final", [
    ("running", ["PUT /connectors/lines/resume"], "RUNNING"),
    ("present", ["PUT /connectors/lines/resume"], "RUNNING"),
    ("paused", ["PUT /connectors/lines/pause"], "PAUSED"),
    ("stopped", [], "STOPPED"),
])
def test_a_new_connector_starts_at_its_offsets(connect, state, calls, final):
    result = create(connect, state=state, offsets=at("512"))
    assert result["changed"] is True
    assert result["operations"] == ["POST /connectors", "PATCH " + PATH] + calls
    assert connect.writes() == result["operations"]
    assert connect.requests[connect.requests.index("POST /connectors") + 1] == "PATCH " + PATH  # before any start
    assert connect.offsets("lines") == at(512)
    assert connect.connectors["lines"]["state"] == final
    # created once: an existing connector keeps the offsets it has
    connect.connectors["lines"]["offsets"].clear()
    assert create(connect, state=state, offsets=at(512))["changed"] is False
    assert connect.offsets("lines") == []


def test_check_mode_lists_the_creation_and_writes_nothing(connect):
    result = create(connect, offsets=at(0), check=True)
    assert result["operations"] == ["POST /connectors", "PATCH " + PATH, "PUT /connectors/lines/resume"]
    assert connect.writes() == [] and connect.connectors == {}


def test_a_new_connector_whose_offsets_are_refused_is_deleted_again(connect):
    connect.failures["PATCH offsets"] = (500, {"error_code": 500, "message": "broker gone"})
    result = create(connect, offsets=at(0))
    assert result["failed"] is True
    assert result["msg"] == ("connector lines was created STOPPED for its starting offsets, but writing them failed: "
                             "PATCH /connectors/lines/offsets answered HTTP 500: broker gone; it was deleted again, so the "
                             "next run creates it whole")
    assert connect.writes() == ["POST /connectors", "PATCH " + PATH, "DELETE /connectors/lines"]
    assert connect.connectors == {}
    # the next run does
    assert create(connect, offsets=at(0))["changed"] is True
    assert connect.offsets("lines") == at(0) and connect.connectors["lines"]["state"] == "RUNNING"


def test_starting_offsets_are_checked_before_any_request(connect):
    result = create(connect, offsets=at("abc"))
    assert result["failed"] is True
    assert "offsets[0].offset.position is 'abc'" in result["msg"]
    result = create(connect, offsets=at(0), config=None, state="running")
    assert result["failed"] is True and "they need config" in result["msg"]
    assert connect.requests == []


def test_the_list_module_creates_with_offsets_the_same_way(connect):
    connect.add("old", SOURCE_CONFIG)
    entries = [{"name": "lines", "config": SOURCE_CONFIG, "offsets": at(64)},
               {"name": "quiet", "config": SOURCE_CONFIG, "state": "paused", "offsets": at(8)},
               {"name": "old", "config": SOURCE_CONFIG, "offsets": at(99)}]
    result = run(connect_connectors, {"url": connect.url, "connectors": entries, "timeout": 5})
    assert [entry["operations"] for entry in result["connectors"]] == [
        ["POST /connectors", "PATCH " + PATH, "PUT /connectors/lines/resume"],
        ["POST /connectors", "PATCH /connectors/quiet/offsets", "PUT /connectors/quiet/pause"],
        [],  # exists: its offsets are its own
    ]
    assert connect.offsets("lines") == at(64) and connect.offsets("quiet") == at(8) and connect.offsets("old") == []
    assert connect.connectors["quiet"]["state"] == "PAUSED"


def test_the_list_module_refuses_bad_starting_offsets_before_any_request(connect):
    entries = [{"name": "lines", "config": SOURCE_CONFIG, "offsets": [{"partition": {"file": FILE}, "offset": {"position": 1}}]},
               {"name": "gone", "state": "absent", "offsets": at(1)},
               {"name": "bare", "state": "paused", "offsets": at(1)}]
    result = run(connect_connectors, {"url": connect.url, "connectors": entries, "timeout": 5})
    assert result["failed"] is True
    assert "connectors[0].offsets[0].partition has the keys file; FileStreamSource expects exactly filename" in result["msg"]
    assert "connectors[1].offsets: starting offsets are written when the connector is created" in result["msg"]
    assert "connectors[2].offsets: starting offsets are written when the connector is created, which needs its config" \
        in result["msg"]
    assert connect.requests == []
