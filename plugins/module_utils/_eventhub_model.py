# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure mapping between module options, ARM JSON bodies and the normalized states the modules compare."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

HUB_FIELDS = ("partition_count", "cleanup_policy", "retention_hours", "tombstone_retention_hours", "status")
NAMESPACE_FIELDS = ("location", "sku", "capacity", "auto_inflate", "maximum_throughput_units",
                    "zone_redundant", "minimum_tls_version", "public_network_access",
                    "disable_local_auth", "tags")

# Applied only when a resource is created; on update an unset option keeps what Azure has. Zone redundancy
# has no default: Azure decides it (on in regions with availability zones) unless the user sets it.
HUB_CREATE_DEFAULTS = {"partition_count": 1, "cleanup_policy": "delete", "retention_hours": 24,
                       "tombstone_retention_hours": 24, "status": "Active"}
NAMESPACE_CREATE_DEFAULTS = {"sku": "Standard", "capacity": 1, "auto_inflate": False,
                             "maximum_throughput_units": 0,
                             "minimum_tls_version": "1.2", "public_network_access": "Enabled",
                             "disable_local_auth": False, "tags": {}}

# Azure answers Long.MaxValue (or -1) as the time retention of a compacted hub: it is not a limit.
_UNBOUNDED_RETENTION = 10 ** 9


def _properties(resource: Mapping[str, Any]) -> Mapping[str, Any]:
    return resource.get("properties") or {}


# ---- event hubs ---------------------------------------------------------------------------------

def hub_spec_from_options(options: Mapping[str, Any]) -> Dict[str, Any]:
    """What the caller asked for, one key per HUB_FIELDS entry; None means 'keep or default'."""
    retention = options.get("retention_hours")
    if retention is None and options.get("retention_days") is not None:
        retention = options["retention_days"] * 24
    policy = options.get("cleanup_policy")
    return {
        "partition_count": options.get("partition_count"),
        "cleanup_policy": policy.lower() if policy else None,
        "retention_hours": retention,
        "tombstone_retention_hours": options.get("tombstone_retention_hours"),
        "status": options.get("status"),
    }


def hub_state_from_api(resource: Mapping[str, Any]) -> Dict[str, Any]:
    """The normalized hub; a field the answer leaves out (older API versions omit retentionDescription) is None,
    unknown, and never compared."""
    props = _properties(resource)
    description = props.get("retentionDescription") or {}
    policy = (description.get("cleanupPolicy") or "").lower() or None
    retention = description.get("retentionTimeInHours")
    if retention is None and props.get("messageRetentionInDays") is not None:
        retention = int(props["messageRetentionInDays"]) * 24
    if policy == "compact" or (retention is not None and (retention < 0 or retention >= _UNBOUNDED_RETENTION)):
        retention = None
    tombstone = description.get("tombstoneRetentionTimeInHours") if policy not in ("delete", None) else None
    return {
        "name": resource.get("name"),
        "partition_count": props.get("partitionCount"),
        "cleanup_policy": None if policy is None else "compact" if policy == "compact" else "delete",
        "retention_hours": retention,
        "tombstone_retention_hours": tombstone,
        "status": props.get("status"),
        "partition_ids": list(props.get("partitionIds") or []),
    }


def merge_hub(name: str, existing: Optional[Mapping[str, Any]], spec: Mapping[str, Any]) -> Dict[str, Any]:
    """The full state a PUT must carry: the existing hub (or defaults) overlaid with the caller's options."""
    base = dict(HUB_CREATE_DEFAULTS) if existing is None else {k: existing.get(k) for k in HUB_FIELDS}
    desired = dict(base)
    desired.update({k: v for k, v in spec.items() if v is not None})
    if desired["cleanup_policy"] == "compact":
        desired["retention_hours"] = None
        if desired.get("tombstone_retention_hours") is None:
            desired["tombstone_retention_hours"] = HUB_CREATE_DEFAULTS["tombstone_retention_hours"]
    elif desired["cleanup_policy"] == "delete":
        desired["tombstone_retention_hours"] = None
        if desired.get("retention_hours") is None:
            desired["retention_hours"] = HUB_CREATE_DEFAULTS["retention_hours"]
    # a policy Azure did not report and the user did not set stays unknown: retention is left as it is
    if desired.get("status") is None:
        desired["status"] = HUB_CREATE_DEFAULTS["status"]
    desired["name"] = name
    return desired


def hub_body(state: Mapping[str, Any]) -> Dict[str, Any]:
    properties: Dict[str, Any] = {"partitionCount": state["partition_count"], "status": state["status"]}
    if state["cleanup_policy"] == "compact":
        properties["retentionDescription"] = {"cleanupPolicy": "Compact",
                                              "tombstoneRetentionTimeInHours": state["tombstone_retention_hours"]}
    elif state["cleanup_policy"] == "delete":
        properties["retentionDescription"] = {"cleanupPolicy": "Delete",
                                              "retentionTimeInHours": state["retention_hours"]}
    elif state.get("retention_hours") is not None:
        # the policy is unknown: send only the retention field every API version knows
        properties["messageRetentionInDays"] = max(1, -(-state["retention_hours"] // 24))
    return {"properties": properties}


def hub_after_write(answer: Mapping[str, Any], before: Optional[Mapping[str, Any]],
                    desired: Mapping[str, Any]) -> Dict[str, Any]:
    """The hub as a write left it. Azure's answer to an update PUT carries placeholders (`partitionIds: []`,
    `createdAt: 0001-01-01`) and older API versions leave retentionDescription out: what the answer lacks is
    taken from what was asked, and the partition ids from the read before the write when the count is the same.
    Partition ids stay empty only when the count changed; the caller reads the hub again then."""
    state = hub_state_from_api(answer)
    if state["cleanup_policy"] is None:
        for key in ("cleanup_policy", "retention_hours", "tombstone_retention_hours"):
            state[key] = desired.get(key)
    for key in ("partition_count", "status"):
        if state[key] is None:
            state[key] = desired.get(key)
    if not state["partition_ids"] and before and state["partition_count"] == before.get("partition_count"):
        state["partition_ids"] = list(before.get("partition_ids") or [])
    return state


def comparable(state: Optional[Mapping[str, Any]], fields: tuple) -> Dict[str, Any]:
    if state is None:
        return {}
    return {k: state.get(k) for k in ("name",) + fields if k in state}


def changed_fields(before: Optional[Mapping[str, Any]], after: Mapping[str, Any], fields: tuple) -> List[str]:
    """Fields that differ; a field unknown on either side (None) is not a change."""
    if before is None:
        return list(fields)
    return [k for k in fields if before.get(k) is not None and after.get(k) is not None
            and _normalize(k, before.get(k)) != _normalize(k, after.get(k))]


def _normalize(field: str, value: Any) -> Any:
    if field == "location" and isinstance(value, str):
        return value.replace(" ", "").lower()
    if field == "tags":
        return dict(value or {})
    return value


# ---- namespaces ---------------------------------------------------------------------------------

def namespace_spec_from_options(options: Mapping[str, Any]) -> Dict[str, Any]:
    return {k: options.get(k) for k in NAMESPACE_FIELDS}


def _optional_bool(value: Any) -> Optional[bool]:
    return None if value is None else bool(value)


def namespace_state_from_api(resource: Mapping[str, Any]) -> Dict[str, Any]:
    """The normalized namespace; optional fields the answer leaves out are None (unknown), not defaults."""
    props = _properties(resource)
    sku = resource.get("sku") or {}
    auto_inflate = _optional_bool(props.get("isAutoInflateEnabled"))
    maximum = props.get("maximumThroughputUnits")
    return {
        "name": resource.get("name"),
        "id": resource.get("id"),
        "location": resource.get("location"),
        "sku": sku.get("name"),
        "capacity": sku.get("capacity"),
        "auto_inflate": auto_inflate,
        "maximum_throughput_units": 0 if auto_inflate is False else maximum,
        "zone_redundant": _optional_bool(props.get("zoneRedundant")),
        "minimum_tls_version": props.get("minimumTlsVersion"),
        "public_network_access": props.get("publicNetworkAccess"),
        "disable_local_auth": _optional_bool(props.get("disableLocalAuth")),
        "tags": dict(resource.get("tags") or {}),
        "kafka_enabled": props.get("kafkaEnabled"),
        "cluster_arm_id": props.get("clusterArmId"),
        "service_bus_endpoint": props.get("serviceBusEndpoint"),
        "provisioning_state": props.get("provisioningState"),
        "status": props.get("status"),
    }


def merge_namespace(name: str, existing: Optional[Mapping[str, Any]], spec: Mapping[str, Any]) -> Dict[str, Any]:
    base = dict(NAMESPACE_CREATE_DEFAULTS) if existing is None else {k: existing.get(k) for k in NAMESPACE_FIELDS}
    desired = dict(base)
    desired.update({k: v for k, v in spec.items() if v is not None})
    if existing is not None and spec.get("location") is not None:
        # Location cannot move; keep Azure's spelling when only the spelling differs.
        if _normalize("location", spec["location"]) == _normalize("location", existing.get("location")):
            desired["location"] = existing.get("location")
    if desired.get("auto_inflate") is False:
        desired["maximum_throughput_units"] = 0
    if existing is not None:
        # Zone redundancy is set at creation and cannot change: the namespace keeps what Azure chose.
        desired["zone_redundant"] = existing.get("zone_redundant")
    desired["name"] = name
    return desired


def namespace_body(state: Mapping[str, Any]) -> Dict[str, Any]:
    """The PUT body; a field that is unknown (None) is left out, so Azure keeps or chooses it."""
    candidates = {
        "isAutoInflateEnabled": state["auto_inflate"],
        "zoneRedundant": state.get("zone_redundant"),
        "minimumTlsVersion": state["minimum_tls_version"],
        "publicNetworkAccess": state["public_network_access"],
        "disableLocalAuth": state["disable_local_auth"],
    }
    properties = {key: value for key, value in candidates.items() if value is not None}
    if state["auto_inflate"]:
        properties["maximumThroughputUnits"] = state["maximum_throughput_units"]
    return {
        "location": state["location"],
        "tags": dict(state.get("tags") or {}),
        "sku": {"name": state["sku"], "tier": state["sku"], "capacity": state["capacity"]},
        "properties": properties,
    }


# ---- authorization rules (their Kafka settings: _kafka_connection.py) --------------------------

def rule_state_from_api(resource: Mapping[str, Any]) -> Dict[str, Any]:
    return {"name": resource.get("name"), "rights": sorted(_properties(resource).get("rights") or [])}


def rule_body(rights: List[str]) -> Dict[str, Any]:
    return {"properties": {"rights": sorted(set(rights))}}


def access_keys_result(keys: Mapping[str, Any]) -> Dict[str, Optional[str]]:
    return {
        "key_name": keys.get("keyName"),
        "primary_connection_string": keys.get("primaryConnectionString"),
        "secondary_connection_string": keys.get("secondaryConnectionString"),
        "primary_key": keys.get("primaryKey"),
        "secondary_key": keys.get("secondaryKey"),
    }
