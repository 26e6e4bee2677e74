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
  - With O(namespace) the call also creates or updates the namespace first, as
    M(streamops.eventhub_connect.eventhub_namespace) does, and waits until Azure reports it provisioned. With
    O(authorization_rule) it also creates or updates a namespace-level SAS rule, as
    M(streamops.eventhub_connect.eventhub_authorization_rule) does, while the hubs are written, and can return its
    keys and Kafka settings. One call then manages the whole Event Hubs side of Kafka Connect in one module process.
  - The namespace, its hubs and its rules are read in one round trip, and every check of every part (names, the
    namespace's tier and capacity, the topic budget counting the namespace's existing hubs, the hubs' tier rules,
    the rule's rights and the rules quota) is made before the first write, the namespace's included.
  - When RV(keys) or RV(kafka) are returned, the whole task result is hidden from every display, as
    M(streamops.eventhub_connect.eventhub_authorization_rule) hides its own; register it to use the values.
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
  namespace:
    description:
      - Create or update the namespace before the hubs, with these options of
        M(streamops.eventhub_connect.eventhub_namespace) (its O(namespace_name) is the namespace's name).
      - Without it the namespace must exist. Only with O(state=present).
    type: dict
    suboptions:
      location:
        description: Azure region; required to create, and a namespace cannot move.
        type: str
      sku:
        description: Pricing tier; V(Standard) on create, unset keeps the current tier. The hubs are checked against it.
        type: str
        choices: [Basic, Standard, Premium]
      require_kafka:
        description: Refuse a tier without a Kafka endpoint (Basic).
        type: bool
        default: true
      capacity:
        description: Throughput units (Basic, Standard, 1-40) or processing units (Premium, 1, 2, 4, 8 or 16).
        type: int
      auto_inflate:
        description: Let Azure raise throughput units up to O(namespace.maximum_throughput_units). Standard only.
        type: bool
      maximum_throughput_units:
        description: Upper bound for auto-inflate; needs O(namespace.auto_inflate=true).
        type: int
      zone_redundant:
        description: Zone redundancy, sent only on create.
        type: bool
      minimum_tls_version:
        description: Oldest TLS version clients may use; V(1.2) on create, unset keeps the current value.
        type: str
        choices: ['1.0', '1.1', '1.2', '1.3']
      public_network_access:
        description: Whether the namespace answers on public networks; V(Enabled) on create.
        type: str
        choices: [Enabled, Disabled, SecuredByPerimeter]
      disable_local_auth:
        description: Refuse SAS keys and accept only Microsoft Entra tokens; V(false) on create.
        type: bool
      tags:
        description: Tags of the namespace; when given, they replace the current tags.
        type: dict
      wait_timeout:
        description: Seconds to wait for provisioning before failing, at least 0.
        type: int
        default: 600
      polling_interval:
        description: Seconds between status polls while waiting (greater than 0).
        type: float
        default: 5
  authorization_rule:
    description:
      - Create or update a namespace-level SAS rule, with these options of
        M(streamops.eventhub_connect.eventhub_authorization_rule). Only with O(state=present).
    type: dict
    suboptions:
      name:
        description: Rule name, 1-50 letters, digits, C(.), C(-), C(_).
        type: str
        required: true
      rights:
        description: Rights of the rule; V(Listen) and V(Send) on create, unset keeps the current rights.
        type: list
        elements: str
        choices: [Listen, Send, Manage]
      return_keys:
        description:
          - Return the rule's keys (RV(keys)) and Kafka client settings (RV(kafka)); the task's output is then hidden.
          - In check mode, keys are returned only for a rule that already exists.
        type: bool
        default: false
seealso:
  - module: streamops.eventhub_connect.eventhub_namespace
  - module: streamops.eventhub_connect.eventhub_authorization_rule
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

- name: The namespace, Connect's topics and Connect's SAS rule with its Kafka settings, in one module process
  streamops.eventhub_connect.eventhub:
    namespace_name: contoso-connect-ehns
    resource_group: rg-streaming
    namespace:
      location: westeurope
      sku: Standard
      capacity: 1
    hubs:
      - name: connect-configs
        cleanup_policy: compact
      - name: connect-offsets
        cleanup_policy: compact
        partition_count: 25
      - name: connect-status
        cleanup_policy: compact
        partition_count: 5
    authorization_rule:
      name: kafka-connect
      rights: [Listen, Send]
      return_keys: true
  register: eventhubs
  no_log: true

- name: Keep the Kafka settings for later tasks without printing them
  ansible.builtin.set_fact:
    kafka_connect_sasl_jaas_config: "{{ eventhubs.kafka.sasl_jaas_config }}"
  no_log: true

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
    - Also returned when the call fails because the budget is exceeded, or any rule of the tier is broken, with
      RV(existing_hubs) and RV(namespace) as read.
  returned: when O(state=present)
  type: dict
  sample: {tier: Standard, limit: 10, used: 3, requested: 2, free: 7}
existing_hubs:
  description:
    - The namespace's event hubs as the read before any write found them, sorted by name (empty for a new
      namespace), each shaped like an entry of RV(hubs) without C(state); the topic budget counts them.
  returned: when O(state=present)
  type: list
  elements: dict
  sample: [{name: connect-configs, partition_count: 1, cleanup_policy: compact, retention_hours: null,
            tombstone_retention_hours: 24, status: Active, partition_ids: ['0']}]
namespace:
  description:
    - With O(namespace), the namespace after the change (predicted in check mode), as
      M(streamops.eventhub_connect.eventhub_namespace) returns it, with C(state) V(created), V(updated) or
      V(unchanged).
    - Without it, the namespace as read (no C(state)).
  returned: when O(state=present)
  type: dict
  sample: {name: contoso-connect-ehns, sku: Standard, capacity: 1, kafka_enabled: true, status: Active,
           state: unchanged}
rule:
  description:
    - The SAS rule after the change (predicted in check mode), never with keys, with C(state) V(created),
      V(updated) or V(unchanged).
  returned: when O(authorization_rule) is given
  type: dict
  sample: {name: kafka-connect, rights: [Listen, Send], scope: namespace, state: unchanged}
keys:
  description:
    - The rule's keys and connection strings, as M(streamops.eventhub_connect.eventhub_authorization_rule) returns
      them (C(key_name), C(primary_connection_string), C(secondary_connection_string), C(primary_key),
      C(secondary_key)). Secret.
  returned: when O(authorization_rule.return_keys=true) and the rule exists
  type: dict
  sample: {key_name: kafka-connect, primary_connection_string: "Endpoint=sb://...;SharedAccessKey=..."}
kafka:
  description:
    - Kafka client settings built on the rule's primary connection string (C(bootstrap_servers),
      C(security_protocol), C(sasl_mechanism), C(sasl_jaas_config)). Secret.
    - C(bootstrap_servers) is the host of the namespace's C(service_bus_endpoint), as Azure answers it, and port 9093,
      so it holds in every cloud.
  returned: when O(authorization_rule.return_keys=true) and the rule exists
  type: dict
  sample: {bootstrap_servers: contoso-connect-ehns.servicebus.windows.net:9093, security_protocol: SASL_SSL,
           sasl_mechanism: PLAIN, sasl_jaas_config: "org.apache.kafka.common.security.plain.PlainLoginModule ..."}
diff:
  description:
    - Before and after state of each changed hub, in diff mode.
    - With O(hubs), a changed namespace and rule are keyed C(namespace 'NAME') and C(authorization rule 'NAME').
  returned: when diff mode is on
  type: dict
  sample: {before: {orders: {retention_hours: 24}}, after: {orders: {retention_hours: 72}}}
"""

from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, List, Optional, Tuple

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._azure import (
    AZURE_AUTH_ARGSPEC,
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
    NAMESPACE_FIELDS,
    changed_fields,
    comparable,
    hub_after_write,
    hub_body,
    hub_spec_from_options,
    hub_state_from_api,
    merge_hub,
    namespace_state_from_api,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._eventhub_namespace import (
    NAMESPACE_OPTIONS,
    NamespaceManager,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._eventhub_part import ModulePart
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._eventhub_rule import (
    RULE_ARGUMENT_SPEC,
    AuthorizationRuleManager,
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
    namespace={"type": "dict", "options": NAMESPACE_OPTIONS},
    authorization_rule={"type": "dict", "options": {key: RULE_ARGUMENT_SPEC[key]
                                                    for key in ("name", "rights", "return_keys")}},
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
        self.namespace_part = self.part(NamespaceManager, "namespace", name=self.namespace, state="present")
        self.rule_part = self.part(AuthorizationRuleManager, "authorization_rule", namespace_name=self.namespace,
                                   eventhub_name=None, state="present")

    def part(self, manager: Callable[[Any], Any], option: str, **fixed: Any) -> Any:
        """The manager of the namespace or the rule when its option is given, seeing its options as a module's."""
        if self.params[option] is None:
            return None
        params = {key: self.params.get(key) for key in AZURE_AUTH_ARGSPEC}
        params.update(self.params[option], resource_group=self.group, **fixed)
        return manager(ModulePart(self.module, params))

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
        if self.params["state"] == "absent" and (self.namespace_part or self.rule_part):
            errors.append("namespace and authorization_rule go with state=present only; delete a namespace with "
                          "eventhub_namespace and a rule with eventhub_authorization_rule")
        for part in (self.namespace_part, self.rule_part):
            # the part's own checks; the namespace's name and resource group are checked once, above
            errors.extend(error for error in (part.input_errors() if part else []) if error not in errors)
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
        polling = self.params["namespace"]["polling_interval"] if self.namespace_part else 5
        self.client = eventhub_client(self.params, polling_interval=polling)
        for part in (self.namespace_part, self.rule_part):
            if part:
                part.client = self.client
        namespace, existing, rules = self.read()
        if self.params["state"] == "absent":
            return self.absent(requested, existing)
        return self.present(requested, existing, namespace, rules)

    def read(self) -> Tuple[Optional[Dict[str, Any]], Dict[str, Dict[str, Any]], List[Dict[str, Any]]]:
        """The namespace, its hubs and (for the rule) its rules, in one round trip."""
        with ThreadPoolExecutor(max_workers=3) as pool:
            namespace_read = pool.submit(get_or_none, self.client.namespaces.get, self.group, self.namespace)
            hubs_read = pool.submit(self.get_existing)
            rules_read = pool.submit(lambda: list_json(self.client.namespaces.list_authorization_rules(
                self.group, self.namespace))) if self.rule_part else None
            resource = namespace_read.result()
            if resource is None:
                # a missing namespace fails the lists too: the GET's answer is the one to report
                hubs_read.exception()
                if rules_read:
                    rules_read.exception()
                if not self.namespace_part:
                    raise AzureApiError("namespace '%s' not found in resource group '%s'"
                                        % (self.namespace, self.group), code="ResourceNotFound", status=404)
                return None, {}, []
            existing = hubs_read.result()
            rules = rules_read.result() if rules_read else []
        namespace = namespace_state_from_api(resource)
        if self.namespace_part:
            settled = self.namespace_part.settle(namespace)
            if settled is None:  # it was being deleted, and its hubs and rules with it
                return None, {}, []
            namespace = settled
        return namespace, existing, rules

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
                namespace: Optional[Dict[str, Any]], rules: List[Dict[str, Any]]) -> Dict[str, Any]:
        """Every check of every part, then the namespace's write, then the hubs' and the rule's writes together."""
        errors: List[str] = []
        # the namespace as it will be: read (without the namespace option a missing one failed the read), or desired
        target: Dict[str, Any] = namespace or {}
        if self.namespace_part:
            try:
                target = self.namespace_part.desired(namespace)
            except InvalidInput as exc:
                errors.append(exc.message)
                target = namespace or {"sku": self.params["namespace"]["sku"] or "Standard"}
        tier = namespace_tier(target.get("sku") or "", (namespace or {}).get("cluster_arm_id"))
        plans = self.desired(requested, existing)
        budget = plan_topic_budget(tier, target.get("capacity"), existing, [plan[0] for plan in plans])
        for name, before, after in plans:
            errors.extend(hub_tier_errors(tier, name, after, before))
        if not budget.fits:
            errors.insert(0, budget_error(self.namespace, budget))
        rule_before = self.rule_part.find(rules) if self.rule_part else None
        if self.rule_part:
            errors.extend(filter(None, [self.rule_part.quota_error(rule_before, len(rules))]))
        existing_hubs = sorted(existing.values(), key=lambda hub: hub["name"])
        if errors:
            # what was read goes with the refusal, so that a caller can say who wants which topics
            raise InvalidInput("; ".join(errors), code="InvalidParameter",
                               details={"budget": budget.as_dict(), "existing_hubs": existing_hubs,
                                        "namespace": namespace or {}})

        result: Dict[str, Any] = {"changed": False, "budget": budget.as_dict(), "existing_hubs": existing_hubs}
        diff: Dict[str, Dict[str, Any]] = {"before": {}, "after": {}}
        if not self.namespace_part:
            result["namespace"] = namespace
        else:
            written = self.namespace_part.present(namespace)
            result["namespace"] = dict(written["namespace"], state=_state(namespace, written["changed"]))
            result["changed"] = written["changed"]
            if written["changed"] and self.module._diff:
                key = "namespace '%s'" % self.namespace
                diff["before"][key] = comparable(namespace, NAMESPACE_FIELDS)
                diff["after"][key] = comparable(target, NAMESPACE_FIELDS)
        writes = [plan for plan in plans if changed_fields(plan[1], plan[2], HUB_FIELDS)]
        if self.rule_part:
            self.rule_part.service_bus_endpoint = (result["namespace"] or {}).get("service_bus_endpoint")
        with ThreadPoolExecutor(max_workers=1) as pool:
            # the rule (and its keys) in parallel with the hubs: neither depends on the other
            rule_write = pool.submit(self.rule_part.present, rule_before, len(rules)) if self.rule_part else None
            written_hubs = self.write_all(writes) if not self.module.check_mode else {}
            rule = rule_write.result() if rule_write else None
        hubs = []
        for name, before, after in plans:
            changed = any(plan[0] == name for plan in writes)
            state = dict(written_hubs.get(name) or (after if changed else before) or after)
            if "partition_ids" not in state:  # predicted in check mode: the read's ids while the count stays
                kept = before if before and before.get("partition_count") == state.get("partition_count") else {}
                state["partition_ids"] = list(kept.get("partition_ids") or [])
            state["state"] = ("updated" if before else "created") if changed else "unchanged"
            hubs.append(state)
        result["hubs"] = hubs
        result["changed"] = result["changed"] or bool(writes)
        if rule is not None:
            result["rule"] = dict(rule["rule"], state=_state(rule_before, rule["changed"]))
            result.update((key, rule[key]) for key in ("keys", "kafka") if key in rule)
            result["changed"] = result["changed"] or rule["changed"]
            if rule["changed"] and self.module._diff:
                key = "authorization rule '%s'" % self.rule_part.name
                diff["before"][key], diff["after"][key] = rule["diff"]["before"], rule["diff"]["after"]
        self.add_single_and_diff(result, hubs, writes)
        if "diff" in result and self.params["name"] is None:
            result["diff"]["before"].update(diff["before"])
            result["diff"]["after"].update(diff["after"])
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


def _state(before: Optional[Dict[str, Any]], changed: bool) -> str:
    return ("updated" if before else "created") if changed else "unchanged"


def main() -> None:
    module = azure_module(ARGUMENT_SPEC, supports_check_mode=True,
                          mutually_exclusive=[("name", "hubs"), ("retention_hours", "retention_days")],
                          required_one_of=[("name", "hubs")])
    run_module(module, EventHubManager(module).run)


if __name__ == "__main__":
    main()
