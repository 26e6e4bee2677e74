# SPDX-License-Identifier: GPL-3.0-or-later
"""Event Hubs tier limits and the validation Azure applies to request bodies, with Azure's error texts.

Limits: Microsoft docs event-hubs-quotas and compare-tiers (digested in shared FACTS.md).
Error texts: Microsoft docs resource-manager-exceptions.md, and the recorded responses.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import bad_request


@dataclass(frozen=True)
class TierLimits:
    event_hubs_per_unit: int
    event_hubs_scale_with_capacity: bool
    partitions: int
    retention_days: int
    consumer_groups: int
    compaction: bool
    kafka: bool
    capacities: tuple[int, ...]
    auto_inflate: bool
    partition_count_mutable: bool

    def max_event_hubs(self, capacity: int) -> int:
        return self.event_hubs_per_unit * capacity if self.event_hubs_scale_with_capacity else self.event_hubs_per_unit


TIERS = {
    "Basic": TierLimits(10, False, 32, 1, 1, False, False, tuple(range(1, 41)), False, False),
    "Standard": TierLimits(10, False, 32, 7, 20, True, True, tuple(range(1, 41)), True, False),
    "Premium": TierLimits(100, True, 100, 90, 100, True, True, (1, 2, 4, 8, 16), False, True),
}

MAX_AUTHORIZATION_RULES = 12
RIGHTS = ("Listen", "Send", "Manage")
CLEANUP_POLICIES = ("Delete", "Compact", "DeleteOrCompact")
TLS_VERSIONS = ("1.0", "1.1", "1.2", "1.3")
PUBLIC_NETWORK_ACCESS = ("Enabled", "Disabled", "SecuredByPerimeter")
DEFAULT_PARTITION_COUNT = 4
DEFAULT_RETENTION_HOURS = 24
# Azure reports an unbounded (compaction-only) retention as Long.MaxValue.
INFINITE_RETENTION_HOURS = 9223372036854775807

# Whole-string patterns (fullmatch): Azure refuses a name with a trailing newline.
NAMESPACE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{4,48}[A-Za-z0-9]")
EVENT_HUB_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,254}[A-Za-z0-9])?")
CHILD_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,48}[A-Za-z0-9])?")
# Azure habit: in regions with availability zones every new namespace is zone redundant, whatever the body says
# (learn.microsoft.com/azure/event-hubs/event-hubs-availability-and-consistency). A subset of those regions.
AVAILABILITY_ZONE_REGIONS = frozenset({
    "westeurope", "northeurope", "francecentral", "germanywestcentral", "uksouth", "swedencentral",
    "eastus", "eastus2", "westus2", "westus3", "centralus", "southcentralus", "canadacentral",
    "australiaeast", "japaneast", "koreacentral", "southeastasia", "centralindia", "brazilsouth",
})


def namespace_name_problem(name: str) -> str | None:
    """The checkNameAvailability reason for an invalid namespace name, or None when it is well formed."""
    if not NAMESPACE_NAME.fullmatch(name) or name.lower().endswith(("-sb", "-mgmt")):
        return "The specified service namespace is invalid."
    return None


def check_entity_name(kind: str, name: str, pattern: re.Pattern[str]) -> None:
    if not pattern.fullmatch(name):
        raise bad_request(
            f"The {kind} name '{name}' is invalid. It can contain only letters, numbers, periods, hyphens and "
            "underscores, and must start and end with a letter or number."
        )


def canonical_choice(field: str, value: object, choices: tuple[str, ...]) -> str:
    """Azure enums are case-insensitive on input and canonical on output."""
    for choice in choices:
        if isinstance(value, str) and value.lower() == choice.lower():
            return choice
    raise bad_request(f"The value '{value}' of '{field}' is invalid. Allowed values: {', '.join(choices)}.")


def tier_of(sku: dict | None) -> str:
    if not isinstance(sku, dict) or not sku.get("name"):
        raise bad_request("The sku name is required. Allowed values: Basic, Standard, Premium.")
    return canonical_choice("sku.name", sku["name"], tuple(TIERS))


def validated_sku(sku: dict | None) -> dict:
    tier = tier_of(sku)
    capacity = (sku or {}).get("capacity") or 1
    limits = TIERS[tier]
    if not isinstance(capacity, int) or capacity not in limits.capacities:
        unit = "processing units" if tier == "Premium" else "throughput units"
        allowed = ", ".join(str(c) for c in limits.capacities) if tier == "Premium" else "1 to 40"
        raise bad_request(f"The sku capacity '{capacity}' is invalid for the {tier} tier: {unit} must be {allowed}.")
    return {"name": tier, "tier": tier, "capacity": capacity}


def validated_auto_inflate(tier: str, capacity: int, properties: dict) -> tuple[bool, int]:
    enabled = bool(properties.get("isAutoInflateEnabled", False))
    maximum = properties.get("maximumThroughputUnits") or 0
    if enabled and tier == "Basic":
        raise bad_request("Can't set Auto-Inflate in basic SKU")
    if enabled and not TIERS[tier].auto_inflate:
        raise bad_request(f"Auto-Inflate is supported only in the Standard tier, not in {tier}.")
    if not enabled and maximum:
        raise bad_request("Cannot set MaximumThroughputUnits property if AutoInflate is not enabled")
    if enabled and not capacity <= maximum <= 40:
        raise bad_request(
            f"MaximumThroughputUnits '{maximum}' is invalid: it must be between the namespace capacity ({capacity}) and 40."
        )
    return enabled, maximum


def validated_rights(rights: object) -> list[str]:
    if not isinstance(rights, list) or not rights:
        raise bad_request("The authorization rule must have at least one right: Listen, Send or Manage.")
    canonical = [canonical_choice("rights", right, RIGHTS) for right in rights]
    if "Manage" in canonical and not {"Listen", "Send"} <= set(canonical):
        raise bad_request("Manage access right requires Listen and Send access rights as well.")
    return list(dict.fromkeys(canonical))


@dataclass
class Retention:
    cleanup_policy: str
    retention_hours: int
    tombstone_hours: int | None
    min_compaction_lag_minutes: int | None

    def message_retention_days(self) -> int:
        return max(1, -(-self.retention_hours // 24))


def validated_retention(tier: str, properties: dict, tracker: str) -> Retention:
    """Retention from either `retentionDescription` or the older `messageRetentionInDays`, checked against the tier."""
    limits = TIERS[tier]
    description = properties.get("retentionDescription")
    if isinstance(description, dict) and description:
        policy = canonical_choice("cleanupPolicy", description.get("cleanupPolicy", "Delete"), CLEANUP_POLICIES)
        hours = description.get("retentionTimeInHours")
        tombstone = description.get("tombstoneRetentionTimeInHours")
        lag = description.get("minCompactionLagTimeInMinutes")
    else:
        policy, tombstone, lag = "Delete", None, None
        days = properties.get("messageRetentionInDays")
        hours = None if days is None else int(days) * 24
    if policy != "Delete" and not limits.compaction:
        raise bad_request(f"Log compaction feature isn't supported in the {tier} tier.", tracker)
    if policy == "Compact" and (hours is None or hours == -1):
        hours = INFINITE_RETENTION_HOURS
    elif hours is None:
        hours = DEFAULT_RETENTION_HOURS
    if not isinstance(hours, int) or (hours != INFINITE_RETENTION_HOURS and not 1 <= hours <= limits.retention_days * 24):
        days_text = "MessageRetentionInDays" if not description else "RetentionTimeInHours"
        raise bad_request(
            f"The value '{hours if description else properties.get('messageRetentionInDays')}' for {days_text} isn't valid "
            f"for the {tier} tier. The retention can't exceed {limits.retention_days} day(s).",
            tracker,
        )
    for field, value in (("tombstoneRetentionTimeInHours", tombstone), ("minCompactionLagTimeInMinutes", lag)):
        if value is not None and (not isinstance(value, int) or value < 0):
            raise bad_request(f"The value '{value}' for {field} is invalid.", tracker)
    return Retention(policy, hours, tombstone, lag)


def validated_partition_count(tier: str, requested: object, current: int | None, tracker: str) -> int:
    limits = TIERS[tier]
    count = (current or DEFAULT_PARTITION_COUNT) if requested is None else requested
    if not isinstance(count, int) or not 1 <= count <= limits.partitions:
        raise bad_request(
            f"The value '{count}' for PartitionCount isn't valid for the {tier} tier. It must be between 1 and {limits.partitions}.",
            tracker,
        )
    if current is not None and count != current:
        if not limits.partition_count_mutable:
            raise bad_request("PartitionCount can't be changed for an event hub.", tracker)
        if count < current:
            raise bad_request("PartitionCount can't be decreased for an event hub.", tracker)
    return count
