# SPDX-License-Identifier: GPL-3.0-or-later
"""Tier table, topic budget, names and rights of Event Hubs."""

from __future__ import annotations

import os
import sys

import pytest

# `make setup` links the checkout as ansible_collections/streamops/eventhub_connect here
sys.path.insert(0, os.path.join(os.path.dirname(__file__), *[".."] * 3, "output", "collections"))

from ansible_collections.streamops.eventhub_connect.plugins.module_utils import _eventhub_limits as limits  # noqa: E402


def test_standard_budget_leaves_seven_topics_after_connect_takes_three() -> None:
    budget = limits.plan_topic_budget("Standard", 1, [], ["connect-configs", "connect-offsets", "connect-status"])
    assert (budget.limit, budget.used, budget.requested, budget.free, budget.fits) == (10, 0, 3, 10, True)
    after = limits.plan_topic_budget("Standard", 1, ["connect-configs", "connect-offsets", "connect-status"],
                                     ["app-%d" % i for i in range(8)])
    assert (after.used, after.requested, after.free, after.fits) == (3, 8, 7, False)
    assert limits.budget_error("ns1", after) == (
        "Topic budget exceeded on the Standard namespace 'ns1': limit 10 event hubs, used 3, requested 8 new, free 7. "
        "Ways out: the Premium tier (100 event hubs per processing unit), fewer topics (fewer tables in "
        "table.include.list), a router (RegexRouter or ByLogicalTableRouter) that merges topics, a second namespace.")


def test_budget_message_names_who_wants_the_topics() -> None:
    budget = limits.plan_topic_budget("Premium", 1, [], ["t%d" % i for i in range(101)])
    message = limits.budget_error("ns1", budget, [("Connect", ["a", "b", "c"]), ("application", []),
                                                  ("connector 'inv'", ["inv.public.t1", "inv.public.t2"])], others=0)
    assert message.startswith(
        "Topic budget exceeded on the Premium namespace 'ns1': limit 100 event hubs, used 0, requested 101 new, "
        "free 100; wanted: Connect 3, application 0, connector 'inv' 2 (inv.public.t1, inv.public.t2), "
        "other event hubs 0. Ways out: more processing units (100 event hubs each), ")


def test_budget_counts_only_new_names_case_insensitively() -> None:
    budget = limits.plan_topic_budget("Basic", None, ["Orders", "a"], ["orders", "b", "b"])
    assert (budget.used, budget.requested) == (2, 1)


def test_premium_limit_scales_with_processing_units_and_dedicated_is_fixed() -> None:
    assert limits.topic_limit("Premium", 4) == 400
    assert limits.topic_limit("Dedicated", 2) == 1000
    assert limits.namespace_tier("Standard", "/subscriptions/x/clusters/c") == "Dedicated"
    assert limits.namespace_tier("premium") == "Premium"
    with pytest.raises(ValueError):
        limits.namespace_tier("Gold")


def test_full_namespace_has_zero_free() -> None:
    budget = limits.plan_topic_budget("Standard", 1, ["h%d" % i for i in range(10)], ["h0", "new"])
    assert (budget.free, budget.requested, budget.fits) == (0, 1, False)


@pytest.mark.parametrize("name,valid", [
    ("abcdef", True), ("a-b-c-1", True), ("abcde", False), ("1abcdef", False), ("abcdef-", False),
    ("abc_def", False), ("a" * 50, True), ("a" * 51, False),
])
def test_namespace_names(name: str, valid: bool) -> None:
    assert (limits.namespace_name_error(name) is None) is valid


@pytest.mark.parametrize("name,valid", [
    ("orders", True), ("dbserver1.inventory.customers", True), ("a", True), ("_x", False), ("x.", False),
    ("has space", False), ("a" * 256, True), ("a" * 257, False), ("", False),
])
def test_hub_names(name: str, valid: bool) -> None:
    assert (limits.hub_name_error(name) is None) is valid


def test_rule_names_are_limited_to_fifty() -> None:
    assert limits.rule_name_error("kafka-connect") is None
    assert "1-50" in limits.rule_name_error("r" * 51)


@pytest.mark.parametrize("rights,ok", [
    (["Listen"], True), (["Listen", "Send"], True), (["Manage", "Listen", "Send"], True),
    (["Manage"], False), (["Manage", "Send"], False), ([], False), (["Read"], False),
])
def test_rights(rights: list, ok: bool) -> None:
    assert (limits.rights_error(rights) is None) is ok


def test_partition_change_refused_on_standard_allowed_up_on_premium() -> None:
    existing = {"partition_count": 2}
    errors = limits.hub_tier_errors("Standard", "h", {"partition_count": 4}, existing)
    assert errors == ["event hub 'h': partition_count cannot change on Standard (2 -> 4); create a new event hub instead"]
    assert limits.hub_tier_errors("Premium", "h", {"partition_count": 4}, existing) == []
    assert "cannot decrease" in limits.hub_tier_errors("Premium", "h", {"partition_count": 1}, existing)[0]


def test_retention_over_tier_maximum_and_compaction_on_basic() -> None:
    assert limits.hub_tier_errors("Standard", "h", {"retention_hours": 168}, None) == []
    assert "outside 1-168" in limits.hub_tier_errors("Standard", "h", {"retention_hours": 169}, None)[0]
    assert "outside 1-24" in limits.hub_tier_errors("Basic", "h", {"retention_hours": 48}, None)[0]
    assert "not available on Basic" in limits.hub_tier_errors("Basic", "h", {"cleanup_policy": "compact"}, None)[0]
    assert "outside 1-32" in limits.hub_tier_errors("Standard", "h", {"partition_count": 33}, None)[0]


def test_namespace_sku_rules() -> None:
    assert "no Kafka endpoint" in limits.namespace_sku_errors("Basic", 1, False, 0, True)[0]
    assert limits.namespace_sku_errors("Basic", 1, False, 0, False) == []
    assert "only available on Standard" in limits.namespace_sku_errors("Premium", 1, True, 4, True)[0]
    assert "not allowed on Premium (allowed: 1, 2, 4, 8, 16)" in limits.namespace_sku_errors("Premium", 3, False, 0, True)[0]
    assert "needs auto_inflate" in limits.namespace_sku_errors("Standard", 1, False, 5, True)[0]
    assert "between capacity" in limits.namespace_sku_errors("Standard", 4, True, 2, True)[0]
    assert limits.namespace_sku_errors("Standard", 2, True, 10, True) == []


@pytest.mark.parametrize("check,name", [
    (limits.namespace_name_error, "contoso-ehns\n"), (limits.hub_name_error, "orders\n"),
    (limits.rule_name_error, "kafka\n"), (limits.resource_group_error, "rg\n"),
    (limits.namespace_name_error, "contoso-sb"), (limits.namespace_name_error, "contoso-Mgmt"),
    (limits.resource_group_error, ""), (limits.resource_group_error, "rg."), (limits.resource_group_error, "r" * 91),
])
def test_names_match_the_whole_string(check: object, name: str) -> None:
    assert check(name) is not None  # type: ignore[operator]


def test_resource_groups_allow_azure_alphabet() -> None:
    assert limits.resource_group_error("rg-streaming_(prod).eu") is None
    assert limits.resource_group_error("Ressourcengruppe-ü") is None


def test_numbers_below_their_minimum_name_the_field_and_the_minimum() -> None:
    assert limits.number_error("wait_timeout", -1, 0) == "wait_timeout must be at least 0, not -1"
    assert limits.number_error("polling_interval", 0, 0, exclusive=True) == (
        "polling_interval must be greater than 0, not 0")
    assert limits.number_error("wait_timeout", None, 0) is None
    assert limits.hub_option_errors("h", {"partition_count": 0, "retention_hours": 0}) == [
        "event hub 'h': partition_count must be at least 1, not 0",
        "event hub 'h': retention_hours must be at least 1, not 0"]


def test_auto_inflate_on_premium_is_one_message() -> None:
    assert limits.namespace_sku_errors("Premium", 1, True, 50, True) == [
        "auto-inflate is only available on Standard, not Premium"]
