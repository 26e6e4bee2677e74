#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: connect_connector_info
short_description: List the connectors of a Kafka Connect cluster with their status and config
version_added: 0.1.0
description:
  - Reads every connector of a Kafka Connect cluster, with its config, type, run state and tasks,
    in one call (V(GET /connectors?expand=status&expand=info)).
  - Secret values are replaced by C(********) unless O(show_secrets=true) (see the notes for what is
    secret), and masked anywhere else in the output.
author:
  - streamops platform team (@streamops)
extends_documentation_fragment:
  - streamops.eventhub_connect.connect
  - streamops.eventhub_connect.connect.retries
  - streamops.eventhub_connect.connect.read_only
  - streamops.eventhub_connect.connect.secrets
  - kubernetes.core.k8s_auth_options
options:
  names:
    description:
      - Return only these connectors. By default, all.
    type: list
    elements: str
    aliases: [name]
  show_secrets:
    description:
      - Return the values of secret-looking config keys in clear text.
    type: bool
    default: false
  timeout:
    description:
      - Seconds to keep retrying while Connect answers 409 or the proxy 502-504.
    type: float
    default: 60
  request_timeout:
    description:
      - Seconds one HTTP request may take.
    type: float
    default: 30
seealso:
  - module: streamops.eventhub_connect.connect_connector
  - name: Kafka Connect REST API
    description: The endpoints this module calls.
    link: https://kafka.apache.org/documentation/#connect_rest
requirements:
  - kubernetes (Python library, for the service proxy)
"""

EXAMPLES = r"""
---
- name: Read every connector through the API server's service proxy
  streamops.eventhub_connect.connect_connector_info:
    namespace: kafka-connect
    service: kafka-connect
  register: connect

- name: Fail when a connector or task has failed
  ansible.builtin.assert:
    that: connect.connectors | selectattr('failed') | list | length == 0
    fail_msg: "Failed: {{ connect.connectors | selectattr('failed') | map(attribute='name') | join(', ') }}"

- name: Read one connector at a URL
  streamops.eventhub_connect.connect_connector_info:
    url: http://127.0.0.1:8083
    names: [inventory-postgres]
  register: inventory
"""

RETURN = r"""
connectors:
  description: The connectors, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the connector.
      type: str
      sample: inventory-postgres
    type:
      description: V(source) or V(sink) (V(unknown) while the worker cannot load the plugin).
      type: str
      sample: source
    config:
      description: The config as Connect holds it; secret values are C(********) unless O(show_secrets=true).
      type: dict
      sample: {connector.class: io.debezium.connector.postgresql.PostgresConnector, database.password: "********", name: inventory-postgres}
    state:
      description: Run state of the connector (C(RUNNING), C(PAUSED), C(STOPPED), C(FAILED), C(UNASSIGNED), C(RESTARTING)).
      type: str
      sample: RUNNING
    worker_id:
      description: Worker that runs the connector instance.
      type: str
      sample: "198.18.0.12:8083"
    tasks:
      description: Status of each task (C(id), C(state), C(worker_id), and C(trace) when it failed).
      type: list
      elements: dict
      sample: [{id: 0, state: RUNNING, worker_id: "198.18.0.13:8083"}]
    failed:
      description: Whether the connector or any of its tasks reports C(FAILED).
      type: bool
      sample: false
names:
  description: Names of all connectors of the cluster, sorted (also those left out by O(names)).
  returned: always
  type: list
  elements: str
  sample: [inventory-postgres, orders-sink]
endpoint:
  description: Where the module sent its requests.
  returned: always
  type: str
  sample: https://127.0.0.1:16443/api/v1/namespaces/kafka-connect/services/kafka-connect:8083/proxy
"""

from typing import Any, Dict, List, Optional

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connect_module import (
    CONNECT_MODULE_KWARGS,
    build_connect_client,
    check_connect_params,
    connect_argument_spec,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connector_config import (
    redact_config,
    secret_values,
    stored_config,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connector_state import (
    check_connector_name,
    read_expanded,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._errors import run_module

INFO_ARG_SPEC = {
    "names": {"type": "list", "elements": "str", "aliases": ["name"]},
    "show_secrets": {"type": "bool", "default": False},
    "timeout": {"type": "float", "default": 60},
    "request_timeout": {"type": "float", "default": 30},
}


def describe_connector(name: str, entry: Dict[str, Any], show_secrets: bool) -> Dict[str, Any]:
    """One connector of the expanded list, flattened for playbooks."""
    info = entry.get("info") or {}
    status = entry.get("status") or {}
    connector = status.get("connector") or {}
    tasks = list(status.get("tasks") or [])
    state = connector.get("state")
    return {
        "name": name,
        "type": info.get("type") or status.get("type"),
        "config": redact_config(stored_config(info.get("config")), show_secrets=show_secrets),
        "state": state,
        "worker_id": connector.get("worker_id"),
        "tasks": tasks,
        "failed": state == "FAILED" or any(task.get("state") == "FAILED" for task in tasks),
    }


def read_connectors(module: AnsibleModule) -> Dict[str, Any]:
    params = module.params
    check_connect_params(params)
    for index, name in enumerate(params["names"] or []):
        check_connector_name(name, "names[{0}]".format(index))
    client = build_connect_client(module, params["request_timeout"])
    payload = read_expanded(client, params["timeout"])
    wanted = set(params["names"]) if params["names"] is not None else None  # type: Optional[set]
    connectors = []  # type: List[Dict[str, Any]]
    for name in sorted(payload):
        if not params["show_secrets"]:
            # traces and other fields may quote a secret too
            module.no_log_values.update(secret_values((payload[name].get("info") or {}).get("config")))
        if wanted is None or name in wanted:
            connectors.append(describe_connector(name, payload[name], params["show_secrets"]))
    return {"changed": False, "connectors": connectors, "names": sorted(payload), "endpoint": client.describe()}


def main() -> None:
    module = AnsibleModule(
        argument_spec=connect_argument_spec(INFO_ARG_SPEC),
        supports_check_mode=True,
        **CONNECT_MODULE_KWARGS
    )
    run_module(module, lambda: read_connectors(module))


if __name__ == "__main__":
    main()
