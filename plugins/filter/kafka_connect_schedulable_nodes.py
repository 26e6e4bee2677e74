# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter: the nodes a Connect worker can be scheduled on."""

from __future__ import annotations

DOCUMENTATION = r"""
name: kafka_connect_schedulable_nodes
version_added: 0.2.0
short_description: The names of the nodes that can take a Kafka Connect worker pod
description:
  - From Node objects as the API serves them (C(kubernetes.core.k8s_info) C(resources)), the
    names, sorted, of the nodes that are C(Ready), not cordoned, carry every label of
    O(node_selector), and whose C(NoSchedule) and C(NoExecute) taints are all tolerated by
    O(tolerations), with the scheduler's matching rules (C(Exists) and C(Equal), an empty key
    with C(Exists) tolerates every taint, an empty effect every effect).
  - C(PreferNoSchedule) taints do not keep a pod off a node and are ignored.
positional: _input, node_selector, tolerations
options:
  _input:
    description: A list of Node objects.
    type: list
    elements: dict
    required: true
  node_selector:
    description: The pods' C(nodeSelector).
    type: dict
    default: {}
  tolerations:
    description: The pods' C(tolerations).
    type: list
    elements: dict
    default: []
author:
  - streamops (@streamops)
"""

EXAMPLES = r"""
---
- name: Count the nodes a worker can go to
  ansible.builtin.debug:
    msg: >-
      {{ nodes.resources | streamops.eventhub_connect.kafka_connect_schedulable_nodes(
           kafka_connect_node_selector, kafka_connect_tolerations) | length }}
"""

RETURN = r"""
_value:
  description: Names of the nodes that can take a worker, sorted.
  type: list
  elements: str
"""

from collections.abc import Mapping
from typing import Any, Callable, Dict, List, Optional

from ansible.errors import AnsibleFilterError

BLOCKING_EFFECTS = ("NoSchedule", "NoExecute")


def _ready(node: Mapping[str, Any]) -> bool:
    conditions = (node.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def tolerates(toleration: Mapping[str, Any], taint: Mapping[str, Any]) -> bool:
    """The scheduler's rule (k8s.io/api/core/v1 Toleration.ToleratesTaint)."""
    if toleration.get("effect") and toleration.get("effect") != taint.get("effect"):
        return False
    operator = toleration.get("operator") or "Equal"
    key = toleration.get("key") or ""
    if operator == "Exists":
        return not key or key == taint.get("key")
    if operator == "Equal":
        return key == taint.get("key") and (toleration.get("value") or "") == (taint.get("value") or "")
    return False


def schedulable(node: Mapping[str, Any], node_selector: Mapping[str, Any], tolerations: List[Mapping[str, Any]]) -> bool:
    spec = node.get("spec") or {}
    labels = (node.get("metadata") or {}).get("labels") or {}
    if spec.get("unschedulable") or not _ready(node):
        return False
    if any(labels.get(key) != value for key, value in node_selector.items()):
        return False
    taints = [t for t in spec.get("taints") or [] if t.get("effect") in BLOCKING_EFFECTS]
    return all(any(tolerates(tol, taint) for tol in tolerations) for taint in taints)


def kafka_connect_schedulable_nodes(nodes: Any, node_selector: Optional[Mapping[str, Any]] = None,
                                    tolerations: Optional[List[Mapping[str, Any]]] = None) -> List[str]:
    if not isinstance(nodes, list) or not all(isinstance(node, Mapping) for node in nodes):
        raise AnsibleFilterError("kafka_connect_schedulable_nodes expects a list of Node objects")
    selector = node_selector or {}
    tols = tolerations or []
    if not isinstance(selector, Mapping) or not isinstance(tols, list):
        raise AnsibleFilterError("kafka_connect_schedulable_nodes: node_selector must be a dict and tolerations a list")
    return sorted(str((node.get("metadata") or {}).get("name")) for node in nodes if schedulable(node, selector, tols))


class FilterModule:
    def filters(self) -> Dict[str, Callable[..., Any]]:
        return {"kafka_connect_schedulable_nodes": kafka_connect_schedulable_nodes}
