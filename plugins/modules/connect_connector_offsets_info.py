#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: connect_connector_offsets_info
short_description: Read the offsets of a Kafka Connect connector
version_added: 0.2.0
description:
  - Reads a connector's offsets (V(GET /connectors/NAME/offsets), KIP-875, Kafka 3.6 or later), with its class and
    state, and changes nothing; the connector may be in any state.
  - RV(offsets) is in the form M(streamops.eventhub_connect.connect_connector_offsets) takes, so saved offsets can be
    given back as they are (C(playbooks/offsets_save.yml) and C(offsets_restore.yml) do so for every connector).
author:
  - streamops platform team (@streamops)
extends_documentation_fragment:
  - streamops.eventhub_connect.connect
  - streamops.eventhub_connect.connect.retries
  - streamops.eventhub_connect.connect.read_only
  - kubernetes.core.k8s_auth_options
options:
  name:
    description:
      - Name of the connector; not empty, without C(/). It must exist.
    type: str
    required: true
  timeout:
    description:
      - Seconds to keep retrying a read that Connect answers with 409 (rebalance) or the proxy with 502-504.
    type: float
    default: 120
  request_timeout:
    description:
      - Seconds one HTTP request may take.
    type: float
    default: 30
seealso:
  - module: streamops.eventhub_connect.connect_connector_offsets
  - module: streamops.eventhub_connect.connect_connector_info
requirements:
  - kubernetes (Python library, for the service proxy)
"""

EXAMPLES = r"""
---
- name: Read the offsets of a connector
  streamops.eventhub_connect.connect_connector_offsets_info:
    namespace: kafka-connect
    service: kafka-connect
    name: access-log
  register: access_log

- name: Show where it is in its file
  ansible.builtin.debug:
    msg: "{{ access_log.offsets }}"
"""

RETURN = r"""
name:
  description: Name of the connector.
  returned: always
  type: str
  sample: access-log
connector_class:
  description: The connector's C(connector.class), as Connect holds it.
  returned: always
  type: str
  sample: org.apache.kafka.connect.file.FileStreamSourceConnector
type:
  description: What Connect says the connector is, V(source) or V(sink).
  returned: always
  type: str
  sample: source
offsets:
  description:
    - The connector's offsets, as V(GET /connectors/NAME/offsets) answers them, sorted by partition. For a source
      connector what it recorded itself; for a sink connector its consumer group's positions.
  returned: always
  type: list
  elements: dict
  sample: [{"partition": {"filename": "/var/log/app/access.log"}, "offset": {"position": 18244}}]
connector_state:
  description: The connector's state (C(RUNNING), C(PAUSED), C(STOPPED), C(FAILED), ...).
  returned: always
  type: str
  sample: RUNNING
requests:
  description: Number of REST requests the module sent.
  returned: always
  type: int
  sample: 3
endpoint:
  description: Where the module sent its requests.
  returned: always
  type: str
  sample: https://127.0.0.1:16443/api/v1/namespaces/kafka-connect/services/kafka-connect:8083/proxy
"""

from typing import Any, Dict

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connect_module import (
    CONNECT_MODULE_KWARGS,
    build_connect_client,
    check_connect_params,
    connect_argument_spec,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connector_offsets import read_connector_offsets
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connector_state import check_connector_name
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._errors import run_module

OFFSETS_INFO_ARG_SPEC = {
    "name": {"type": "str", "required": True},
    "timeout": {"type": "float", "default": 120},
    "request_timeout": {"type": "float", "default": 30},
}


def run(module: AnsibleModule) -> Dict[str, Any]:
    check_connect_params(module.params)
    name = check_connector_name(module.params["name"], "name")
    client = build_connect_client(module, module.params["request_timeout"])
    existing = read_connector_offsets(client, name, module.params["timeout"])
    return {
        "changed": False,
        "name": name,
        "connector_class": existing.connector_class,
        "type": existing.type,
        "offsets": existing.offsets,
        "connector_state": existing.state,
        "requests": client.requests,
        "endpoint": client.describe(),
    }


def main() -> None:
    module = AnsibleModule(
        argument_spec=connect_argument_spec(OFFSETS_INFO_ARG_SPEC),
        supports_check_mode=True,
        **CONNECT_MODULE_KWARGS
    )
    run_module(module, lambda: run(module))


if __name__ == "__main__":
    main()
