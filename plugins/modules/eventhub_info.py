#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: read an Event Hubs namespace, its hubs, its rules (never keys) and its topic budget."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: eventhub_info
short_description: Read an Event Hubs namespace, its event hubs, rules and topic budget
version_added: 0.1.0
description:
  - Returns the namespace, every event hub with its partitions and cleanup policy, the namespace-level
    authorization rules (names and rights, never keys) and the topic budget (how many event hubs, that is Kafka
    topics, the tier allows, uses and leaves free).
  - A namespace that does not exist is not an error; RV(exists) is then V(false).
author:
  - streamops platform team (@streamops)
extends_documentation_fragment:
  - streamops.eventhub_connect.azure
  - streamops.eventhub_connect.azure.info_module
options:
  namespace_name:
    description: Event Hubs namespace to read.
    type: str
    required: true
  resource_group:
    description: Resource group of the namespace.
    type: str
    required: true
seealso:
  - module: streamops.eventhub_connect.eventhub
"""

EXAMPLES = r"""
---
- name: Read the namespace
  streamops.eventhub_connect.eventhub_info:
    namespace_name: contoso-connect-ehns
    resource_group: rg-streaming
  register: ehns

- name: Stop when fewer than 3 topics are free
  ansible.builtin.assert:
    that: ehns.budget.free >= 3
    fail_msg: "only {{ ehns.budget.free }} of {{ ehns.budget.limit }} topics free"
"""

RETURN = r"""
exists:
  description: Whether the namespace exists.
  returned: always
  type: bool
  sample: true
namespace:
  description: The namespace (see the C(namespace) return value of M(streamops.eventhub_connect.eventhub_namespace)).
  returned: always
  type: dict
  sample: {name: contoso-connect-ehns, sku: Standard, capacity: 1, kafka_enabled: true, status: Active}
hubs:
  description: Every event hub of the namespace, sorted by name.
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
      description: Partition ids.
      type: list
      elements: str
      sample: ['0']
rules:
  description: Namespace-level authorization rules, sorted by name. Keys are never returned.
  returned: always
  type: list
  elements: dict
  sample: [{name: RootManageSharedAccessKey, rights: [Listen, Manage, Send]}]
budget:
  description: The namespace's topic budget.
  returned: when the namespace exists
  type: dict
  contains:
    tier:
      description: Tier the limit comes from.
      type: str
      sample: Standard
    limit:
      description: Event hubs the tier allows in this namespace.
      type: int
      sample: 10
    used:
      description: Event hubs that exist.
      type: int
      sample: 3
    free:
      description: Event hubs that can still be created.
      type: int
      sample: 7
"""

from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._azure import (
    azure_module,
    eventhub_client,
    get_or_none,
    list_json,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._errors import InvalidInput, run_module
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._eventhub_limits import (
    namespace_name_error,
    namespace_tier,
    plan_topic_budget,
    resource_group_error,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._eventhub_model import (
    hub_state_from_api,
    namespace_state_from_api,
    rule_state_from_api,
)

ARGUMENT_SPEC: Dict[str, Any] = {
    "namespace_name": {"type": "str", "required": True},
    "resource_group": {"type": "str", "required": True},
}


class EventHubInfo:
    def __init__(self, module: Any) -> None:
        self.params = module.params
        self.namespace = self.params["namespace_name"]
        self.group = self.params["resource_group"]

    def run(self) -> Dict[str, Any]:
        errors = [error for error in (namespace_name_error(self.namespace), resource_group_error(self.group)) if error]
        if errors:
            raise InvalidInput("; ".join(errors), code="InvalidParameter")
        client = eventhub_client(self.params)
        # three reads in one round trip; the namespace's 404 is the answer that counts
        with ThreadPoolExecutor(max_workers=3) as pool:
            namespace_read = pool.submit(get_or_none, client.namespaces.get, self.group, self.namespace)
            hubs_read = pool.submit(lambda: list_json(client.event_hubs.list_by_namespace(self.group, self.namespace)))
            rules_read = pool.submit(lambda: list_json(client.namespaces.list_authorization_rules(
                self.group, self.namespace)))
            resource = namespace_read.result()
            if resource is None:
                hubs_read.exception()
                rules_read.exception()
                return {"changed": False, "exists": False, "namespace": {}, "hubs": [], "rules": []}
            hubs = sorted((hub_state_from_api(h) for h in hubs_read.result()), key=lambda hub: hub["name"])
            rules = sorted((rule_state_from_api(r) for r in rules_read.result()), key=lambda rule: rule["name"])
        namespace = namespace_state_from_api(resource)
        tier = namespace_tier(namespace["sku"] or "", namespace["cluster_arm_id"])
        budget = plan_topic_budget(tier, namespace["capacity"], [hub["name"] for hub in hubs], []).as_dict()
        budget.pop("requested")
        return {"changed": False, "exists": True, "namespace": namespace, "hubs": hubs, "rules": rules,
                "budget": budget}


def main() -> None:
    module = azure_module(ARGUMENT_SPEC, supports_check_mode=True)
    run_module(module, EventHubInfo(module).run)


if __name__ == "__main__":
    main()
