# SPDX-License-Identifier: GPL-3.0-or-later
"""What the ARM test double's namespace sync wants on the broker (tests/testbed/arm_double/kafka_sync.py)."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from arm_double import kafka_sync  # noqa: E402  pylint: disable=wrong-import-position

INFINITE = 9223372036854775807


def hub(name: str, created: float, partitions: int = 2, policy: str = "Delete", hours: int = 24) -> dict:
    return {"name": name, "createdAt": created, "partitionCount": partitions,
            "retention": {"cleanupPolicy": policy, "retentionTimeInHours": hours, "tombstoneRetentionTimeInHours": None,
                          "minCompactionLagTimeInMinutes": None}}


def namespace(name: str, created: float, hubs: list[dict], tier: str = "Standard", rules: dict | None = None) -> dict:
    return {"name": name, "createdAt": created, "sku": {"tier": tier}, "operation": None,
            "properties": {"disableLocalAuth": False},
            "authorizationRules": rules if rules is not None else {"root": {"name": "Root", "rights": ["Listen", "Manage", "Send"]}},
            "eventhubs": {h["name"].lower(): h for h in hubs}}


def desired(state: dict, name: str) -> kafka_sync.Desired:
    return kafka_sync.desired_for(state, state["namespaces"][name])


def test_hubs_become_topics_with_partitions_policy_and_retention() -> None:
    state = {"namespaces": {"ns-one": namespace("ns-one", 1, [hub("orders", 2, 3, "Delete", 48),
                                                              hub("configs", 3, 1, "Compact", INFINITE)])}}
    wanted = desired(state, "ns-one")
    assert wanted.topics["orders"] == {"partitions": 3, "configs": {"cleanup.policy": "delete", "retention.ms": str(48 * 3600000)}}
    assert wanted.topics["configs"]["configs"] == {"cleanup.policy": "compact", "retention.ms": "-1"}


def test_basic_and_deleting_namespaces_have_no_kafka_cluster() -> None:
    deleting = namespace("ns-gone", 1, [hub("b", 1)])
    deleting["operation"] = {"kind": "delete"}
    state = {"namespaces": {"ns-basic": namespace("ns-basic", 1, [hub("a", 1)], tier="Basic"), "ns-gone": deleting,
                            "ns-kept": namespace("ns-kept", 2, [])}}
    assert [n["name"] for n in kafka_sync.kafka_namespaces(state)] == ["ns-kept"]


def test_each_namespace_holds_its_own_topics_of_the_same_names_and_rights_stay_in_it() -> None:
    state = {"namespaces": {"ns-old": namespace("ns-old", 1, [hub("connect-offsets", 9), hub("orders", 9)]),
                            "ns-new": namespace("ns-new", 2, [hub("connect-offsets", 5), hub("mine", 6)])}}
    old, new = desired(state, "ns-old"), desired(state, "ns-new")
    assert set(old.topics) == {"connect-offsets", "orders"} and set(new.topics) == {"connect-offsets", "mine"}
    assert {acl[3] for acl in old.acls} == {"User:ns-old/Root"}
    assert {acl[3] for acl in new.acls} == {"User:ns-new/Root"}


def test_rights_map_to_acls() -> None:
    acls = kafka_sync.rule_acls("ns-one", {"name": "app", "rights": ["Send"]}, ["t"])
    assert acls == {("TOPIC", "t", "LITERAL", "User:ns-one/app", "WRITE"), ("TOPIC", "t", "LITERAL", "User:ns-one/app", "DESCRIBE"),
                    ("BROKER", "kafka-cluster", "LITERAL", "User:ns-one/app", "IDEMPOTENT_WRITE")}
    listen = kafka_sync.rule_acls("ns-one", {"name": "app", "rights": ["Listen"]}, ["t"])
    assert {acl[4] for acl in listen if acl[0] == "TOPIC"} == {"READ", "DESCRIBE"}
    assert {(acl[0], acl[1], acl[4]) for acl in listen if acl[0] == "GROUP"} == {("GROUP", "*", "READ"), ("GROUP", "*", "DESCRIBE")}
    manage = kafka_sync.rule_acls("ns-one", {"name": "root", "rights": ["Manage"]}, ["t"])
    assert ("TOPIC", "*", "LITERAL", "User:ns-one/root", "CREATE") in manage
    assert {acl[4] for acl in manage if acl[1] == "t"} == {"DELETE", "ALTER_CONFIGS", "DESCRIBE_CONFIGS", "DESCRIBE"}


def test_kafka_topic_configs_become_a_hub_body() -> None:
    body = kafka_sync.hub_properties(3, {"cleanup.policy": "compact,delete", "retention.ms": "5400000"}, None)
    assert body == {"properties": {"partitionCount": 3, "retentionDescription": {"cleanupPolicy": "DeleteOrCompact",
                                                                                 "retentionTimeInHours": 2}}}
    assert kafka_sync.hub_properties(1, {"cleanup.policy": "compact", "retention.ms": "-1"}, None)["properties"][
        "retentionDescription"] == {"cleanupPolicy": "Compact", "retentionTimeInHours": -1}
    current = hub("orders", 1, 2, "Delete", 48)
    assert kafka_sync.hub_properties(2, {}, current)["properties"]["retentionDescription"] == {
        "cleanupPolicy": "Delete", "retentionTimeInHours": 48}


def role_assignment(scope: str, role_id: str, principal: str) -> dict:
    return {"scope": scope, "principalId": principal,
            "roleDefinitionId": f"/subscriptions/sub/providers/Microsoft.Authorization/roleDefinitions/{role_id}"}


def test_entra_role_assignments_are_acls_and_local_auth_off_drops_the_sas_rules() -> None:
    sender, receiver, owner = ("2b629674-e913-4c01-ae53-ef4638d8f975", "a638d3c7-ab3a-418d-83e6-5f17a39d4fde",
                               "f526a384-b230-433a-b45c-95f59c4a2dec")
    entra_only = namespace("ns-entra", 1, [hub("orders", 2)])
    entra_only["properties"]["disableLocalAuth"] = True
    other = namespace("ns-other", 3, [hub("other", 4)])
    for item in (entra_only, other):
        item["resourceGroup"] = "rg"
    base = "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.EventHub/namespaces/"
    state = {"namespaces": {"ns-entra": entra_only, "ns-other": other}, "roleAssignments": {
        "a": role_assignment(base + "ns-entra", sender, "oid-1"),
        "b": role_assignment(base + "ns-entra", receiver, "oid-1"),
        "c": role_assignment("/subscriptions/sub/resourceGroups/rg", owner, "oid-2"),
    }}
    entra_acls, other_acls = desired(state, "ns-entra").acls, desired(state, "ns-other").acls
    assert {acl[4] for acl in entra_acls if acl[3] == "User:ns-entra/oid-1" and acl[1] == "orders"} == {
        "READ", "WRITE", "DESCRIBE"}
    assert not any(acl[3] == "User:ns-other/oid-1" for acl in other_acls)
    assert ("TOPIC", "*", "LITERAL", "User:ns-entra/oid-2", "CREATE") in entra_acls
    assert ("TOPIC", "other", "LITERAL", "User:ns-other/oid-2", "DELETE") in other_acls
    assert not any(acl[3] == "User:ns-entra/Root" for acl in entra_acls)
    assert any(acl[3] == "User:ns-other/Root" for acl in other_acls)
