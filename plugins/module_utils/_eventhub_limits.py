# SPDX-License-Identifier: GPL-3.0-or-later
"""Event Hubs tier limits and naming rules as data, plus the pure checks built on them."""

from __future__ import annotations

import re
from typing import Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple


class TierLimits(NamedTuple):
    """What one Event Hubs tier allows."""

    name: str
    kafka: bool
    hubs_per_namespace: int
    hubs_scale_with_capacity: bool
    max_partitions: int
    partitions_can_grow: bool
    max_retention_hours: int
    consumer_groups_per_hub: int
    compaction: bool
    auto_inflate: bool
    capacities: Sequence[int]


# Sources: learn.microsoft.com/azure/event-hubs/event-hubs-quotas and /compare-tiers (include
# event-hubs-tier-limits.md, 2023-11-27), azure-event-hubs-apache-kafka-overview.md (Kafka on
# Standard+), log-compaction.md (not on Basic), event-hubs-auto-inflate.md (Standard only),
# configure-processing-units-premium-namespace.md (PU 1,2,4,8,16), resource-manager-exceptions.md
# (partition count fixed on Basic/Standard).
TIER_LIMITS: Dict[str, TierLimits] = {
    "Basic": TierLimits(
        name="Basic", kafka=False, hubs_per_namespace=10, hubs_scale_with_capacity=False,
        max_partitions=32, partitions_can_grow=False, max_retention_hours=24,
        consumer_groups_per_hub=1, compaction=False, auto_inflate=False,
        capacities=tuple(range(1, 41)),
    ),
    "Standard": TierLimits(
        name="Standard", kafka=True, hubs_per_namespace=10, hubs_scale_with_capacity=False,
        max_partitions=32, partitions_can_grow=False, max_retention_hours=7 * 24,
        consumer_groups_per_hub=20, compaction=True, auto_inflate=True,
        capacities=tuple(range(1, 41)),
    ),
    "Premium": TierLimits(
        name="Premium", kafka=True, hubs_per_namespace=100, hubs_scale_with_capacity=True,
        max_partitions=100, partitions_can_grow=True, max_retention_hours=90 * 24,
        consumer_groups_per_hub=100, compaction=True, auto_inflate=False,
        capacities=(1, 2, 4, 8, 16),
    ),
    "Dedicated": TierLimits(
        name="Dedicated", kafka=True, hubs_per_namespace=1000, hubs_scale_with_capacity=False,
        max_partitions=1024, partitions_can_grow=True, max_retention_hours=90 * 24,
        consumer_groups_per_hub=1000, compaction=True, auto_inflate=False,
        capacities=tuple(range(1, 21)),
    ),
}

# Authorization rules per namespace (event-hubs-common-limits.md).
MAX_AUTHORIZATION_RULES = 12

# Names: resource-name-rules.md and the ARM spec's NamespaceNameParameter (6-50 characters). Matched with
# fullmatch: a `$`-anchored match lets a trailing newline through.
_NAMESPACE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]")
_ENTITY_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?")
# Azure reserves these suffixes for its own endpoints and refuses namespaces that end with them.
_RESERVED_NAMESPACE_SUFFIXES = ("-sb", "-mgmt")
# Resource groups: 1-90 letters (Unicode), digits, '_', '-', '.', '(' or ')', not ending with '.'.
_RESOURCE_GROUP = re.compile(r"[-\w.()]{0,89}[-\w()]")

ACCESS_RIGHTS = ("Listen", "Send", "Manage")


class TopicBudget(NamedTuple):
    """How many event hubs (Kafka topics) a namespace holds, uses and would need."""

    tier: str
    limit: int
    used: int
    requested: int
    free: int

    @property
    def fits(self) -> bool:
        return self.requested <= self.free

    def as_dict(self) -> Dict[str, object]:
        return {"tier": self.tier, "limit": self.limit, "used": self.used,
                "requested": self.requested, "free": self.free}


def namespace_tier(sku_name: str, cluster_arm_id: Optional[str] = None) -> str:
    """Dedicated is not a SKU: a namespace placed in a cluster is Dedicated."""
    if cluster_arm_id:
        return "Dedicated"
    for tier in TIER_LIMITS:
        if tier.lower() == (sku_name or "").lower():
            return tier
    raise ValueError("unknown Event Hubs SKU %r" % sku_name)


def tier_limits(tier: str) -> TierLimits:
    return TIER_LIMITS[namespace_tier(tier)]


def topic_limit(tier: str, capacity: Optional[int] = None) -> int:
    """Event hubs allowed in one namespace; Premium's limit is per processing unit."""
    limits = tier_limits(tier)
    if limits.hubs_scale_with_capacity:
        return limits.hubs_per_namespace * max(capacity or 1, 1)
    return limits.hubs_per_namespace


def plan_topic_budget(tier: str, capacity: Optional[int], existing: Iterable[str],
                      wanted: Iterable[str]) -> TopicBudget:
    """Count the hubs a change would add against the tier's limit; names compare case-insensitively."""
    existing_names = {name.lower() for name in existing}
    new_names = {name.lower() for name in wanted} - existing_names
    limit = topic_limit(tier, capacity)
    used = len(existing_names)
    return TopicBudget(tier=tier, limit=limit, used=used, requested=len(new_names),
                       free=max(limit - used, 0))


def budget_error(namespace: str, budget: TopicBudget,
                 demand: Optional[Sequence[Tuple[str, Sequence[str]]]] = None, others: Optional[int] = None) -> str:
    """The one message of a topic budget overrun, whether the eventhub module or the role catches it.

    ``demand`` breaks the wanted topics down by who asks for them (``("Connect", [...])``,
    ``("connector 'inventory'", [...])``); ``others`` counts the existing hubs nobody asked for.
    """
    message = ("Topic budget exceeded on the %s namespace '%s': limit %d event hubs, used %d, requested %d new, "
               "free %d" % (budget.tier, namespace, budget.limit, budget.used, budget.requested, budget.free))
    if demand:
        parts = []
        for label, names in demand:
            part = "%s %d" % (label, len(names))
            if names and label.startswith("connector "):
                part += " (%s)" % ", ".join(names)
            parts.append(part)
        if others is not None:
            parts.append("other event hubs %d" % others)
        message += "; wanted: " + ", ".join(parts)
    return message + ". Ways out: " + ", ".join(budget_ways_out(budget.tier)) + "."


def budget_ways_out(tier: str) -> List[str]:
    limits = tier_limits(tier)
    premium = TIER_LIMITS["Premium"]
    ways = []
    if limits.hubs_per_namespace < premium.hubs_per_namespace:
        ways.append("the Premium tier (%d event hubs per processing unit)" % premium.hubs_per_namespace)
    elif limits.hubs_scale_with_capacity:
        ways.append("more processing units (%d event hubs each)" % limits.hubs_per_namespace)
    ways.extend(["fewer topics (fewer tables in table.include.list)",
                 "a router (RegexRouter or ByLogicalTableRouter) that merges topics",
                 "a second namespace"])
    return ways


def namespace_name_error(name: str) -> Optional[str]:
    if not 6 <= len(name) <= 50 or not _NAMESPACE_NAME.fullmatch(name):
        return ("invalid namespace name %r: 6-50 letters, digits or hyphens, starting with a letter "
                "and ending with a letter or digit" % name)
    if name.lower().endswith(_RESERVED_NAMESPACE_SUFFIXES):
        return "invalid namespace name %r: Azure refuses names ending with -sb or -mgmt" % name
    return None


def hub_name_error(name: str) -> Optional[str]:
    if not 1 <= len(name) <= 256 or not _ENTITY_NAME.fullmatch(name):
        return ("invalid event hub name %r: 1-256 letters, digits, '.', '-' or '_', starting and "
                "ending with a letter or digit" % name)
    return None


def rule_name_error(name: str) -> Optional[str]:
    if not 1 <= len(name) <= 50 or not _ENTITY_NAME.fullmatch(name):
        return ("invalid authorization rule name %r: 1-50 letters, digits, '.', '-' or '_', "
                "starting and ending with a letter or digit" % name)
    return None


def resource_group_error(name: str) -> Optional[str]:
    if not _RESOURCE_GROUP.fullmatch(name):
        return ("invalid resource_group %r: 1-90 letters, digits, '_', '-', '.', '(' or ')', "
                "not ending with '.'" % name)
    return None


def number_error(field: str, value: Optional[float], minimum: float, what: str = "",
                 exclusive: bool = False) -> Optional[str]:
    """A numeric option below its minimum (or at it, when exclusive), naming what is allowed; unset is fine."""
    if value is None or value > minimum or (value == minimum and not exclusive):
        return None
    allowed = "greater than %g" % minimum if exclusive else "at least %g" % minimum
    return "%s%s must be %s, not %s" % (what, field, allowed, value)


def hub_option_errors(name: str, options: Dict[str, object]) -> List[str]:
    """Checks of one hub's options that need no tier: the name, and numbers that no tier allows."""
    errors = [error for error in (hub_name_error(name),) if error]
    what = "event hub %r: " % name
    for field, minimum in (("partition_count", 1), ("retention_hours", 1), ("retention_days", 1),
                           ("tombstone_retention_hours", 0)):
        value = options.get(field)
        error = number_error(field, value, minimum, what) if isinstance(value, int) else None
        if error:
            errors.append(error)
    return errors


def rights_error(rights: Iterable[str]) -> Optional[str]:
    given = set(rights)
    unknown = given - set(ACCESS_RIGHTS)
    if unknown:
        return "unknown rights %s; allowed: Listen, Send, Manage" % ", ".join(sorted(unknown))
    if not given:
        return "rights must name at least one of Listen, Send, Manage"
    if "Manage" in given and not {"Listen", "Send"} <= given:
        return "the Manage right needs Listen and Send with it"
    return None


def hub_tier_errors(tier: str, name: str, desired: Dict[str, object],
                    existing: Optional[Dict[str, object]]) -> List[str]:
    """Everything the tier forbids for one hub's desired state (normalized, see _eventhub_model)."""
    limits = tier_limits(tier)
    errors = []
    partitions = desired.get("partition_count")
    if isinstance(partitions, int):
        if not 1 <= partitions <= limits.max_partitions:
            errors.append("event hub '%s': partition_count %d is outside 1-%d allowed on %s"
                          % (name, partitions, limits.max_partitions, tier))
        old = existing.get("partition_count") if existing else None
        if isinstance(old, int) and partitions != old:
            if partitions < old:
                errors.append("event hub '%s': partition_count cannot decrease (%d -> %d)"
                              % (name, old, partitions))
            elif not limits.partitions_can_grow:
                errors.append("event hub '%s': partition_count cannot change on %s (%d -> %d); "
                              "create a new event hub instead" % (name, tier, old, partitions))
    retention = desired.get("retention_hours")
    if isinstance(retention, int) and not 1 <= retention <= limits.max_retention_hours:
        errors.append("event hub '%s': retention %d hours is outside 1-%d allowed on %s"
                      % (name, retention, limits.max_retention_hours, tier))
    if desired.get("cleanup_policy") == "compact" and not limits.compaction:
        errors.append("event hub '%s': cleanup_policy compact (log compaction) is not available on %s"
                      % (name, tier))
    return errors


def namespace_sku_errors(sku: str, capacity: Optional[int], auto_inflate: Optional[bool],
                         maximum_throughput_units: Optional[int], require_kafka: bool) -> List[str]:
    limits = tier_limits(sku)
    errors = []
    if require_kafka and not limits.kafka:
        errors.append("the %s tier has no Kafka endpoint; choose Standard or Premium, or set "
                      "require_kafka=false" % sku)
    if capacity is not None and capacity not in limits.capacities:
        errors.append("capacity %d is not allowed on %s (allowed: %s)"
                      % (capacity, sku, _describe_range(limits.capacities)))
    if auto_inflate and not limits.auto_inflate:
        # one message: the bound of a feature the tier lacks is not worth a second one
        errors.append("auto-inflate is only available on Standard, not %s" % sku)
    elif maximum_throughput_units and not auto_inflate:
        errors.append("maximum_throughput_units needs auto_inflate=true")
    elif auto_inflate and maximum_throughput_units is not None:
        low = capacity or 1
        if not low <= maximum_throughput_units <= max(limits.capacities):
            errors.append("maximum_throughput_units %d must be between capacity (%d) and %d"
                          % (maximum_throughput_units, low, max(limits.capacities)))
    return errors


def _describe_range(values: Sequence[int]) -> str:
    if list(values) == list(range(values[0], values[-1] + 1)):
        return "%d-%d" % (values[0], values[-1])
    return ", ".join(str(v) for v in values)
