# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter: the environment variable a Connect image turns into a given worker property."""

from __future__ import annotations

DOCUMENTATION = r"""
name: kafka_connect_env_name
version_added: 0.2.0
short_description: The environment variable that sets a Kafka Connect worker property in an image
description:
  - V(debezium) (C(quay.io/debezium/connect)) reads C(bootstrap.servers), C(group.id) and the three
    storage topics from C(BOOTSTRAP_SERVERS), C(GROUP_ID), C(CONFIG_STORAGE_TOPIC),
    C(OFFSET_STORAGE_TOPIC) and C(STATUS_STORAGE_TOPIC), and every other property from
    C(CONNECT_<NAME>) with C(.) as C(_), upper case. It cannot express C(_) or C(-) in a name.
  - V(confluent) (C(confluentinc/cp-kafka-connect)) reads C(CONNECT_<NAME>) with C(-) as C(___),
    C(_) as C(__) and C(.) as C(_), upper case.
  - Fails on a property name the convention cannot express.
positional: _input, convention
options:
  _input:
    description: A worker property name, such as V(sasl.jaas.config).
    type: str
    required: true
  convention:
    description: The image's convention.
    type: str
    choices: [debezium, confluent]
    default: debezium
author:
  - streamops (@streamops)
"""

EXAMPLES = r"""
---
- name: The variable of the producer's JAAS line in the Debezium image
  ansible.builtin.debug:
    msg: "{{ 'producer.sasl.jaas.config' | streamops.eventhub_connect.kafka_connect_env_name('debezium') }}"
"""

RETURN = r"""
_value:
  description: The environment variable, such as C(CONNECT_PRODUCER_SASL_JAAS_CONFIG).
  type: str
"""

import re
from typing import Any, Callable, Dict

from ansible.errors import AnsibleFilterError

# debezium/connect's docker-entrypoint.sh reads these from dedicated variables
DEBEZIUM_NAMES = {
    "bootstrap.servers": "BOOTSTRAP_SERVERS",
    "group.id": "GROUP_ID",
    "config.storage.topic": "CONFIG_STORAGE_TOPIC",
    "offset.storage.topic": "OFFSET_STORAGE_TOPIC",
    "status.storage.topic": "STATUS_STORAGE_TOPIC",
}
PROPERTY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def kafka_connect_env_name(name: Any, convention: str = "debezium") -> str:
    if not isinstance(name, str) or not PROPERTY.fullmatch(name):
        raise AnsibleFilterError("kafka_connect_env_name: %r is not a worker property name" % (name,))
    if convention == "debezium":
        if "_" in name or "-" in name:
            raise AnsibleFilterError(
                "kafka_connect_env_name: the Debezium image cannot express '_' or '-' in a property name (%s);"
                " use the confluent convention" % name)
        return DEBEZIUM_NAMES.get(name) or "CONNECT_" + name.replace(".", "_").upper()
    if convention == "confluent":
        return "CONNECT_" + name.replace("_", "__").replace("-", "___").replace(".", "_").upper()
    raise AnsibleFilterError("kafka_connect_env_name: convention must be debezium or confluent, got %r" % (convention,))


class FilterModule:
    def filters(self) -> Dict[str, Callable[..., Any]]:
        return {"kafka_connect_env_name": kafka_connect_env_name}
