# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter: the topic plan of an Event Hubs namespace (Connect's, the application's and the connectors' topics)."""

from __future__ import annotations

DOCUMENTATION = r"""
name: eventhub_topic_plan
version_added: 0.2.0
short_description: Every topic Kafka Connect and its connectors will write, checked against the Event Hubs tier
description:
  - Derives from a list of connectors (entries shaped like the C(connectors_list) of the
    C(streamops.eventhub_connect.connectors) role) every topic each connector writes, the way Kafka
    Connect and Debezium name them, adds Kafka Connect's three internal topics and the application
    topics, and checks the whole plan with the rules the C(streamops.eventhub_connect.eventhub) module
    applies before it writes (names, partitions, retention, compaction, the topic budget).
  - "Debezium PostgreSQL: C(<topic.prefix>.<schema>.<table>) per C(table.include.list) entry. MySQL and
    MariaDB: C(<topic.prefix>.<database>.<table>). SQL Server: C(<topic.prefix>.<database>.<schema>.<table>)
    for each of C(database.names). Oracle: C(<topic.prefix>.<schema>.<table>)."
  - Also the heartbeat topic when C(heartbeat.interval.ms) is above 0
    (C(<topic.heartbeat.prefix>.<topic.prefix>), default prefix C(__debezium-heartbeat), which Event
    Hubs refuses), C(<topic.prefix>.transaction) with C(provide.transaction.metadata), the
    C(schema.history.internal.kafka.topic) of MySQL, MariaDB, SQL Server and Oracle (one partition, the
    tier's longest retention), C(errors.deadletterqueue.topic.name), and the C(topic) of a
    FileStreamSource, and for a MirrorSourceConnector whose C(topics) names topics one by one
    C(<source.cluster.alias>.<topic>) (or C(<topic>) with the identity replication policy). Sink
    connectors, known by their class (its simple name ends in C(Sink)), write no topic but their dead
    letter queue.
  - The connector list is checked first by the one check the C(streamops.eventhub_connect.connectors)
    role and the C(streamops.eventhub_connect.connect_connectors) module run (unique names Connect can
    address, one C(topic.prefix) per Debezium connector, topic names, placeholders confined to the
    connector-secrets mount, no literal secret); what it refuses is in RV(_value.errors).
  - Renames by C(org.apache.kafka.connect.transforms.RegexRouter) (C(regex), C(replacement) with
    Java's C($1)) and C(io.debezium.transforms.ByLogicalTableRouter) (C(topic.regex),
    C(topic.replacement)) are applied in the order of C(transforms), also under a
    C(TopicNameMatches) predicate.
  - An entry's C(topics) list replaces what would be derived. What cannot be derived (a
    C(table.include.list) pattern, an unknown connector class, a record-based router) is an error with
    the fix, never a guess.
  - Nothing is written; the caller refuses the plan when RV(_value.errors) is not empty.
positional: _input
options:
  _input:
    description: The connectors, each with C(name), C(config) and optionally C(state), C(topics), C(topic_partitions), C(topic_retention_hours).
    type: list
    elements: dict
    required: true
  namespace:
    description: Namespace name, checked and named in the budget message.
    type: str
  sku:
    description: Tier the namespace has or will have.
    type: str
    default: Standard
  capacity:
    description: Throughput or processing units (Premium's budget is 100 event hubs per unit).
    type: int
  existing:
    description: The namespace's event hubs as C(streamops.eventhub_connect.eventhub_info) returns them in C(hubs).
    type: list
    elements: dict
    default: []
  cluster_arm_id:
    description: The namespace's dedicated cluster, if any (its tier is then Dedicated).
    type: str
  connect_topics:
    description: Names of Connect's internal topics, keys C(config), C(offsets), C(status); unset keys take the defaults.
    type: dict
  connect_partitions:
    description: Partitions of Connect's C(offsets) and C(status) topics (default 25 and 5; the config topic has 1).
    type: dict
  connect_tombstone_retention_hours:
    description: Tombstone retention of Connect's compacted topics (default 24).
    type: int
  application:
    description: Application topics, each C(name) and optionally C(partitions), C(retention_hours).
    type: list
    elements: dict
    default: []
  default_partitions:
    description: Partitions of an application or connector topic that sets none.
    type: int
    default: 1
  default_retention_hours:
    description: Retention of an application or connector topic that sets none.
    type: int
    default: 24
  rule_name:
    description: Name of the SAS rule Connect logs in with, checked.
    type: str
  rule_rights:
    description: Rights of that rule, checked.
    type: list
    elements: str
  include_absent:
    description: Plan the topics of entries with C(state=absent) too (for a teardown).
    type: bool
    default: false
author:
  - streamops (@streamops)
"""

EXAMPLES = r"""
---
- name: Plan the topics of one Debezium PostgreSQL connector on a Standard namespace
  ansible.builtin.set_fact:
    plan: "{{ connectors_list | streamops.eventhub_connect.eventhub_topic_plan(namespace='contoso-connect-ehns') }}"
  vars:
    connectors_list:
      - name: inventory
        config:
          connector.class: io.debezium.connector.postgresql.PostgresConnector
          topic.prefix: inventory
          table.include.list: public.customers,public.orders

- name: Refuse a plan that breaks a rule of the tier
  ansible.builtin.assert:
    that: plan.errors | length == 0
    fail_msg: "{{ plan.errors | join('; ') }}"
"""

RETURN = r"""
_value:
  description: The plan.
  type: dict
  contains:
    errors:
      description: Every rule the plan breaks, with the fix; the budget overrun, if any, first.
      type: list
      elements: str
    hubs:
      description: Every planned topic as an entry of the O(streamops.eventhub_connect.eventhub#module:hubs) option.
      type: list
      elements: dict
    topics:
      description: Every planned topic name, Connect's first.
      type: list
      elements: str
    connect_topics:
      description: Connect's internal topic names, keys C(config), C(offsets), C(status).
      type: dict
    application:
      description: The application topic names.
      type: list
      elements: str
    connectors:
      description: Per connector its C(name) and the C(topics) it writes.
      type: list
      elements: dict
    budget:
      description:
        - C(tier), C(limit), C(used) (event hubs that exist), C(requested) (new ones), C(free), C(fits),
          and who wants how many - C(connect), C(application), C(connectors) (name to count), C(others)
          (existing event hubs nobody asked for).
      type: dict
"""

from collections.abc import Mapping, Sequence
from typing import Any, Callable, Dict, List, Optional

from ansible.errors import AnsibleFilterError

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._topic_plan import plan_namespace_topics


def eventhub_topic_plan(connectors: Any, namespace: Optional[str] = None, sku: str = "Standard",
                        capacity: Optional[int] = None, existing: Optional[List[Dict[str, Any]]] = None,
                        cluster_arm_id: Optional[str] = None, connect_topics: Optional[Dict[str, Any]] = None,
                        connect_partitions: Optional[Dict[str, Any]] = None,
                        connect_tombstone_retention_hours: Optional[int] = None,
                        application: Optional[List[Dict[str, Any]]] = None, default_partitions: int = 1,
                        default_retention_hours: int = 24, rule_name: Optional[str] = None,
                        rule_rights: Optional[List[str]] = None, include_absent: bool = False) -> Dict[str, Any]:
    if connectors is None:
        connectors = []
    if isinstance(connectors, (str, Mapping)) or not isinstance(connectors, Sequence) \
            or not all(isinstance(entry, Mapping) for entry in connectors):
        raise AnsibleFilterError("eventhub_topic_plan expects a list of connector entries (name, config, ...)")
    try:
        return plan_namespace_topics(
            connectors, namespace=namespace, sku=sku, capacity=capacity, existing=existing or [],
            cluster_arm_id=cluster_arm_id, connect_names=connect_topics, connect_partitions=connect_partitions,
            connect_tombstone_retention_hours=connect_tombstone_retention_hours, application=application or [],
            default_partitions=default_partitions, default_retention_hours=default_retention_hours,
            rule_name=rule_name, rule_rights=rule_rights, include_absent=include_absent)
    except ValueError as exc:
        raise AnsibleFilterError("eventhub_topic_plan: %s" % exc) from exc


class FilterModule:
    def filters(self) -> Dict[str, Callable[..., Any]]:
        return {"eventhub_topic_plan": eventhub_topic_plan}
