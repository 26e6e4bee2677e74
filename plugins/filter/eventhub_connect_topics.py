# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter: Kafka Connect's internal topic names, the collection's defaults filling what is unset."""

from __future__ import annotations

DOCUMENTATION = r"""
name: eventhub_connect_topics
version_added: 0.2.0
short_description: Kafka Connect's internal topic names (config, offsets, status) with the collection's defaults
description:
  - Returns a mapping with the keys C(config), C(offsets) and C(status) (the topics of the worker
    settings C(config.storage.topic), C(offset.storage.topic), C(status.storage.topic)); a key that is
    missing or empty in the input takes the default C(connect-configs), C(connect-offsets) or
    C(connect-status).
  - The one definition of these names; the C(streamops.eventhub_connect.eventhub) role creates the
    topics and publishes the result as C(eventhub_connect_topics).
positional: _input
options:
  _input:
    description: Names to use instead of the defaults, keys C(config), C(offsets), C(status).
    type: dict
    default: {}
author:
  - streamops (@streamops)
"""

EXAMPLES = r"""
---
- name: Connect's topics, the offsets topic renamed
  ansible.builtin.debug:
    msg: "{{ {'offsets': 'team-a-offsets'} | streamops.eventhub_connect.eventhub_connect_topics }}"
  # {"config": "connect-configs", "offsets": "team-a-offsets", "status": "connect-status"}
"""

RETURN = r"""
_value:
  description: The three names, keys C(config), C(offsets), C(status).
  type: dict
"""

from collections.abc import Mapping
from typing import Any, Callable, Dict

from ansible.errors import AnsibleFilterError

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._topic_plan import connect_topic_names


def eventhub_connect_topics(names: Any = None) -> Dict[str, str]:
    if names is not None and not isinstance(names, Mapping):
        raise AnsibleFilterError("eventhub_connect_topics expects a mapping with keys config, offsets, status")
    try:
        return connect_topic_names(names)
    except ValueError as exc:
        raise AnsibleFilterError("eventhub_connect_topics: %s" % exc) from exc


class FilterModule:
    def filters(self) -> Dict[str, Callable[..., Any]]:
        return {"eventhub_connect_topics": eventhub_connect_topics}
