#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: create, update or delete event hubs (Kafka topics), one or many per call."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: eventhub
short_description: Create, update or delete Azure event hubs (Kafka topics), one or many in one call
version_added: 0.1.0
description:
  - Manages event hubs in an existing Event Hubs namespace. An event hub is a Kafka topic on the namespace's Kafka
    endpoint.
  - Give one hub with O(name), or many with O(hubs); many are created or updated concurrently.
  - One call takes three round trips to Azure when nothing fails - a token, the namespace and its hubs read
    together, and every changed hub written at once (up to O(max_workers)).
  - Before the first write it reads the namespace's tier and its current event hubs and refuses the whole request
    when any hub breaks a rule of the tier, namely
    the topic budget (10 event hubs on Basic and Standard, 100 per processing unit on Premium, 1000 on Dedicated),
    a partition count change where the tier forbids it (Basic, Standard) or a decrease anywhere,
    a retention longer than the tier allows (1 day Basic, 7 days Standard, 90 days Premium and Dedicated),
    log compaction on Basic, or an invalid name.
  - Options given at the top level are defaults for every entry of O(hubs); an entry's own options win.
  - When creating, unset options default to 1 partition, O(cleanup_policy=delete), 24 hours of retention (24 hours of
    tombstone retention for compacted hubs) and status V(Active). When updating, unset options keep Azure's value.
author:
  - streamops platform team (@streamops)
extends_documentation_fragment:
  - streamops.eventhub_connect.azure
  - streamops.eventhub_connect.azure.attributes
options:
  namespace_name:
    description: Event Hubs namespace that holds the hubs.
    type: str
    required: true
  resource_group:
    description: Resource group of the namespace.
    type: str
    required: true
  name:
    description: Name of one event hub (1-256 letters, digits, C(.), C(-), C(_)). Mutually exclusive with O(hubs).
    type: str
  hubs:
    description: Several event hubs handled in one call. Mutually exclusive with O(name).
    type: list
    elements: dict
    suboptions:
      name:
        description: Event hub name.
        type: str
        required: true
      partition_count:
        description: Number of partitions; see O(partition_count).
        type: int
      retention_hours:
        description: Time retention in hours; see O(retention_hours).
        type: int
      retention_days:
        description: Time retention in days; see O(retention_days).
        type: int
      cleanup_policy:
        description: V(delete) or V(compact); see O(cleanup_policy).
        type: str
        choices: [delete, compact]
      tombstone_retention_hours:
        description: Tombstone retention of a compacted hub; see O(tombstone_retention_hours).
        type: int
      status:
        description: Entity status; see O(status).
        type: str
        choices: [Active, Disabled, SendDisabled, ReceiveDisabled]
  state:
    description: Whether the hubs should exist. V(absent) deletes them with their data.
    type: str
    choices: [present, absent]
    default: present
  partition_count:
    description:
      - Number of partitions. Fixed after creation on Basic and Standard; Premium and Dedicated can only grow.
    type: int
  retention_hours:
    description: How long events are kept, in hours (delete policy only). Mutually exclusive with O(retention_days).
    type: int
  retention_days:
    description: How long events are kept, in days (delete policy only). Mutually exclusive with O(retention_hours).
    type: int
  cleanup_policy:
    description:
      - V(delete) drops events older than the retention. V(compact) keeps the latest event per key, as Kafka
        Connect's config, offset and status topics need. Compaction is not available on Basic.
    type: str
    choices: [delete, compact]
  tombstone_retention_hours:
    description: For compacted hubs, how long a tombstone (an event with a key and no payload) is kept.
    type: int
  status:
    description: Entity status of the hub.
    type: str
    choices: [Active, Disabled, SendDisabled, ReceiveDisabled]
  max_workers:
    description:
      - Hubs written at the same time when several change, at least 1. The default writes up to 16 hubs in one
        wave, which covers the 10 event hubs of a Standard namespace.
    type: int
    default: 16
seealso:
  - module: streamops.eventhub_connect.eventhub_namespace
  - module: streamops.eventhub_connect.eventhub_info
"""

EXAMPLES = r"""
---
- name: One application topic with 4 partitions kept 3 days
  streamops.eventhub_connect.eventhub:
    namespace_name: contoso-connect-ehns
    resource_group: rg-streaming
    name: orders
    partition_count: 4
    retention_days: 3

- name: Kafka Connect's internal topics, compacted, plus application topics, in one call
  streamops.eventhub_connect.eventhub:
    namespace_name: contoso-connect-ehns
    resource_group: rg-streaming
    cleanup_policy: compact
    partition_count: 1
    hubs:
      - name: connect-configs
      - name: connect-offsets
        partition_count: 25
      - name: connect-status
        partition_count: 5
      - name: dbserver1.inventory.customers
        cleanup_policy: delete
        partition_count: 4
        retention_hours: 48
  register: topics

- name: Show how many topics are left
  ansible.builtin.debug:
    msg: "{{ topics.budget.free - topics.budget.requested }} topics left"

- name: Remove a topic
  streamops.eventhub_connect.eventhub:
    namespace_name: contoso-connect-ehns
    resource_group: rg-streaming
    name: orders
    state: absent
"""

RETURN = r"""
eventhub:
  description: The hub after the change (predicted in check mode), when O(name) was given; empty after deletion.
  returned: when O(name) is given
  type: dict
  sample:
    name: orders
    partition_count: 4
    cleanup_policy: delete
    retention_hours: 72
    tombstone_retention_hours: null
    status: Active
    partition_ids: ['0', '1', '2', '3']
hubs:
  description: Every requested hub after the change (predicted in check mode), in request order.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Event hub name.
      type: str
      sample: connect-configs
    partition_count:
      description: Partitions.
      type: int
      sample: 1
    cleanup_policy:
      description: V(delete) or V(compact).
      type: str
      sample: compact
    retention_hours:
      description: Time retention in hours (null for compacted hubs).
      type: int
      sample: 24
    tombstone_retention_hours:
      description: Tombstone retention of compacted hubs (null otherwise).
      type: int
      sample: 24
    status:
      description: Entity status.
      type: str
      sample: Active
    partition_ids:
      description: Partition ids as Azure reports them (empty when predicted).
      type: list
      elements: str
      sample: ['0']
    state:
      description: What happened to the hub, one of V(created), V(updated), V(unchanged), V(deleted) or V(absent).
      type: str
      sample: created
budget:
  description:
    - The namespace's topic budget as planned before the change; O(state=present) only.
    - C(used) counts the hubs that existed, C(requested) the new ones this call adds, C(free) is C(limit - used).
    - Also returned when the call fails because the budget is exceeded.
  returned: when O(state=present)
  type: dict
  sample: {tier: Standard, limit: 10, used: 3, requested: 2, free: 7}
diff:
  description: Before and after state of each changed hub, in diff mode.
  returned: when diff mode is on
  type: dict
  sample: {before: {orders: {retention_hours: 24}}, after: {orders: {retention_hours: 72}}}
"""

from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, List, Optional, Tuple

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._azure import (
    AzureApiError,
    as_json,
    azure_call,
    azure_module,
    eventhub_client,
    get_or_none,
    list_json,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._errors import InvalidInput, run_module
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._eventhub_limits import (
    budget_error,
    hub_option_errors,
    hub_tier_errors,
    namespace_name_error,
    namespace_tier,
    number_error,
    plan_topic_budget,
    resource_group_error,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._eventhub_model import (
    HUB_FIELDS,
    changed_fields,
    comparable,
    hub_after_write,
    hub_body,
    hub_spec_from_options,
    hub_state_from_api,
    merge_hub,
)

HUB_OPTIONS: Dict[str, Any] = {
    "partition_count": {"type": "int"},
    "retention_hours": {"type": "int"},
    "retention_days": {"type": "int"},
    "cleanup_policy": {"type": "str", "choices": ["delete", "compact"]},
    "tombstone_retention_hours": {"type": "int"},
    "status": {"type": "str", "choices": ["Active", "Disabled", "SendDisabled", "ReceiveDisabled"]},
}

ARGUMENT_SPEC: Dict[str, Any] = dict(
    HUB_OPTIONS,
    namespace_name={"type": "str", "required": True},
    resource_group={"type": "str", "required": True},
    name={"type": "str"},
    hubs={"type": "list", "elements": "dict",
          "options": dict(HUB_OPTIONS, name={"type": "str", "required": True})},
    state={"type": "str", "choices": ["present", "absent"], "default": "present"},
    max_workers={"type": "int", "default": 16},
)

# A planned write: hub name, state before (None when new), state after.
Plan = Tuple[str, Optional[Dict[str, Any]], Dict[str, Any]]


class EventHubManager:
    def __init__(self, module: Any) -> None:
        self.module = module
        self.params = module.params
        self.namespace = self.params["namespace_name"]
        self.group = self.params["resource_group"]
        self.client: Any = None

    def requested(self) -> List[Dict[str, Any]]:
        """Each requested hub's options, top-level options filling what an entry leaves unset."""
        defaults = {key: self.params[key] for key in HUB_OPTIONS}
        entries = self.params["hubs"] if self.params["hubs"] is not None else [{"name": self.params["name"]}]
        merged = []
        for entry in entries:
            options = dict(defaults)
            options.update({k: v for k, v in entry.items() if v is not None})
            if entry.get("retention_hours") is not None or entry.get("retention_days") is not None:
                options["retention_hours"] = entry.get("retention_hours")
                options["retention_days"] = entry.get("retention_days")
            elif entry.get("cleanup_policy") == "compact":
                # A shared time retention is meant for the delete-policy entries.
                options["retention_hours"] = options["retention_days"] = None
            merged.append(options)
        return merged

    def input_errors(self, requested: List[Dict[str, Any]]) -> List[str]:
        errors = [error for error in (namespace_name_error(self.namespace), resource_group_error(self.group),
                                      number_error("max_workers", self.params["max_workers"], 1)) if error]
        seen = set()
        for options in requested:
            name = options["name"]
            errors.extend(hub_option_errors(name, options))
            if name.lower() in seen:
                errors.append("event hub '%s' is listed twice" % name)
            seen.add(name.lower())
            if options.get("retention_hours") is not None and options.get("retention_days") is not None:
                errors.append("event hub '%s': give retention_hours or retention_days, not both" % name)
            compact = options.get("cleanup_policy") == "compact"
            if compact and (options.get("retention_hours") is not None or options.get("retention_days") is not None):
                errors.append("event hub '%s': a compacted hub has no time retention; set tombstone_retention_hours"
                              % name)
        return errors

    def run(self) -> Dict[str, Any]:
        requested = self.requested()
        errors = self.input_errors(requested)
        if errors:
            raise InvalidInput("; ".join(errors), code="InvalidParameter")
        self.client = eventhub_client(self.params)
        # the namespace and its hubs are read in one round trip
        with ThreadPoolExecutor(max_workers=2) as pool:
            namespace_read = pool.submit(get_or_none, self.client.namespaces.get, self.group, self.namespace)
            hubs_read = pool.submit(self.get_existing)
            namespace = namespace_read.result()
            if namespace is None:
                hubs_read.exception()  # a missing namespace fails the list too: the GET's answer is the one to report
                raise AzureApiError("namespace '%s' not found in resource group '%s'" % (self.namespace, self.group),
                                    code="ResourceNotFound", status=404)
            existing = hubs_read.result()
        if self.params["state"] == "absent":
            return self.absent(requested, existing)
        return self.present(requested, existing, namespace)

    def get_existing(self) -> Dict[str, Dict[str, Any]]:
        hubs = list_json(self.client.event_hubs.list_by_namespace(self.group, self.namespace))
        return {hub["name"].lower(): hub_state_from_api(hub) for hub in hubs}

    def desired(self, requested: List[Dict[str, Any]], existing: Dict[str, Dict[str, Any]]) -> List[Plan]:
        plans = []
        for options in requested:
            before = existing.get(options["name"].lower())
            name = before["name"] if before else options["name"]
            plans.append((name, before, merge_hub(name, before, hub_spec_from_options(options))))
        return plans

    def present(self, requested: List[Dict[str, Any]], existing: Dict[str, Dict[str, Any]],
                namespace: Dict[str, Any]) -> Dict[str, Any]:
        sku = namespace.get("sku") or {}
        tier = namespace_tier(sku.get("name", ""), (namespace.get("properties") or {}).get("clusterArmId"))
        plans = self.desired(requested, existing)
        budget = plan_topic_budget(tier, sku.get("capacity"), existing, [plan[0] for plan in plans])
        errors = []
        for name, before, after in plans:
            errors.extend(hub_tier_errors(tier, name, after, before))
        if not budget.fits:
            errors.insert(0, budget_error(self.namespace, budget))
        if errors:
            raise InvalidInput("; ".join(errors), code="InvalidParameter", details={"budget": budget.as_dict()})
        writes = [plan for plan in plans if changed_fields(plan[1], plan[2], HUB_FIELDS)]
        written = self.write_all(writes) if not self.module.check_mode else {}
        hubs = []
        for name, before, after in plans:
            changed = any(plan[0] == name for plan in writes)
            state = dict(written.get(name) or (after if changed else before) or after)
            if "partition_ids" not in state:  # predicted in check mode: the read's ids while the count stays
                kept = before if before and before.get("partition_count") == state.get("partition_count") else {}
                state["partition_ids"] = list(kept.get("partition_ids") or [])
            state["state"] = ("updated" if before else "created") if changed else "unchanged"
            hubs.append(state)
        result: Dict[str, Any] = {"changed": bool(writes), "hubs": hubs, "budget": budget.as_dict()}
        self.add_single_and_diff(result, hubs, writes)
        return result

    def write_all(self, writes: List[Plan]) -> Dict[str, Dict[str, Any]]:
        """All writes in one wave; a hub whose partition ids the answer left out (a grown count) is read again."""
        def write(plan: Plan) -> Dict[str, Any]:
            name, before, after = plan
            resource = azure_call(self.client.event_hubs.create_or_update, self.group, self.namespace, name,
                                  hub_body(after))
            state = hub_after_write(as_json(resource), before, after)
            if not state["partition_ids"] and state["partition_count"]:
                fresh = get_or_none(self.client.event_hubs.get, self.group, self.namespace, name)
                state["partition_ids"] = hub_state_from_api(fresh)["partition_ids"] if fresh else []
            return state

        return self.run_concurrently(writes, write)

    def absent(self, requested: List[Dict[str, Any]], existing: Dict[str, Dict[str, Any]]) -> Dict[str, Any]:
        deletes = [(existing[o["name"].lower()]["name"], existing[o["name"].lower()], {})
                   for o in requested if o["name"].lower() in existing]
        if not self.module.check_mode:
            self.run_concurrently(deletes, lambda plan: azure_call(
                self.client.event_hubs.delete, self.group, self.namespace, plan[0]) or {})
        deleted = {plan[0].lower() for plan in deletes}
        hubs = [{"name": o["name"], "state": "deleted" if o["name"].lower() in deleted else "absent"}
                for o in requested]
        result: Dict[str, Any] = {"changed": bool(deletes), "hubs": hubs}
        self.add_single_and_diff(result, [{} for hub in hubs], deletes)
        return result

    def run_concurrently(self, plans: List[Plan], action: Callable[[Plan], Any]) -> Dict[str, Dict[str, Any]]:
        """Run action on each plan, up to max_workers at once; report every failed hub, not only the first."""
        if not plans:
            return {}
        results: Dict[str, Dict[str, Any]] = {}
        failures: List[Tuple[str, AzureApiError]] = []
        with ThreadPoolExecutor(max_workers=max(1, min(self.params["max_workers"], len(plans)))) as pool:
            futures = [(plan[0], pool.submit(action, plan)) for plan in plans]
            for name, future in futures:
                try:
                    results[name] = future.result()
                except AzureApiError as exc:
                    failures.append((name, exc))
        if failures:
            first = failures[0][1]
            # Azure's code leads the message once (ModuleError's str), not once per hub
            message = "; ".join("event hub '%s': %s" % (name, exc.message if exc.code == first.code else exc)
                                for name, exc in failures)
            raise AzureApiError(message, code=first.code, status=first.status,
                                details={"succeeded": sorted(results)})
        return results

    def add_single_and_diff(self, result: Dict[str, Any], hubs: List[Dict[str, Any]], plans: List[Plan]) -> None:
        if self.params["name"] is not None:
            result["eventhub"] = hubs[0]
        if not self.module._diff:
            return
        if self.params["name"] is not None:
            before, after = (plans[0][1], plans[0][2]) if plans else (hubs[0], hubs[0])
            result["diff"] = {"before": comparable(before, HUB_FIELDS), "after": comparable(after, HUB_FIELDS)}
        else:
            result["diff"] = {"before": {plan[0]: comparable(plan[1], HUB_FIELDS) for plan in plans},
                              "after": {plan[0]: comparable(plan[2], HUB_FIELDS) for plan in plans}}


def main() -> None:
    module = azure_module(ARGUMENT_SPEC, supports_check_mode=True,
                          mutually_exclusive=[("name", "hubs"), ("retention_hours", "retention_days")],
                          required_one_of=[("name", "hubs")])
    run_module(module, EventHubManager(module).run)


if __name__ == "__main__":
    main()
