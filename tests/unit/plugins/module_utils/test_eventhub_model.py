# SPDX-License-Identifier: GPL-3.0-or-later
"""Option-to-body mapping, normalization of ARM JSON and comparison (Kafka settings: test_kafka_connection.py)."""

from __future__ import annotations

import os
import sys

# `make setup` links the checkout as ansible_collections/streamops/eventhub_connect here
sys.path.insert(0, os.path.join(os.path.dirname(__file__), *[".."] * 3, "output", "collections"))

from ansible_collections.streamops.eventhub_connect.plugins.module_utils import _eventhub_model as model  # noqa: E402

CONNECTION = "Endpoint=sb://ns1.servicebus.windows.net/;SharedAccessKeyName=kc;SharedAccessKey=abc="


def test_new_compacted_hub_body() -> None:
    spec = model.hub_spec_from_options({"cleanup_policy": "compact", "partition_count": 1})
    state = model.merge_hub("connect-configs", None, spec)
    assert model.hub_body(state) == {"properties": {
        "partitionCount": 1, "status": "Active",
        "retentionDescription": {"cleanupPolicy": "Compact", "tombstoneRetentionTimeInHours": 24}}}


def test_retention_days_become_hours_and_defaults_apply_on_create() -> None:
    state = model.merge_hub("h", None, model.hub_spec_from_options({"retention_days": 3}))
    assert (state["partition_count"], state["cleanup_policy"], state["retention_hours"]) == (1, "delete", 72)
    assert model.hub_body(state)["properties"]["retentionDescription"] == {
        "cleanupPolicy": "Delete", "retentionTimeInHours": 72}


def test_api_hub_normalized_from_either_retention_field() -> None:
    old_style = {"name": "h", "properties": {"partitionCount": 4, "messageRetentionInDays": 2, "status": "Active",
                                             "partitionIds": ["0", "1", "2", "3"]}}
    assert model.hub_state_from_api(old_style)["retention_hours"] == 48
    compact = {"name": "c", "properties": {"partitionCount": 1, "retentionDescription": {
        "cleanupPolicy": "Compact", "retentionTimeInHours": 9223372036854775807, "tombstoneRetentionTimeInHours": 6}}}
    state = model.hub_state_from_api(compact)
    assert (state["cleanup_policy"], state["retention_hours"], state["tombstone_retention_hours"]) == ("compact", None, 6)


def test_unset_options_keep_existing_values_so_rerun_is_unchanged() -> None:
    existing = model.hub_state_from_api({"name": "Orders", "properties": {
        "partitionCount": 4, "status": "Active",
        "retentionDescription": {"cleanupPolicy": "Delete", "retentionTimeInHours": 72}}})
    same = model.merge_hub("Orders", existing, model.hub_spec_from_options({}))
    assert model.changed_fields(existing, same, model.HUB_FIELDS) == []
    longer = model.merge_hub("Orders", existing, model.hub_spec_from_options({"retention_hours": 96}))
    assert model.changed_fields(existing, longer, model.HUB_FIELDS) == ["retention_hours"]
    assert model.comparable(existing, model.HUB_FIELDS)["retention_hours"] == 72
    assert model.comparable(longer, model.HUB_FIELDS)["retention_hours"] == 96


def test_new_resource_changes_every_field() -> None:
    assert model.changed_fields(None, {}, model.HUB_FIELDS) == list(model.HUB_FIELDS)


def test_namespace_body_and_location_spelling() -> None:
    desired = model.merge_namespace("ns1", None, model.namespace_spec_from_options(
        {"location": "westeurope", "sku": "Standard", "capacity": 2, "auto_inflate": True,
         "maximum_throughput_units": 8, "minimum_tls_version": "1.2", "tags": {"a": "b"}}))
    body = model.namespace_body(desired)
    assert body["sku"] == {"name": "Standard", "tier": "Standard", "capacity": 2}
    assert body["properties"]["maximumThroughputUnits"] == 8
    assert body["properties"]["minimumTlsVersion"] == "1.2"
    existing = dict(desired, location="West Europe")
    again = model.merge_namespace("ns1", existing, {"location": "westeurope", "sku": "Standard"})
    assert model.changed_fields(existing, again, model.NAMESPACE_FIELDS) == []


def test_namespace_from_api_and_auto_inflate_off_zeroes_maximum() -> None:
    resource = {"name": "ns1", "location": "westeurope", "sku": {"name": "Standard", "capacity": 1},
                "tags": {}, "properties": {"isAutoInflateEnabled": True, "maximumThroughputUnits": 5,
                                           "minimumTlsVersion": "1.2", "kafkaEnabled": True,
                                           "provisioningState": "Succeeded"}}
    state = model.namespace_state_from_api(resource)
    assert (state["sku"], state["auto_inflate"], state["kafka_enabled"]) == ("Standard", True, True)
    off = model.merge_namespace("ns1", state, {"auto_inflate": False})
    assert off["maximum_throughput_units"] == 0
    assert "maximumThroughputUnits" not in model.namespace_body(off)["properties"]


def test_rules_and_keys() -> None:
    assert model.rule_body(["Send", "Listen", "Send"]) == {"properties": {"rights": ["Listen", "Send"]}}
    assert model.rule_state_from_api({"name": "r", "properties": {"rights": ["Send", "Listen"]}}) == {
        "name": "r", "rights": ["Listen", "Send"]}
    keys = model.access_keys_result({"keyName": "r", "primaryConnectionString": CONNECTION, "primaryKey": "k"})
    assert (keys["key_name"], keys["primary_connection_string"], keys["secondary_key"]) == ("r", CONNECTION, None)


def test_an_answer_without_retention_description_leaves_a_compacted_hub_alone() -> None:
    # api-version 2017-04-01 answers carry messageRetentionInDays only (the Azure SDK's recorded tests)
    old_answer = {"name": "connect-offsets",
                  "properties": {"partitionCount": 4, "messageRetentionInDays": 7, "status": "Active"}}
    existing = model.hub_state_from_api(old_answer)
    assert existing["cleanup_policy"] is None and existing["tombstone_retention_hours"] is None
    wanted = model.merge_hub("connect-offsets", existing, model.hub_spec_from_options({"cleanup_policy": "compact"}))
    assert model.changed_fields(existing, wanted, model.HUB_FIELDS) == []
    kept = model.merge_hub("connect-offsets", existing, model.hub_spec_from_options({"partition_count": 8}))
    assert model.hub_body(kept)["properties"] == {"partitionCount": 8, "status": "Active", "messageRetentionInDays": 7}


def test_a_namespace_answer_without_optional_fields_is_unknown_not_default() -> None:
    answer = {"name": "ns1", "location": "westeurope", "sku": {"name": "Standard", "capacity": 1}, "tags": {},
              "properties": {"provisioningState": "Succeeded"}}
    existing = model.namespace_state_from_api(answer)
    assert [existing[k] for k in ("minimum_tls_version", "public_network_access", "zone_redundant",
                                  "disable_local_auth", "auto_inflate")] == [None] * 5
    wanted = model.merge_namespace("ns1", existing, model.namespace_spec_from_options(
        {"minimum_tls_version": "1.2", "public_network_access": "Enabled", "disable_local_auth": False}))
    assert model.changed_fields(existing, wanted, model.NAMESPACE_FIELDS) == []
    bigger = model.merge_namespace("ns1", existing, {"capacity": 2})
    assert model.changed_fields(existing, bigger, model.NAMESPACE_FIELDS) == ["capacity"]
    assert set(model.namespace_body(bigger)["properties"]) == set()


def test_zone_redundancy_is_sent_only_when_set_and_never_compared_after_creation() -> None:
    unset = model.merge_namespace("ns1", None, model.namespace_spec_from_options({"location": "westeurope"}))
    assert "zoneRedundant" not in model.namespace_body(unset)["properties"]
    explicit = model.merge_namespace("ns1", None, {"location": "westeurope", "zone_redundant": False})
    assert model.namespace_body(explicit)["properties"]["zoneRedundant"] is False
    azure_chose = dict(explicit, zone_redundant=True)
    again = model.merge_namespace("ns1", azure_chose, {"zone_redundant": False})
    assert model.changed_fields(azure_chose, again, model.NAMESPACE_FIELDS) == []


def test_results_after_an_update_put_keep_the_partition_ids_azure_left_out() -> None:
    before = model.hub_state_from_api({"name": "orders", "properties": {
        "partitionCount": 2, "status": "Active", "partitionIds": ["0", "1"],
        "retentionDescription": {"cleanupPolicy": "Delete", "retentionTimeInHours": 24}}})
    desired = model.merge_hub("orders", before, {"retention_hours": 48})
    answer = {"name": "orders", "properties": {
        "partitionCount": 2, "status": "Active", "partitionIds": [], "createdAt": "0001-01-01T00:00:00",
        "retentionDescription": {"cleanupPolicy": "Delete", "retentionTimeInHours": 48}}}
    after = model.hub_after_write(answer, before, desired)
    assert (after["partition_ids"], after["retention_hours"]) == (["0", "1"], 48)
    grown = model.hub_after_write(dict(answer, properties=dict(answer["properties"], partitionCount=4)), before,
                                  dict(desired, partition_count=4))
    assert grown["partition_ids"] == []  # the count changed: the caller reads the hub again
    legacy = model.hub_after_write({"name": "orders", "properties": {"partitionCount": 2, "partitionIds": []}},
                                   before, desired)
    assert (legacy["cleanup_policy"], legacy["retention_hours"], legacy["status"]) == ("delete", 48, "Active")
