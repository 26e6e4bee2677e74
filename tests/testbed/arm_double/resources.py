# SPDX-License-Identifier: GPL-3.0-or-later
"""ARM JSON shapes of the stored resources, as api-version 2026-01-01 answers (see shared azure-recordings)."""
from __future__ import annotations

import datetime

PROVIDER = "Microsoft.EventHub"


def timestamp(epoch: float) -> str:
    """Azure prints seven fractional digits and a Z."""
    moment = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


def resource_group_id(subscription: str, group: str) -> str:
    return f"/subscriptions/{subscription}/resourceGroups/{group}"


def namespace_id(subscription: str, namespace: dict) -> str:
    return f"{resource_group_id(subscription, namespace['resourceGroup'])}/providers/{PROVIDER}/namespaces/{namespace['name']}"


def system_data(principal: str, created: float, updated: float) -> dict:
    return {
        "createdBy": principal, "createdByType": "Application", "createdAt": timestamp(created),
        "lastModifiedBy": principal, "lastModifiedByType": "Application", "lastModifiedAt": timestamp(updated),
    }


def resource_group_json(subscription: str, group: dict) -> dict:
    return {
        "id": resource_group_id(subscription, group["name"]),
        "name": group["name"],
        "type": "Microsoft.Resources/resourceGroups",
        "location": group["location"],
        "tags": group.get("tags") or {},
        "properties": {"provisioningState": "Succeeded"},
    }


def namespace_states(namespace: dict) -> tuple[str, str]:
    """(provisioningState, status) as Azure reports them during and after an operation."""
    operation = namespace.get("operation")
    if operation and operation.get("states"):
        return operation["states"][0], operation["states"][1]
    if operation:
        return {"create": ("Created", "Activating"), "update": ("Updating", "Active"), "delete": ("Deleting", "Removing")}[operation["kind"]]
    if namespace.get("failed"):
        return "Failed", "Unknown"
    return "Succeeded", "Active"


def namespace_json(subscription: str, principal: str, namespace: dict) -> dict:
    provisioning, status = namespace_states(namespace)
    properties = namespace["properties"]
    return {
        "sku": dict(namespace["sku"]),
        "id": namespace_id(subscription, namespace),
        "name": namespace["name"],
        "type": f"{PROVIDER}/Namespaces",
        "location": namespace["location"],
        "tags": dict(namespace.get("tags") or {}),
        "systemData": system_data(principal, namespace["createdAt"], namespace["updatedAt"]),
        "properties": {
            "geoDataReplication": {
                "maxReplicationLagDurationInSeconds": 0,
                "locations": [{"locationName": namespace["location"], "roleType": "Primary", "replicaState": "Ready"}],
            },
            "minimumTlsVersion": properties["minimumTlsVersion"],
            "publicNetworkAccess": properties["publicNetworkAccess"],
            "disableLocalAuth": properties["disableLocalAuth"],
            "zoneRedundant": properties["zoneRedundant"],
            "metricId": f"{subscription}:{namespace['name'].lower()}",
            "serviceBusEndpoint": f"https://{namespace['name']}.servicebus.windows.net:443/",
            "isAutoInflateEnabled": properties["isAutoInflateEnabled"],
            "maximumThroughputUnits": properties["maximumThroughputUnits"],
            "kafkaEnabled": namespace["sku"]["tier"] != "Basic",
            "provisioningState": provisioning,
            "status": status,
            "createdAt": timestamp(namespace["createdAt"]),
            "updatedAt": timestamp(namespace["updatedAt"]),
        },
    }


def event_hub_id(subscription: str, namespace: dict, hub: dict) -> str:
    return f"{namespace_id(subscription, namespace)}/eventhubs/{hub['name']}"


def event_hub_json(subscription: str, namespace: dict, hub: dict) -> dict:
    retention = hub["retention"]
    description = {"cleanupPolicy": retention["cleanupPolicy"], "retentionTimeInHours": retention["retentionTimeInHours"]}
    for field in ("tombstoneRetentionTimeInHours", "minCompactionLagTimeInMinutes"):
        if retention.get(field) is not None:
            description[field] = retention[field]
    properties = {
        "messageRetentionInDays": retention["messageRetentionInDays"],
        "partitionCount": hub["partitionCount"],
        "status": hub["status"],
        "createdAt": timestamp(hub["createdAt"]),
        "updatedAt": timestamp(hub["updatedAt"]),
        "partitionIds": [str(index) for index in range(hub["partitionCount"])],
        "retentionDescription": description,
    }
    if hub.get("userMetadata") is not None:
        properties["userMetadata"] = hub["userMetadata"]
    return {
        "id": event_hub_id(subscription, namespace, hub),
        "name": hub["name"],
        "type": f"{PROVIDER}/Namespaces/EventHubs",
        "location": namespace["location"],
        "properties": properties,
    }


def authorization_rule_json(parent_id: str, parent_type: str, location: str, rule: dict) -> dict:
    return {
        "id": f"{parent_id}/authorizationRules/{rule['name']}",
        "name": rule["name"],
        "type": f"{parent_type}/AuthorizationRules",
        "location": location,
        "properties": {"rights": list(rule["rights"])},
    }


def connection_string(namespace_name: str, rule_name: str, key: str, entity: str | None) -> str:
    value = f"Endpoint=sb://{namespace_name.lower()}.servicebus.windows.net/;SharedAccessKeyName={rule_name};SharedAccessKey={key}"
    return f"{value};EntityPath={entity}" if entity else value


def access_keys_json(namespace_name: str, rule: dict, entity: str | None) -> dict:
    return {
        "primaryConnectionString": connection_string(namespace_name, rule["name"], rule["primaryKey"], entity),
        "secondaryConnectionString": connection_string(namespace_name, rule["name"], rule["secondaryKey"], entity),
        "primaryKey": rule["primaryKey"],
        "secondaryKey": rule["secondaryKey"],
        "keyName": rule["name"],
    }


def consumer_group_json(subscription: str, namespace: dict, hub: dict, group: dict) -> dict:
    properties = {"createdAt": timestamp(group["createdAt"]), "updatedAt": timestamp(group["updatedAt"])}
    if group.get("userMetadata") is not None:
        properties["userMetadata"] = group["userMetadata"]
    return {
        "id": f"{event_hub_id(subscription, namespace, hub)}/consumergroups/{group['name']}",
        "name": group["name"],
        "type": f"{PROVIDER}/Namespaces/EventHubs/ConsumerGroups",
        "location": namespace["location"],
        "properties": properties,
    }
