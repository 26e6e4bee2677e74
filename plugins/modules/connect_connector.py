#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: connect_connector
short_description: Create, update, pause, stop, resume, restart or delete a Kafka Connect connector
version_added: 0.1.0
description:
  - Makes one connector of a Kafka Connect cluster match a declared config and run state, through
    the Connect REST API.
  - Compares O(config) with V(GET /connectors/NAME/config) and writes it (V(PUT /connectors/NAME/config))
    only when they differ. Connect holds every value as a string and adds C(name) to the stored
    config, so the module compares that way (V(true) is C("true"), V(3) is C("3"), a list is joined
    with commas, and a V(null) value means the key is not set).
  - Sets the run state with V(PUT .../pause), V(PUT .../resume) or V(PUT .../stop) only when the
    connector is not in it already, and restarts failed instances with
    V(POST .../restart?includeTasks=true&onlyFailed=true) when asked.
  - To apply a whole list of connectors in one process with one read, use
    M(streamops.eventhub_connect.connect_connectors).
author:
  - streamops platform team (@streamops)
extends_documentation_fragment:
  - streamops.eventhub_connect.connect
  - streamops.eventhub_connect.connect.retries
  - streamops.eventhub_connect.connect.manage
  - streamops.eventhub_connect.connect.secrets
  - kubernetes.core.k8s_auth_options
options:
  name:
    description:
      - Name of the connector; not empty, without C(/).
    type: str
    required: true
  config:
    description:
      - The connector's complete config (C(connector.class), C(tasks.max), ...). Keys that Connect
        holds but O(config) lacks are removed, as V(PUT /connectors/NAME/config) replaces the whole
        config.
      - Required with O(state=present). With O(state=running), O(state=paused) or O(state=stopped)
        it may be left out to change only the run state of an existing connector.
      - A C(name) key, if given, must equal O(name).
      - Secrets go in as config provider placeholders (C(${dir:...}), C(${file:...}), C(${env:...}));
        a literal value under a secret key is refused unless O(allow_literal_secrets=true).
    type: dict
  allow_literal_secrets:
    description:
      - Accept credentials written in clear in O(config) (under secret keys, or inside a URL).
      - Connect then stores them in clear in its config topic; prefer placeholders.
    type: bool
    default: false
  state:
    description:
      - V(present) applies O(config) and leaves the run state as it is (a new connector starts).
      - V(running) applies O(config) and resumes a paused or stopped connector.
      - V(paused) applies O(config) and pauses the connector (a new one is created paused).
      - V(stopped) applies O(config) and stops the connector, shutting down its tasks (a new one is
        created stopped). Needs Kafka 3.5 or later; creating a paused or stopped connector needs 3.7.
      - V(absent) deletes the connector.
    type: str
    choices: [present, running, paused, stopped, absent]
    default: present
  offsets:
    description:
      - Starting offsets of a new connector, a list of C(partition)/C(offset) entries as
        M(streamops.eventhub_connect.connect_connector_offsets) takes them. Written only when the connector is
        created, and then before it starts. It is created C(STOPPED) (V(POST /connectors) with C(initial_state),
        Kafka 3.7+), its offsets are written (V(PATCH /connectors/NAME/offsets)), then it is resumed, or paused, or
        left stopped, as O(state) says. If Connect refuses the offsets, the new connector is deleted again, so the
        next run creates it whole.
      - Ignored when the connector exists; change its offsets with
        M(streamops.eventhub_connect.connect_connector_offsets). Needs O(config).
      - Checked before any request, for the classes whose offsets are known, as
        M(streamops.eventhub_connect.connect_connector_offsets) checks them.
    type: list
    elements: dict
    version_added: 0.2.0
  restart_failed:
    description:
      - Restart the connector and its tasks that report C(FAILED), once. Only with O(state=present)
        or O(state=running).
    type: bool
    default: false
  wait:
    description:
      - Wait until the status reports the requested state, up to O(timeout), and fail at once if
        the connector or a task reports C(FAILED).
      - For O(state=running), the connector and at least one task C(RUNNING), all tasks C(RUNNING).
        For O(state=paused), the connector and its tasks C(PAUSED). For O(state=stopped), the
        connector C(STOPPED). For O(state=present), no instance C(UNASSIGNED) or C(RESTARTING).
    type: bool
    default: false
  timeout:
    description:
      - Seconds to keep retrying a call that Connect answers with 409 (rebalance) or the proxy with
        502-504 (see the notes for every answer that is retried), and the deadline of O(wait).
    type: float
    default: 120
  request_timeout:
    description:
      - Seconds one HTTP request may take.
    type: float
    default: 30
notes:
  - Connect itself returns configs in plain text to anyone who may call V(GET /connectors/NAME/config);
    the redaction here only keeps secrets out of Ansible's output and logs.
seealso:
  - module: streamops.eventhub_connect.connect_connector_info
  - module: streamops.eventhub_connect.connect_ready
  - name: Kafka Connect REST API
    description: The endpoints this module calls.
    link: https://kafka.apache.org/documentation/#connect_rest
requirements:
  - kubernetes (Python library, for the service proxy)
"""

EXAMPLES = r"""
---
- name: Stream a PostgreSQL database into Event Hubs with Debezium, through the service proxy
  streamops.eventhub_connect.connect_connector:
    namespace: kafka-connect
    service: kafka-connect
    name: inventory-postgres
    state: running
    wait: true
    config:
      connector.class: io.debezium.connector.postgresql.PostgresConnector
      tasks.max: 1
      plugin.name: pgoutput
      database.hostname: postgres.inventory.svc
      database.port: 5432
      database.user: debezium
      database.password: "{{ vault_debezium_password }}"
      database.dbname: inventory
      topic.prefix: inventory
      table.include.list: public.orders,public.customers
      slot.name: debezium_inventory
      publication.autocreate.mode: filtered

- name: Pause a connector at a URL, leaving its config as it is
  streamops.eventhub_connect.connect_connector:
    url: https://connect.example.com
    url_username: admin
    url_password: "{{ connect_admin_password }}"
    name: inventory-postgres
    state: paused

- name: Restart whatever failed of a connector
  streamops.eventhub_connect.connect_connector:
    namespace: kafka-connect
    service: kafka-connect
    name: orders-sink
    config: "{{ orders_sink_config }}"
    restart_failed: true

- name: Create a file source that starts at byte 1024 of its file
  streamops.eventhub_connect.connect_connector:
    namespace: kafka-connect
    service: kafka-connect
    name: access-log
    state: running
    config:
      connector.class: org.apache.kafka.connect.file.FileStreamSourceConnector
      tasks.max: 1
      file: /var/log/app/access.log
      topic: access-log
    offsets:
      - partition: {filename: /var/log/app/access.log}
        offset: {position: 1024}

- name: Delete a connector
  streamops.eventhub_connect.connect_connector:
    namespace: kafka-connect
    service: kafka-connect
    name: inventory-postgres
    state: absent
"""

RETURN = r"""
name:
  description: Name of the connector.
  returned: always
  type: str
  sample: inventory-postgres
config:
  description:
    - The connector's config after the run, as Connect holds it (strings, with C(name)); secret
      values replaced by C(********). V(null) when the connector does not exist.
  returned: always
  type: dict
  sample:
    connector.class: io.debezium.connector.postgresql.PostgresConnector
    database.password: "********"
    name: inventory-postgres
    tasks.max: "1"
changed_keys:
  description: Config keys added, removed or changed (names only).
  returned: always
  type: list
  elements: str
  sample: [table.include.list]
operations:
  description: The REST calls that changed something (in check mode, that would have).
  returned: always
  type: list
  elements: str
  sample: ["PUT /connectors/inventory-postgres/config", "PUT /connectors/inventory-postgres/resume"]
status:
  description:
    - V(GET /connectors/NAME/status) after the run (before it, in check mode); V(null) when the
      connector does not exist or has no status yet.
  returned: always
  type: dict
  sample:
    name: inventory-postgres
    connector: {state: RUNNING, worker_id: "198.18.0.12:8083"}
    tasks: [{id: 0, state: RUNNING, worker_id: "198.18.0.13:8083"}]
    type: source
requests:
  description: Number of REST requests the module sent.
  returned: always
  type: int
  sample: 2
endpoint:
  description: Where the module sent its requests.
  returned: always
  type: str
  sample: https://127.0.0.1:16443/api/v1/namespaces/kafka-connect/services/kafka-connect:8083/proxy
"""

from typing import Any, Dict, List, Optional, Tuple

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connect import (
    ConnectClient,
    ConnectError,
    ConnectResponse,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._errors import InvalidInput, run_module
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._poll import (
    Deadline,
    DeadlineExceeded,
    backoff_delays,
    poll_until,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connect_module import (
    CONNECT_MODULE_KWARGS,
    build_connect_client,
    check_connect_params,
    connect_argument_spec,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connector_config import (
    changed_keys,
    check_connector_config,
    normalize_config,
    redact_config,
    redacted_diff,
    secret_values,
    stored_config,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connector_list import connector_direction
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connector_offset_rules import (
    check_connector_offsets,
    offsets_shape_errors,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connector_offsets import (
    create_connector,
    creation_calls,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connector_state import (
    RUN_STATE_ACTION,
    TARGET_RUN_STATE,
    WRITE_OK,
    call_checked,
    check_connector_name,
    connector_path,
    failure_trace,
    has_failures,
    initial_state_errors,
    needs_transition,
    reached,
    run_state,
    validate_config,
)

CONNECTOR_ARG_SPEC = {
    "name": {"type": "str", "required": True},
    "config": {"type": "dict"},
    "state": {"type": "str", "default": "present", "choices": ["present", "running", "paused", "stopped", "absent"]},
    "restart_failed": {"type": "bool", "default": False},
    "allow_literal_secrets": {"type": "bool", "default": False},
    "offsets": {"type": "list", "elements": "dict"},
    "wait": {"type": "bool", "default": False},
    "timeout": {"type": "float", "default": 120},
    "request_timeout": {"type": "float", "default": 30},
}


class ConnectorModule(AnsibleModule):
    """AnsibleModule that knows the config's secret values before it logs its invocation."""

    def _log_invocation(self) -> None:
        # the config option cannot be no_log as a whole, so mask its secret-looking values
        self.no_log_values.update(secret_values(self.params.get("config")))
        super(ConnectorModule, self)._log_invocation()


class ConnectorManager:
    """Reads one connector, compares it with the module's arguments and applies the difference."""

    def __init__(self, module: AnsibleModule, client: ConnectClient) -> None:
        self.module = module
        self.client = client
        self.name = module.params["name"]
        self.timeout = module.params["timeout"]
        self.operations = []  # type: List[str]

    def call(self, method: str, path: str, body: Any = None, ok: Tuple[int, ...] = WRITE_OK) -> ConnectResponse:
        return call_checked(self.client, method, path, body, self.timeout, ok=ok)

    def change(self, method: str, path: str, body: Any = None) -> None:
        """A mutating call; recorded, and skipped in check mode."""
        self.operations.append("{0} {1}".format(method, path))
        if not self.module.check_mode:
            self.call(method, path, body)

    def get_existing(self) -> Optional[Dict[str, str]]:
        response = self.call("GET", connector_path(self.name, "/config"), ok=(200, 404))
        if response.status == 404:
            return None
        config = stored_config(response.json())
        self.module.no_log_values.update(secret_values(config))
        return config

    def get_status(self) -> Optional[Dict[str, Any]]:
        # 404 also right after creation, until a worker has written the first status
        response = self.call("GET", connector_path(self.name, "/status"), ok=(200, 404))
        return response.json() if response.status == 200 else None

    def desired(self, existing: Optional[Dict[str, str]]) -> Dict[str, str]:
        config = self.module.params["config"]
        if config is None:
            if existing is None:
                raise InvalidInput("connector {0} does not exist; config is required to create it".format(self.name))
            return existing
        return normalize_config(self.name, config)

    def absent(self) -> Dict[str, Any]:
        before = self.get_existing()
        status = self.get_status() if before is not None else None
        if before is not None:
            self.change("DELETE", connector_path(self.name))
        diff = redacted_diff(before, None)
        return self.result(
            config=before if self.module.check_mode else None,
            keys=sorted(before or {}),
            status=status if self.module.check_mode else None,
            diff={"before": {"config": diff["before"], "state": run_state(status)} if before is not None else {}, "after": {}},
        )

    def present(self, state: str) -> Dict[str, Any]:
        before = self.get_existing()
        status = self.get_status() if before is not None else None
        observed = run_state(status)
        after = self.desired(before)
        target = TARGET_RUN_STATE.get(state)
        keys = changed_keys(before, after)

        if self.module.check_mode and (before is None or keys):
            self.validate(after)
        if before is None:
            self.create(after, target)
        elif keys:
            self.change("PUT", connector_path(self.name, "/config"), after)
        if before is not None and needs_transition(target, observed):
            self.change("PUT", connector_path(self.name, "/" + RUN_STATE_ACTION[target]))
        if self.module.params["restart_failed"] and state in ("present", "running") and has_failures(status):
            self.change("POST", connector_path(self.name, "/restart?includeTasks=true&onlyFailed=true"))

        if self.module.check_mode:
            pass
        elif self.module.params["wait"]:
            status = self.wait_for(state)
        elif self.operations:
            status = self.get_status()
        expected_state = target or (observed if before is not None else "RUNNING")
        diff = redacted_diff(before, after)
        return self.result(
            config=after,
            keys=keys,
            status=status,
            diff={
                "before": {"config": diff["before"], "state": observed} if before is not None else {},
                "after": {"config": diff["after"], "state": expected_state},
            },
        )

    def validate(self, config: Dict[str, str]) -> None:
        validate_config(self.client, self.name, config, self.timeout)

    def create(self, config: Dict[str, str], target: Optional[str]) -> None:
        """Created in its run state; with starting offsets, STOPPED first (the calls both connector modules make)."""
        calls = creation_calls(self.name, config, target, starting_offsets(self.module.params, config))
        initial = [body["initial_state"] for _method, _path, body in calls if isinstance(body, dict) and "initial_state" in body]
        if initial:
            # created in its run state, so it never starts (KIP-980, Kafka 3.7+): refused on an older worker
            error = initial_state_errors(self.client, [(self.name, initial[0])], self.timeout).get(self.name)
            if error:
                raise InvalidInput(error)
        self.operations.extend("{0} {1}".format(method, path) for method, path, _body in calls)
        if not self.module.check_mode:
            create_connector(self.client, self.name, calls, self.timeout)

    def wait_for(self, state: str) -> Optional[Dict[str, Any]]:
        seen = {}  # type: Dict[str, Any]

        def attempt(request_timeout: float) -> bool:
            seen["status"] = self.get_status()
            if seen["status"] and has_failures(seen["status"]) and state != "stopped":
                raise ConnectError("connector {0} failed: {1}".format(self.name, failure_trace(seen["status"])))
            return reached(seen["status"], state)

        deadline = Deadline(self.timeout)
        try:
            poll_until(attempt, deadline, backoff_delays(0.5, 3.0), self.client.request_timeout)
        except DeadlineExceeded:
            raise ConnectError(
                "connector {0} did not reach state {1} within {2:g} s; last status: {3}".format(
                    self.name, state, self.timeout, seen.get("status")
                )
            )
        return seen["status"]

    def result(self, config: Optional[Dict[str, str]], keys: List[str], status: Any, diff: Dict[str, Any]) -> Dict[str, Any]:
        result = {
            "changed": bool(self.operations),
            "name": self.name,
            "config": redact_config(config),
            "changed_keys": keys,
            "operations": self.operations,
            "status": status,
            "requests": self.client.requests,
            "endpoint": self.client.describe(),
        }
        if self.module._diff:
            result["diff"] = diff
        return result


def starting_offsets(params: Dict[str, Any], config: Dict[str, str]) -> Optional[List[Dict[str, Any]]]:
    """O(offsets) as Connect takes them for the config's connector class, or InvalidInput naming the field."""
    if not params["offsets"]:
        return None
    errors = offsets_shape_errors(params["offsets"], "offsets")
    if errors:
        raise InvalidInput("; ".join(errors))
    connector_class = config.get("connector.class", "")
    return check_connector_offsets(params["offsets"], connector_class, connector_direction(connector_class), config)


def check_input(params: Dict[str, Any]) -> None:
    """Everything that can be refused without asking Connect, before the first request."""
    check_connect_params(params)
    check_connector_name(params["name"], "name")
    if params["offsets"] is not None and (params["config"] is None or params["state"] == "absent"):
        raise InvalidInput("offsets are the starting offsets of a connector this task creates: they need config, "
                           "and state absent deletes the connector")
    if params["config"] is not None:
        normalized = normalize_config(params["name"], params["config"])
        check_connector_config(params["name"], normalized, params["allow_literal_secrets"])
        starting_offsets(params, normalized)


def run(module: AnsibleModule) -> Dict[str, Any]:
    check_input(module.params)
    manager = ConnectorManager(module, build_connect_client(module, module.params["request_timeout"]))
    state = module.params["state"]
    if state == "absent":
        return manager.absent()
    return manager.present(state)


def main() -> None:
    module = ConnectorModule(
        argument_spec=connect_argument_spec(CONNECTOR_ARG_SPEC),
        required_if=[("state", "present", ("config",))],
        supports_check_mode=True,
        **CONNECT_MODULE_KWARGS
    )
    run_module(module, lambda: run(module))


if __name__ == "__main__":
    main()
