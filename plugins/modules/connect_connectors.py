#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: connect_connectors
short_description: Make the connectors of a Kafka Connect cluster match a list, in one read
version_added: 0.2.0
description:
  - Applies a whole list of connectors in one module run, the way the C(connectors) role does it.
    one V(GET /connectors?expand=info&expand=status) reads every connector's config and status, and
    only the connectors that differ are written, concurrently (at most O(max_workers) at a time).
  - Per connector it does what M(streamops.eventhub_connect.connect_connector) does (compare
    configs as Connect stores them, create, update, pause, stop, resume, restart failed instances,
    delete) and reports the same fields in RV(connectors).
  - With O(prune=true) it deletes the connectors of the cluster that O(connectors) does not name.
  - With O(restart_failed=true) every listed connector (or, with O(prune=true), every connector)
    whose instance or tasks report C(FAILED) is restarted, and RV(failures) gives one line per
    failed instance with its worker and the first line of its trace, so a scheduled run repairs and
    reports.
  - An unchanged list costs exactly one request (O(wait) included, when the read already shows
    every connector in its state).
  - With O(workload), it first waits, in the same process, for that Deployment or StatefulSet to roll
    out and for Connect to answer, exactly as M(streamops.eventhub_connect.connect_ready) does (up to
    O(ready_timeout)), and returns what that wait saw in RV(ready); C(site.yml) waits so, saving the
    module process of a separate wait.
author:
  - streamops platform team (@streamops)
extends_documentation_fragment:
  - streamops.eventhub_connect.connect
  - streamops.eventhub_connect.connect.retries
  - streamops.eventhub_connect.connect.manage
  - streamops.eventhub_connect.connect.secrets
  - streamops.eventhub_connect.connect.rollout
  - kubernetes.core.k8s_auth_options
options:
  connectors:
    description:
      - The connectors to apply, each applied as M(streamops.eventhub_connect.connect_connector)
        applies one. Names must be unique.
      - The entries of the C(connectors) role's C(connectors_list) are accepted as they are; C(topics),
        C(topic_partitions) and C(topic_retention_hours) are for the C(eventhub) role's topic plan and
        are ignored here.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Name of the connector; not empty, without C(/).
        type: str
        required: true
      config:
        description:
          - The connector's complete config, compared as Connect stores it (strings, C(name) added).
          - Required unless O(connectors[].state=absent) or the connector exists and only its run state
            is to change.
        type: dict
      state:
        description: As O(streamops.eventhub_connect.connect_connector#module:state).
        type: str
        choices: [present, running, paused, stopped, absent]
        default: running
      restart_failed:
        description: Overrides O(restart_failed) for this connector.
        type: bool
      allow_literal_secrets:
        description: Accept credentials in clear in this connector's C(config).
        type: bool
        default: false
      offsets:
        description:
          - Starting offsets, written only when the connector is created, as
            O(streamops.eventhub_connect.connect_connector#module:offsets) writes them (created C(STOPPED), offsets
            written, then its state). Ignored for a connector that exists; change those with
            M(streamops.eventhub_connect.connect_connector_offsets).
        type: list
        elements: dict
        version_added: 0.2.0
      topics:
        description: Ignored here (read by the C(eventhub) role's topic plan).
        type: list
        elements: str
      topic_partitions:
        description: Ignored here (read by the C(eventhub) role's topic plan).
        type: int
      topic_retention_hours:
        description: Ignored here (read by the C(eventhub) role's topic plan).
        type: int
  prune:
    description: Delete the connectors of the cluster that O(connectors) does not name.
    type: bool
    default: false
  restart_failed:
    description:
      - Restart, once, the connectors and tasks that report C(FAILED)
        (V(POST /connectors/NAME/restart?includeTasks=true&onlyFailed=true)), for entries whose state is
        V(present) or V(running).
    type: bool
    default: false
  wait:
    description:
      - Wait until every listed connector reports its requested state (as in
        M(streamops.eventhub_connect.connect_connector)), up to O(timeout), polling the one expanded
        status list; fail at once when one reports C(FAILED).
    type: bool
    default: false
  ready_timeout:
    description:
      - Seconds to keep retrying the first read while Connect does not answer yet (refused, the service
        proxy's 503, a starting worker's 404), so no separate readiness check is needed. V(0) uses
        O(timeout).
      - With O(workload), the deadline of the wait for its rollout and the REST API.
    type: float
    default: 0
  timeout:
    description:
      - Seconds to keep retrying each call that Connect answers with 409 (rebalance) or the proxy with
        502-504, and the deadline of O(wait).
    type: float
    default: 120
  request_timeout:
    description: Seconds one HTTP request may take.
    type: float
    default: 30
  max_workers:
    description: Connectors written at the same time.
    type: int
    default: 8
notes:
  - One connector failing does not stop the others; the module fails at the end, naming every connector
    that failed, with the results of all of them in RV(connectors).
seealso:
  - module: streamops.eventhub_connect.connect_connector
  - module: streamops.eventhub_connect.connect_connector_info
  - name: Kafka Connect REST API
    description: The endpoints this module calls.
    link: https://kafka.apache.org/documentation/#connect_rest
requirements:
  - kubernetes (Python library, for the service proxy)
"""

EXAMPLES = r"""
---
- name: Apply every connector of the list, deleting the others, restarting what failed
  streamops.eventhub_connect.connect_connectors:
    namespace: kafka-connect
    service: kafka-connect
    prune: true
    restart_failed: true
    ready_timeout: 300
    connectors:
      - name: inventory-postgres
        config:
          connector.class: io.debezium.connector.postgresql.PostgresConnector
          tasks.max: 1
          plugin.name: pgoutput
          database.hostname: postgres.inventory.svc
          database.user: debezium
          database.password: "${dir:/opt/kafka/external-configuration/connector-secrets:postgres-password}"
          database.dbname: inventory
          topic.prefix: inventory
          table.include.list: public.orders,public.customers
      - name: old-sink
        state: absent
  register: applied

- name: Show what failed and was restarted
  ansible.builtin.debug:
    msg: "{{ applied.failures }}"
  when: applied.failures | length > 0
"""

RETURN = r"""
connectors:
  description: One result per entry of O(connectors), in order, shaped like M(streamops.eventhub_connect.connect_connector)'s.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the connector.
      type: str
    changed:
      description: Whether this connector was (in check mode, would be) changed.
      type: bool
    config:
      description: The config after the run, secrets redacted; V(null) when the connector does not exist.
      type: dict
    changed_keys:
      description: Config keys added, removed or changed.
      type: list
      elements: str
    operations:
      description: The REST calls that changed something (in check mode, that would have).
      type: list
      elements: str
    status:
      description: The connector's status after the run (before it, in check mode).
      type: dict
    failed:
      description: Whether a call on this connector failed.
      type: bool
    msg:
      description: Why it failed.
      type: str
  sample:
    - name: inventory-postgres
      changed: false
      config: {connector.class: io.debezium.connector.postgresql.PostgresConnector, database.password: "********"}
      changed_keys: []
      operations: []
      status: {connector: {state: RUNNING}, tasks: [{id: 0, state: RUNNING}]}
      failed: false
pruned:
  description: Connectors deleted (in check mode, that would be) because O(connectors) does not name them.
  returned: always
  type: list
  elements: str
  sample: [stray-sink]
restarted:
  description: Connectors whose failed instance or tasks were (would be) restarted.
  returned: always
  type: list
  elements: str
  sample: [orders-sink]
failures:
  description: One line per C(FAILED) connector instance or task seen by the read, with its worker and trace.
  returned: always
  type: list
  elements: str
  sample: ["connector orders-sink task 0 FAILED on 10.0.0.7:8083: org.apache.kafka.connect.errors.ConnectException: file gone"]
requests:
  description: Number of REST requests the module sent (1 for an unchanged list without O(workload)).
  returned: always
  type: int
  sample: 1
ready:
  description:
    - What the wait for O(workload) saw, shaped as M(streamops.eventhub_connect.connect_ready)'s result
      (C(endpoint), C(status), C(body), C(attempts), C(elapsed), C(workload_status), C(pods), C(version),
      C(commit), C(kafka_cluster_id), C(connectors)).
  returned: when O(workload) is set
  type: dict
  sample: {"status": 200, "body": "[]", "version": "4.3.0", "kafka_cluster_id": "MkU3OEVBNTcwNTJENDM2Qk",
           "pods": ["kafka-connect-7d9f8b6c4-abcde"], "elapsed": 0.05, "attempts": 1}
endpoint:
  description: Where the module sent its requests.
  returned: always
  type: str
  sample: https://127.0.0.1:16443/api/v1/namespaces/kafka-connect/services/kafka-connect:8083/proxy
"""

from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List, Optional, Tuple

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connect import (
    ConnectClient,
    ConnectError,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connect_module import (
    CONNECT_MODULE_KWARGS,
    build_connect_client,
    check_connect_params,
    connect_argument_spec,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connect_wait import (
    ROLLOUT_ARG_SPEC,
    rollout_target,
    wait_until_ready,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connector_config import (
    changed_keys,
    normalize_config,
    redact_config,
    redacted_diff,
    secret_values,
    stored_config,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connector_list import (
    check_connector_list,
    connector_direction,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connector_offset_rules import check_connector_offsets
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connector_offsets import (
    create_connector,
    creation_calls,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connector_state import (
    RUN_STATE_ACTION,
    TARGET_RUN_STATE,
    call_checked,
    check_connector_name,
    connector_path,
    failure_lines,
    failure_trace,
    has_failures,
    initial_state_errors,
    needs_transition,
    reached,
    read_expanded,
    run_state,
    validate_config,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._errors import (
    InvalidInput,
    ModuleError,
    run_module,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._poll import (
    Deadline,
    DeadlineExceeded,
    backoff_delays,
    poll_until,
)

STATES = ["present", "running", "paused", "stopped", "absent"]
ENTRY_SPEC = {
    "name": {"type": "str", "required": True},
    "config": {"type": "dict"},
    "state": {"type": "str", "default": "running", "choices": STATES},
    "restart_failed": {"type": "bool"},
    "allow_literal_secrets": {"type": "bool", "default": False},
    "offsets": {"type": "list", "elements": "dict"},
    "topics": {"type": "list", "elements": "str"},
    "topic_partitions": {"type": "int"},
    "topic_retention_hours": {"type": "int"},
}
CONNECTORS_ARG_SPEC = {
    "connectors": {"type": "list", "elements": "dict", "default": [], "options": ENTRY_SPEC},
    "prune": {"type": "bool", "default": False},
    "restart_failed": {"type": "bool", "default": False},
    "wait": {"type": "bool", "default": False},
    "ready_timeout": {"type": "float", "default": 0},
    "timeout": {"type": "float", "default": 120},
    "request_timeout": {"type": "float", "default": 30},
    "max_workers": {"type": "int", "default": 8},
}
CONNECTORS_ARG_SPEC.update(ROLLOUT_ARG_SPEC)


class ConnectorsModule(AnsibleModule):
    """AnsibleModule that knows every config's secret values before it logs its invocation."""

    def _log_invocation(self) -> None:
        for entry in self.params.get("connectors") or []:
            self.no_log_values.update(secret_values(entry.get("config")))
        super(ConnectorsModule, self)._log_invocation()


class Desired:
    """One entry of the list, checked and normalized before any request."""

    def __init__(self, index: int, entry: Dict[str, Any], restart_default: bool) -> None:
        self.name = check_connector_name(entry["name"], "connectors[{0}].name".format(index))
        self.state = entry["state"]
        self.restart_failed = restart_default if entry["restart_failed"] is None else entry["restart_failed"]
        self.config = None  # type: Optional[Dict[str, str]]
        if entry["config"] is not None:
            self.config = normalize_config(self.name, entry["config"])
        elif self.state == "present":
            raise InvalidInput("connectors[{0}] ({1}) has state present but no config".format(index, self.name))
        self.offsets = None  # type: Optional[List[Dict[str, Any]]]
        if entry["offsets"] and self.config is not None and self.state != "absent":
            # checked by check_connector_list already; this gives the values as Connect takes them
            connector_class = self.config.get("connector.class", "")
            self.offsets = check_connector_offsets(entry["offsets"], connector_class, connector_direction(connector_class),
                                                   self.config, "connectors[{0}].offsets".format(index))


def check_input(params: Dict[str, Any]) -> List[Desired]:
    """Everything that can be refused without asking Connect."""
    check_connect_params(params, non_negative=("timeout", "ready_timeout"))
    if params["max_workers"] < 1:
        raise InvalidInput("max_workers is {0}; it must be 1 or more".format(params["max_workers"]))
    # the check the eventhub role's topic plan ran on the same list before the first write of the play
    check_connector_list(params["connectors"], "connectors")
    return [Desired(index, entry, params["restart_failed"]) for index, entry in enumerate(params["connectors"])]


class Plan:
    """What one connector needs: read state, desired config, and the calls that close the gap."""

    def __init__(self, name: str, state: str, before: Optional[Dict[str, str]], status: Optional[Dict[str, Any]],
                 after: Optional[Dict[str, str]]) -> None:
        self.name = name
        self.state = state
        self.before = before
        self.status = status
        self.after = after
        self.keys = changed_keys(before, after) if after is not None else sorted(before or {})
        self.calls = []  # type: List[Tuple[str, str, Any]]
        self.create = False
        self.validate = False
        self.restarted = False
        self.error = None  # type: Optional[str]

    @property
    def operations(self) -> List[str]:
        return ["{0} {1}".format(method, path) for method, path, _body in self.calls]


def plan_connector(item: Desired, entry: Optional[Dict[str, Any]]) -> Plan:
    """The calls one listed connector needs, from the one expanded read."""
    before = stored_config((entry.get("info") or {}).get("config")) if entry is not None else None
    status = (entry.get("status") or None) if entry is not None else None
    if item.state == "absent":
        plan = Plan(item.name, item.state, before, status, None)
        if before is not None:
            plan.calls.append(("DELETE", connector_path(item.name), None))
        return plan
    if item.config is None and before is None:
        raise InvalidInput("connector {0} does not exist; config is required to create it".format(item.name))
    after = item.config if item.config is not None else before
    plan = Plan(item.name, item.state, before, status, after)
    target = TARGET_RUN_STATE.get(item.state)
    if before is None:
        plan.validate = plan.create = True
        plan.calls.extend(creation_calls(item.name, after, target, item.offsets))
        return plan
    if plan.keys:
        plan.validate = True
        plan.calls.append(("PUT", connector_path(item.name, "/config"), after))
    if needs_transition(target, run_state(status)):
        plan.calls.append(("PUT", connector_path(item.name, "/" + RUN_STATE_ACTION[target]), None))
    if item.restart_failed and item.state in ("present", "running") and has_failures(status):
        plan.restarted = True
        plan.calls.append(("POST", connector_path(item.name, "/restart?includeTasks=true&onlyFailed=true"), None))
    return plan


class ConnectorsManager:
    """Reads the cluster once, plans every connector, writes the differences concurrently."""

    def __init__(self, module: AnsibleModule, client: ConnectClient, desired: List[Desired]) -> None:
        self.module = module
        self.client = client
        self.desired = desired
        self.params = module.params

    def apply(self, plan: Plan) -> None:
        """The connector's calls in order; in check mode only the validation."""
        try:
            if self.module.check_mode:
                if plan.validate:
                    validate_config(self.client, plan.name, plan.after or {}, self.params["timeout"])
                return
            if plan.create:
                create_connector(self.client, plan.name, plan.calls, self.params["timeout"])
                return
            for method, path, body in plan.calls:
                call_checked(self.client, method, path, body, self.params["timeout"])
        except ModuleError as err:
            plan.error = to_text(err)

    def wait_for(self, plans: List[Plan], statuses: Dict[str, Any]) -> Dict[str, Any]:
        """Poll the expanded list until every waited-for connector is in its state; fail fast on FAILED."""
        waiting = [plan for plan in plans if plan.state != "absent" and plan.error is None]
        seen = {"statuses": statuses}  # type: Dict[str, Any]
        # the first read still holds when nothing was written; after a write, only a new read tells
        fresh = {"ok": not any(plan.calls for plan in plans)}

        def attempt(request_timeout: float) -> bool:
            if not fresh["ok"]:
                seen["statuses"] = dict((name, entry.get("status")) for name, entry in
                                        read_expanded(self.client, self.params["timeout"]).items())
            fresh["ok"] = False
            for plan in waiting:
                status = seen["statuses"].get(plan.name)
                if status and has_failures(status) and plan.state != "stopped":
                    raise ConnectError("connector {0} failed: {1}".format(plan.name, failure_trace(status)))
            return all(reached(seen["statuses"].get(plan.name), plan.state) for plan in waiting)

        try:
            poll_until(attempt, Deadline(self.params["timeout"]), backoff_delays(0.5, 3.0), self.client.request_timeout)
        except DeadlineExceeded:
            late = [plan.name for plan in waiting if not reached(seen["statuses"].get(plan.name), plan.state)]
            raise ConnectError("connectors {0} did not reach their state within {1:g} s; last status: {2}".format(
                ", ".join(late), self.params["timeout"], dict((name, seen["statuses"].get(name)) for name in late)))
        return seen["statuses"]

    def run(self) -> Dict[str, Any]:
        read_timeout = self.params["ready_timeout"] or self.params["timeout"]
        cluster = read_expanded(self.client, max(read_timeout, self.params["timeout"]))
        for entry in cluster.values():
            self.module.no_log_values.update(secret_values((entry.get("info") or {}).get("config")))
        plans = [plan_connector(item, cluster.get(item.name)) for item in self.desired]
        listed = set(item.name for item in self.desired)
        pruned = []  # type: List[str]
        if self.params["prune"]:
            for name in sorted(set(cluster) - listed):
                plan = Plan(name, "absent", stored_config((cluster[name].get("info") or {}).get("config")),
                            cluster[name].get("status"), None)
                plan.calls.append(("DELETE", connector_path(name), None))
                plans.append(plan)
                pruned.append(name)
        failures = []  # type: List[str]
        for name in sorted(cluster if self.params["prune"] else listed & set(cluster)):
            failures.extend(failure_lines(name, cluster[name].get("status")))

        # KIP-980 (Kafka 3.7+): a connector to create paused or stopped on an older worker is that connector's error
        creations = [(plan.name, body["initial_state"]) for plan in plans for _method, _path, body in plan.calls
                     if isinstance(body, dict) and "initial_state" in body]
        for name, error in initial_state_errors(self.client, creations, self.params["timeout"]).items():
            for plan in plans:
                if plan.name == name:
                    plan.error, plan.calls, plan.validate = error, [], False
        busy = [plan for plan in plans if plan.calls]
        if busy:
            with ThreadPoolExecutor(max_workers=min(self.params["max_workers"], len(busy))) as pool:
                list(pool.map(self.apply, busy))

        statuses = dict((name, entry.get("status")) for name, entry in cluster.items())
        if not self.module.check_mode:
            if self.params["wait"]:
                statuses = self.wait_for(plans, statuses)
            elif any(plan.calls and plan.error is None for plan in plans):
                statuses = dict((name, entry.get("status")) for name, entry in
                                read_expanded(self.client, self.params["timeout"]).items())
        return self.result(plans, pruned, failures, statuses)

    def result(self, plans: List[Plan], pruned: List[str], failures: List[str], statuses: Dict[str, Any]) -> Dict[str, Any]:
        check = self.module.check_mode
        results = []
        diff = {"before": {}, "after": {}}  # type: Dict[str, Dict[str, Any]]
        for plan in plans:
            gone = plan.state == "absent"
            config = plan.before if gone and check else (None if gone else plan.after)
            status = plan.status if check else (None if gone else statuses.get(plan.name))
            entry = {
                "name": plan.name,
                "changed": bool(plan.calls),
                "config": redact_config(config),
                "changed_keys": plan.keys,
                "operations": plan.operations,
                "status": status,
                "failed": plan.error is not None,
            }
            if plan.error is not None:
                entry["msg"] = plan.error
            if plan.name in pruned:
                entry["pruned"] = True
            results.append(entry)
            if plan.calls:
                redacted = redacted_diff(plan.before, plan.after)
                if plan.before is not None:
                    diff["before"][plan.name] = {"config": redacted["before"], "state": run_state(plan.status)}
                if not gone:
                    target = TARGET_RUN_STATE.get(plan.state) or (run_state(plan.status) if plan.before else "RUNNING")
                    diff["after"][plan.name] = {"config": redacted["after"], "state": target}
        result = {
            "changed": any(plan.calls for plan in plans),
            "connectors": [entry for entry in results if not entry.get("pruned")],
            "pruned": pruned,
            "restarted": [plan.name for plan in plans if plan.restarted],
            "failures": failures,
            "requests": self.client.requests,
            "endpoint": self.client.describe(),
        }
        if self.module._diff:
            result["diff"] = diff
        failed = [entry for entry in results if entry["failed"]]
        if failed:
            raise ModuleError("{0} of {1} connector(s) failed: {2}".format(
                len(failed), len(results), "; ".join("{0}: {1}".format(entry["name"], entry["msg"]) for entry in failed)),
                details=result)
        return result


def run(module: AnsibleModule) -> Dict[str, Any]:
    params = module.params
    desired = check_input(params)
    rollout, dynamic = rollout_target(module)
    client = build_connect_client(module, params["request_timeout"], dynamic=dynamic)
    ready = None
    if rollout is not None:
        ready = wait_until_ready(client, "/connectors", [200], params["ready_timeout"] or params["timeout"],
                                 params["request_timeout"], dynamic=dynamic, rollout=rollout)
    result = ConnectorsManager(module, client, desired).run()
    if ready is not None:
        result["ready"] = ready
    return result


def main() -> None:
    module = ConnectorsModule(
        argument_spec=connect_argument_spec(CONNECTORS_ARG_SPEC),
        supports_check_mode=True,
        **CONNECT_MODULE_KWARGS
    )
    run_module(module, lambda: run(module))


if __name__ == "__main__":
    main()
