# SPDX-License-Identifier: GPL-3.0-or-later
"""What the test double does for each ARM call: resource groups and the Microsoft.EventHub resource provider
(namespaces, event hubs, authorization rules, consumer groups), with Azure's rules and error answers."""
from __future__ import annotations

import base64
import math
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from . import eventhub_rules as rules
from . import resources
from .errors import ArmError, bad_request, in_transition, not_found, quota_conflict
from .store import Store


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def new_key() -> str:
    """SAS keys are 32 random bytes in base64: 44 characters."""
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def new_rule(name: str, rights: list[str]) -> dict:
    return {"name": name, "rights": rights, "primaryKey": new_key(), "secondaryKey": new_key()}


def body_properties(body: Any) -> dict:
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    properties = body.get("properties") or {}
    if not isinstance(properties, dict):
        raise bad_request("The 'properties' of the request body must be a JSON object.")
    return properties


class Provider:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.config = store.config
        self.fail_next_lro = False
        # Optional properties left out of answers, as older API versions do (control `omit-fields`)
        self.omitted_fields: set[str] = set()

    # Helpers -------------------------------------------------------------------------------------------
    @property
    def subscription(self) -> str:
        return self.config.subscription_id

    def check_subscription(self, subscription: str) -> None:
        if subscription.lower() != self.subscription.lower():
            raise not_found("SubscriptionNotFound", f"The subscription '{subscription}' could not be found.")

    def resource_group(self, subscription: str, group: str) -> dict:
        self.check_subscription(subscription)
        found = self.store.state["resourceGroups"].get(group.lower())
        if not found:
            raise not_found("ResourceGroupNotFound", f"Resource group '{group}' could not be found.")
        return found

    def namespace(self, subscription: str, group: str, name: str) -> dict:
        found_group = self.resource_group(subscription, group)
        namespace = self.store.state["namespaces"].get(name.lower())
        if not namespace or namespace["resourceGroup"].lower() != found_group["name"].lower():
            raise not_found(
                "ResourceNotFound",
                f"The Resource 'Microsoft.EventHub/namespaces/{name}' under resource group '{group}' was not found. "
                "For more details please go to https://aka.ms/ARMResourceNotFoundFix",
            )
        return namespace

    def writable_namespace(self, subscription: str, group: str, name: str) -> dict:
        """Writes while the namespace is being provisioned or deleted are refused with 429, as Azure does."""
        namespace = self.namespace(subscription, group, name)
        operation = namespace.get("operation")
        if operation:
            raise in_transition(namespace["name"], max(1, math.ceil(operation["until"] - time.time())))
        return namespace

    @staticmethod
    def tracker(namespace: dict, entity: str = "") -> str:
        suffix = f":{entity}" if entity else ""
        return f"{namespace['name'].lower()}.servicebus.windows.net{suffix}"

    def event_hub(self, namespace: dict, name: str) -> dict:
        hub = namespace["eventhubs"].get(name.lower())
        if not hub:
            raise not_found(
                "NotFound",
                f"The messaging entity '{namespace['name'].lower()}:eventhub:{name}' could not be found. "
                "To know more visit https://aka.ms/sbResourceMgrExceptions.",
            )
        return hub

    def ns_json(self, namespace: dict) -> dict:
        return self.without_omitted(resources.namespace_json(self.subscription, self.config.client_id, namespace))

    def hub_json(self, namespace: dict, hub: dict) -> dict:
        return self.without_omitted(resources.event_hub_json(self.subscription, namespace, hub))

    def without_omitted(self, resource: dict) -> dict:
        for name in self.omitted_fields:
            resource["properties"].pop(name, None)
        return resource

    def commit(self, keys_changed: bool = False) -> None:
        self.store.save()
        if keys_changed:
            self.store.write_kafka_credentials()

    def operation_headers(self, operation_id: str, namespace: dict, api_version: str) -> dict[str, str]:
        base = self.config.base_url
        async_url = (
            f"{base}/subscriptions/{self.subscription}/providers/Microsoft.EventHub/locations/{namespace['location']}"
            f"/operationStatuses/{operation_id}?api-version={api_version}"
        )
        location = f"{base}{resources.namespace_id(self.subscription, namespace)}/operationresults/{operation_id}?api-version={api_version}"
        return {"Azure-AsyncOperation": async_url, "Location": location, **self.poll_delay_headers()}

    def poll_delay_headers(self) -> dict[str, str]:
        """Tell the SDK's poller to come back when the operation could be done (its default is 30 s)."""
        delay = self.config.lro_delay
        if delay >= 1:
            return {"Retry-After": str(math.ceil(delay))}
        return {"Retry-After-Ms": str(max(10, int(delay * 1000)))}

    # Resource groups ----------------------------------------------------------------------------------
    def get_resource_group(self, subscription: str, group: str) -> Reply:
        return Reply(200, resources.resource_group_json(self.subscription, self.resource_group(subscription, group)))

    def resource_group_exists(self, subscription: str, group: str) -> Reply:
        self.resource_group(subscription, group)
        return Reply(204)

    def list_resource_groups(self, subscription: str) -> Reply:
        self.check_subscription(subscription)
        groups = self.store.state["resourceGroups"].values()
        return Reply(200, {"value": [resources.resource_group_json(self.subscription, g) for g in groups]})

    def put_resource_group(self, subscription: str, group: str, body: Any) -> Reply:
        self.check_subscription(subscription)
        if not isinstance(body, dict) or not body.get("location"):
            raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
        groups = self.store.state["resourceGroups"]
        existing = groups.get(group.lower())
        status = 200 if existing else 201
        record = existing or {"name": group, "createdAt": time.time()}
        record.update(location=normalized_location(body["location"]), tags=body.get("tags") or {})
        groups[group.lower()] = record
        self.commit()
        return Reply(status, resources.resource_group_json(self.subscription, record))

    def delete_resource_group(self, subscription: str, group: str) -> Reply:
        found = self.resource_group(subscription, group)
        namespaces = self.store.state["namespaces"]
        for key in [k for k, ns in namespaces.items() if ns["resourceGroup"].lower() == found["name"].lower()]:
            del namespaces[key]
        del self.store.state["resourceGroups"][group.lower()]
        self.commit(keys_changed=True)
        return Reply(200)

    # Namespaces ---------------------------------------------------------------------------------------
    def check_name_availability(self, subscription: str, body: Any) -> Reply:
        self.check_subscription(subscription)
        name = body.get("name", "") if isinstance(body, dict) else ""
        problem = rules.namespace_name_problem(name)
        if problem:
            return Reply(200, {"nameAvailable": False, "reason": "InvalidName", "message": problem})
        if name.lower() in self.store.state["namespaces"]:
            return Reply(200, {"nameAvailable": False, "reason": "NameInUse", "message": "The specified name is not available."})
        return Reply(200, {"nameAvailable": True, "reason": "None", "message": ""})

    def list_namespaces(self, subscription: str, group: str | None) -> Reply:
        if group is None:
            self.check_subscription(subscription)
        else:
            self.resource_group(subscription, group)
        namespaces = [
            ns for ns in self.store.state["namespaces"].values() if group is None or ns["resourceGroup"].lower() == group.lower()
        ]
        return Reply(200, {"value": [self.ns_json(ns) for ns in namespaces]})

    def get_namespace(self, subscription: str, group: str, name: str) -> Reply:
        return Reply(200, self.ns_json(self.namespace(subscription, group, name)))

    def desired_namespace_settings(self, body: dict, current: dict | None) -> dict:
        """Validate a PUT/PATCH body (merged over the current settings for PATCH) into stored settings."""
        properties = body_properties(body)
        sku = rules.validated_sku(body.get("sku"))
        tier = sku["tier"]
        if current and (current["sku"]["tier"] == "Premium") != (tier == "Premium"):
            raise bad_request(f"Updating the namespace SKU from {current['sku']['tier']} to {tier} is not supported.")
        auto_inflate, maximum = rules.validated_auto_inflate(tier, sku["capacity"], properties)
        location = normalized_location(body.get("location") or "")
        if not location:
            raise ArmError(400, "LocationRequired", "The location property is required for this definition.")
        if current and current["location"] != location:
            raise bad_request(f"The location of namespace '{current['name']}' can't be changed from {current['location']} to {location}.")
        if current:
            # Azure habit: zone redundancy is fixed at creation; an update leaves it as it is
            zone_redundant = current["properties"]["zoneRedundant"]
        else:
            zone_redundant = location in rules.AVAILABILITY_ZONE_REGIONS or bool(properties.get("zoneRedundant", False))
        return {
            "sku": sku,
            "location": location,
            "tags": body.get("tags") or {},
            "properties": {
                "minimumTlsVersion": rules.canonical_choice("minimumTlsVersion", properties.get("minimumTlsVersion", "1.2"), rules.TLS_VERSIONS),
                "publicNetworkAccess": rules.canonical_choice(
                    "publicNetworkAccess", properties.get("publicNetworkAccess", "Enabled"), rules.PUBLIC_NETWORK_ACCESS
                ),
                "disableLocalAuth": bool(properties.get("disableLocalAuth", False)),
                "zoneRedundant": zone_redundant,
                "isAutoInflateEnabled": auto_inflate,
                "maximumThroughputUnits": maximum,
            },
        }

    def put_namespace(self, subscription: str, group: str, name: str, body: Any, api_version: str) -> Reply:
        found_group = self.resource_group(subscription, group)
        existing = self.store.state["namespaces"].get(name.lower())
        if existing and existing["resourceGroup"].lower() != found_group["name"].lower():
            raise bad_request("The specified name is not available. For more information visit https://aka.ms/eventhubsarmexceptions.")
        if not existing:
            problem = rules.namespace_name_problem(name)
            if problem:
                raise bad_request(problem)
        else:
            self.writable_namespace(subscription, group, name)
        settings = self.desired_namespace_settings(body, existing)
        now = time.time()
        if existing:
            namespace = existing
        else:
            namespace = {
                "name": name, "resourceGroup": found_group["name"], "createdAt": now, "failed": False,
                "authorizationRules": {"rootmanagesharedaccesskey": new_rule("RootManageSharedAccessKey", ["Listen", "Manage", "Send"])},
                "eventhubs": {},
            }
            self.store.state["namespaces"][name.lower()] = namespace
        namespace.update(settings, updatedAt=now)
        fail, self.fail_next_lro = self.fail_next_lro, False
        operation_id = self.store.start_operation(namespace, "update" if existing else "create", fail)
        self.commit(keys_changed=True)
        headers = self.operation_headers(operation_id, namespace, api_version)
        return Reply(200 if existing else 201, self.ns_json(namespace), headers)

    def patch_namespace(self, subscription: str, group: str, name: str, body: Any) -> Reply:
        namespace = self.writable_namespace(subscription, group, name)
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object.")
        current = self.ns_json(namespace)
        merged = {
            "location": body.get("location") or current["location"],
            "tags": body["tags"] if "tags" in body else current["tags"],
            "sku": {**current["sku"], **(body.get("sku") or {})},
            "properties": {**current["properties"], **body_properties(body)},
        }
        namespace.update(self.desired_namespace_settings(merged, namespace), updatedAt=time.time())
        self.commit(keys_changed=True)
        return Reply(200, self.ns_json(namespace))

    def delete_namespace(self, subscription: str, group: str, name: str, api_version: str) -> Reply:
        try:
            namespace = self.writable_namespace(subscription, group, name)
        except ArmError as error:
            if error.status == 404 and error.code == "ResourceNotFound":
                return Reply(204)
            raise
        operation_id = self.store.start_operation(namespace, "delete")
        self.commit(keys_changed=True)
        headers = self.operation_headers(operation_id, namespace, api_version)
        del headers["Azure-AsyncOperation"]
        return Reply(202, None, headers)

    def operation_record(self, subscription: str, operation_id: str) -> dict:
        self.check_subscription(subscription)
        record = self.store.state["operations"].get(operation_id)
        if not record:
            raise not_found("OperationNotFound", f"The operation '{operation_id}' could not be found.")
        return record

    def operation_status(self, subscription: str, operation_id: str) -> Reply:
        record = self.operation_record(subscription, operation_id)
        body: dict[str, Any] = {
            "id": operation_id, "name": operation_id, "status": record["status"],
            "startTime": resources.timestamp(record["startTime"]),
        }
        if record["endTime"]:
            body["endTime"] = resources.timestamp(record["endTime"])
        if record["status"] == "Failed":
            body["error"] = {"code": "InternalServerError", "message": "The namespace provisioning failed (injected by the test double)."}
        headers = self.poll_delay_headers() if record["status"] == "InProgress" else {}
        return Reply(200, body, headers)

    def operation_result(self, subscription: str, group: str, name: str, operation_id: str) -> Reply:
        """The `Location` poll: 202 while running, then 200 (empty for a delete, the namespace for a create)."""
        record = self.operation_record(subscription, operation_id)
        if record["status"] == "InProgress":
            return Reply(202, None, self.poll_delay_headers())
        if record["status"] == "Failed":
            raise ArmError(500, "InternalServerError", "The namespace provisioning failed (injected by the test double).")
        if record["kind"] == "delete":
            return Reply(200)
        return self.get_namespace(subscription, group, name)

    # Authorization rules ------------------------------------------------------------------------------
    def rule_scope(self, subscription: str, group: str, name: str, hub_name: str | None, write: bool) -> tuple[dict, dict, str, str]:
        """(namespace, rule dict, parent id, parent type) for a namespace- or event-hub-level rule."""
        namespace = (self.writable_namespace if write else self.namespace)(subscription, group, name)
        parent_id = resources.namespace_id(self.subscription, namespace)
        if hub_name is None:
            return namespace, namespace["authorizationRules"], parent_id, "Microsoft.EventHub/Namespaces"
        hub = self.event_hub(namespace, hub_name)
        return namespace, hub["authorizationRules"], f"{parent_id}/eventhubs/{hub['name']}", "Microsoft.EventHub/Namespaces/EventHubs"

    def rule(self, rules_of_scope: dict, name: str, namespace: dict) -> dict:
        found = rules_of_scope.get(name.lower())
        if not found:
            raise not_found(
                "NotFound",
                f"The authorization rule '{name}' could not be found in namespace '{namespace['name']}'. "
                "To know more visit https://aka.ms/sbResourceMgrExceptions.",
            )
        return found

    def list_rules(self, subscription: str, group: str, name: str, hub_name: str | None) -> Reply:
        namespace, scope, parent_id, parent_type = self.rule_scope(subscription, group, name, hub_name, write=False)
        value = [resources.authorization_rule_json(parent_id, parent_type, namespace["location"], r) for r in scope.values()]
        return Reply(200, {"value": value})

    def get_rule(self, subscription: str, group: str, name: str, hub_name: str | None, rule_name: str) -> Reply:
        namespace, scope, parent_id, parent_type = self.rule_scope(subscription, group, name, hub_name, write=False)
        rule = self.rule(scope, rule_name, namespace)
        return Reply(200, resources.authorization_rule_json(parent_id, parent_type, namespace["location"], rule))

    def put_rule(self, subscription: str, group: str, name: str, hub_name: str | None, rule_name: str, body: Any) -> Reply:
        namespace, scope, parent_id, parent_type = self.rule_scope(subscription, group, name, hub_name, write=True)
        rules.check_entity_name("authorization rule", rule_name, rules.CHILD_NAME)
        rights = rules.validated_rights(body_properties(body).get("rights"))
        rule = scope.get(rule_name.lower())
        if rule is None:
            if len(scope) >= rules.MAX_AUTHORIZATION_RULES:
                raise quota_conflict("AuthorizationRule", len(scope), rules.MAX_AUTHORIZATION_RULES, self.tracker(namespace))
            rule = scope[rule_name.lower()] = new_rule(rule_name, rights)
        rule["rights"] = rights
        self.commit(keys_changed=hub_name is None)
        return Reply(200, resources.authorization_rule_json(parent_id, parent_type, namespace["location"], rule))

    def delete_rule(self, subscription: str, group: str, name: str, hub_name: str | None, rule_name: str) -> Reply:
        _namespace, scope, _parent_id, _parent_type = self.rule_scope(subscription, group, name, hub_name, write=True)
        if scope.pop(rule_name.lower(), None) is None:
            return Reply(204)
        self.commit(keys_changed=hub_name is None)
        return Reply(200)

    def list_keys(self, subscription: str, group: str, name: str, hub_name: str | None, rule_name: str) -> Reply:
        namespace, scope, _parent_id, _parent_type = self.rule_scope(subscription, group, name, hub_name, write=False)
        rule = self.rule(scope, rule_name, namespace)
        return Reply(200, resources.access_keys_json(namespace["name"], rule, self.entity_name(namespace, hub_name)))

    def regenerate_keys(self, subscription: str, group: str, name: str, hub_name: str | None, rule_name: str, body: Any) -> Reply:
        namespace, scope, _parent_id, _parent_type = self.rule_scope(subscription, group, name, hub_name, write=True)
        rule = self.rule(scope, rule_name, namespace)
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object with keyType PrimaryKey or SecondaryKey.")
        key_type = rules.canonical_choice("keyType", body.get("keyType"), ("PrimaryKey", "SecondaryKey"))
        key = body.get("key") or new_key()
        if not isinstance(key, str) or len(key) < 16:
            raise bad_request("The supplied key is invalid: it must be a base64 string of at least 16 characters.")
        rule["primaryKey" if key_type == "PrimaryKey" else "secondaryKey"] = key
        self.commit(keys_changed=hub_name is None)
        return Reply(200, resources.access_keys_json(namespace["name"], rule, self.entity_name(namespace, hub_name)))

    def entity_name(self, namespace: dict, hub_name: str | None) -> str | None:
        return None if hub_name is None else self.event_hub(namespace, hub_name)["name"]

    # Event hubs ---------------------------------------------------------------------------------------
    def list_event_hubs(self, subscription: str, group: str, name: str) -> Reply:
        namespace = self.namespace(subscription, group, name)
        return Reply(200, {"value": [self.hub_json(namespace, hub) for hub in namespace["eventhubs"].values()]})

    def get_event_hub(self, subscription: str, group: str, name: str, hub_name: str) -> Reply:
        namespace = self.namespace(subscription, group, name)
        return Reply(200, self.hub_json(namespace, self.event_hub(namespace, hub_name)))

    def put_event_hub(self, subscription: str, group: str, name: str, hub_name: str, body: Any) -> Reply:
        namespace = self.writable_namespace(subscription, group, name)
        rules.check_entity_name("event hub", hub_name, rules.EVENT_HUB_NAME)
        properties = body_properties(body)
        tier, capacity = namespace["sku"]["tier"], namespace["sku"]["capacity"]
        tracker = self.tracker(namespace, hub_name)
        hub = namespace["eventhubs"].get(hub_name.lower())
        if hub is None:
            allowed = rules.TIERS[tier].max_event_hubs(capacity)
            if len(namespace["eventhubs"]) >= allowed:
                raise quota_conflict("EventHub", len(namespace["eventhubs"]), allowed, tracker)
        partitions = rules.validated_partition_count(tier, properties.get("partitionCount"), hub and hub["partitionCount"], tracker)
        retention = rules.validated_retention(tier, properties, tracker)
        status = rules.canonical_choice(
            "status", properties.get("status", "Active"),
            ("Active", "Disabled", "SendDisabled", "ReceiveDisabled"),
        )
        now = time.time()
        updating = hub is not None
        if hub is None:
            hub = {"name": hub_name, "createdAt": now, "authorizationRules": {}, "consumerGroups": {}}
            namespace["eventhubs"][hub_name.lower()] = hub
        hub.update(
            partitionCount=partitions, status=status, updatedAt=now, userMetadata=properties.get("userMetadata"),
            retention={
                "cleanupPolicy": retention.cleanup_policy,
                "retentionTimeInHours": retention.retention_hours,
                "messageRetentionInDays": retention.message_retention_days(),
                "tombstoneRetentionTimeInHours": retention.tombstone_hours,
                "minCompactionLagTimeInMinutes": retention.min_compaction_lag_minutes,
            },
        )
        self.commit()
        answer = self.hub_json(namespace, hub)
        if updating:
            # Azure habit (recorded, api-version 2017-04-01): the answer to an update PUT carries placeholders,
            # not the hub's partitions and times
            answer["properties"].update(partitionIds=[], createdAt="0001-01-01T00:00:00", updatedAt="0001-01-01T00:00:00")
        return Reply(200, answer)

    def delete_event_hub(self, subscription: str, group: str, name: str, hub_name: str) -> Reply:
        namespace = self.writable_namespace(subscription, group, name)
        if namespace["eventhubs"].pop(hub_name.lower(), None) is None:
            return Reply(204)
        self.commit()
        return Reply(200)

    # Consumer groups ----------------------------------------------------------------------------------
    @staticmethod
    def consumer_groups(hub: dict) -> dict:
        """`$Default` exists in every event hub without being stored."""
        default = {"name": "$Default", "createdAt": hub["createdAt"], "updatedAt": hub["createdAt"]}
        return {"$default": default, **hub["consumerGroups"]}

    def consumer_group_not_found(self, namespace: dict, hub: dict, group_name: str) -> ArmError:
        return not_found(
            "NotFound",
            f"The messaging entity '{namespace['name'].lower()}:eventhub:{hub['name']}/consumergroups/{group_name}' could not be found. "
            "To know more visit https://aka.ms/sbResourceMgrExceptions.",
        )

    def list_consumer_groups(self, subscription: str, group: str, name: str, hub_name: str) -> Reply:
        namespace = self.namespace(subscription, group, name)
        hub = self.event_hub(namespace, hub_name)
        value = [resources.consumer_group_json(self.subscription, namespace, hub, g) for g in self.consumer_groups(hub).values()]
        return Reply(200, {"value": value})

    def get_consumer_group(self, subscription: str, group: str, name: str, hub_name: str, group_name: str) -> Reply:
        namespace = self.namespace(subscription, group, name)
        hub = self.event_hub(namespace, hub_name)
        found = self.consumer_groups(hub).get(group_name.lower())
        if not found:
            raise self.consumer_group_not_found(namespace, hub, group_name)
        return Reply(200, resources.consumer_group_json(self.subscription, namespace, hub, found))

    def put_consumer_group(self, subscription: str, group: str, name: str, hub_name: str, group_name: str, body: Any) -> Reply:
        namespace = self.writable_namespace(subscription, group, name)
        hub = self.event_hub(namespace, hub_name)
        properties = body_properties(body if body is not None else {})
        tier = namespace["sku"]["tier"]
        tracker = self.tracker(namespace, hub["name"])
        if group_name.lower() == "$default":
            return Reply(200, resources.consumer_group_json(self.subscription, namespace, hub, self.consumer_groups(hub)["$default"]))
        rules.check_entity_name("consumer group", group_name, rules.CHILD_NAME)
        if tier == "Basic":
            raise bad_request(
                f"The operation can't be done on entity type 'ConsumerGroup' because the namespace '{namespace['name']}' "
                "is using 'Basic' tier.", tracker,
            )
        existing = hub["consumerGroups"].get(group_name.lower())
        now = time.time()
        if existing is None:
            allowed = rules.TIERS[tier].consumer_groups
            count = len(self.consumer_groups(hub))
            if count >= allowed:
                raise quota_conflict("ConsumerGroup", count, allowed, tracker)
            existing = hub["consumerGroups"][group_name.lower()] = {"name": group_name, "createdAt": now}
        existing.update(updatedAt=now, userMetadata=properties.get("userMetadata"))
        self.commit()
        return Reply(200, resources.consumer_group_json(self.subscription, namespace, hub, existing))

    def delete_consumer_group(self, subscription: str, group: str, name: str, hub_name: str, group_name: str) -> Reply:
        namespace = self.writable_namespace(subscription, group, name)
        hub = self.event_hub(namespace, hub_name)
        if group_name.lower() == "$default":
            raise bad_request("The consumer group '$Default' can't be deleted.", self.tracker(namespace, hub["name"]))
        if hub["consumerGroups"].pop(group_name.lower(), None) is None:
            return Reply(204)
        self.commit()
        return Reply(200)

    # State dump for tests -----------------------------------------------------------------------------
    def dump(self) -> dict:
        """Every resource in its ARM shape, children nested, keys left out (tests read this back)."""
        namespaces = []
        for namespace in self.store.state["namespaces"].values():
            parent_id = resources.namespace_id(self.subscription, namespace)
            rendered = self.ns_json(namespace)
            rendered["authorizationRules"] = [
                resources.authorization_rule_json(parent_id, "Microsoft.EventHub/Namespaces", namespace["location"], rule)
                for rule in namespace["authorizationRules"].values()
            ]
            rendered["eventhubs"] = []
            for hub in namespace["eventhubs"].values():
                hub_rendered = self.hub_json(namespace, hub)
                hub_rendered["consumerGroups"] = [
                    resources.consumer_group_json(self.subscription, namespace, hub, g) for g in self.consumer_groups(hub).values()
                ]
                hub_rendered["authorizationRules"] = [
                    resources.authorization_rule_json(hub_rendered["id"], "Microsoft.EventHub/Namespaces/EventHubs", namespace["location"], r)
                    for r in hub["authorizationRules"].values()
                ]
                rendered["eventhubs"].append(hub_rendered)
            namespaces.append(rendered)
        groups = [resources.resource_group_json(self.subscription, g) for g in self.store.state["resourceGroups"].values()]
        assignments = [{"name": a["name"], "scope": a["scope"], "roleDefinitionId": a["roleDefinitionId"],
                        "principalId": a["principalId"]} for a in self.store.state.get("roleAssignments", {}).values()]
        return {"subscriptionId": self.subscription, "resourceGroups": groups, "namespaces": namespaces,
                "roleAssignments": assignments}


def normalized_location(location: str) -> str:
    """Azure answers with the short location name: "West Europe" becomes "westeurope"."""
    return location.replace(" ", "").lower()
