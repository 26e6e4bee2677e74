# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is **PRIVATE** to the collection. It can change at any time.
"""Connector run states as Connect reports them, and the checks of connector names and answers."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import quote

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connect import (
    ConnectError,
    ConnectResponse,
    request_retrying,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connector_list import connector_name_error
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._errors import InvalidInput
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._kafka_versions import initial_state_error

# The run state each module state asks for, as Connect's status reports it.
TARGET_RUN_STATE = {"running": "RUNNING", "paused": "PAUSED", "stopped": "STOPPED"}
# The REST verb that moves a connector into a run state.
RUN_STATE_ACTION = {"RUNNING": "resume", "PAUSED": "pause", "STOPPED": "stop"}
UNSETTLED_STATES = ("UNASSIGNED", "RESTARTING")
TRACE_LINE_CHARS = 300


def check_connector_name(name: Any, field: str) -> str:
    """The name, or InvalidInput with connector_name_error's reason."""
    error = connector_name_error(None if name is None else to_text(name), field)
    if error:
        raise InvalidInput(error)
    return to_text(name)


def connector_path(name: str, suffix: str = "") -> str:
    return "/connectors/" + quote(name, safe="") + suffix


def run_state(status: Optional[Dict[str, Any]]) -> Optional[str]:
    """The connector's state from its status (RUNNING, PAUSED, STOPPED, FAILED, UNASSIGNED, ...)."""
    if not status:
        return None
    return (status.get("connector") or {}).get("state")


def task_states(status: Optional[Dict[str, Any]]) -> List[str]:
    return [task.get("state") for task in (status or {}).get("tasks") or []]


def has_failures(status: Optional[Dict[str, Any]]) -> bool:
    return run_state(status) == "FAILED" or "FAILED" in task_states(status)


def needs_transition(target: Optional[str], observed: Optional[str]) -> bool:
    """Whether the run-state verb must be called; a FAILED connector is restarted, not resumed."""
    if target is None:
        return False
    if target == "RUNNING":
        return observed in ("PAUSED", "STOPPED")
    return observed != target


def reached(status: Optional[Dict[str, Any]], state: str) -> bool:
    """Whether the status shows what wait waits for with this module state."""
    connector = run_state(status)
    tasks = task_states(status)
    if state == "running":
        return connector == "RUNNING" and bool(tasks) and all(task == "RUNNING" for task in tasks)
    if state == "paused":
        return connector == "PAUSED" and all(task == "PAUSED" for task in tasks)
    if state == "stopped":
        return connector == "STOPPED"
    return connector is not None and connector not in UNSETTLED_STATES and not set(tasks) & set(UNSETTLED_STATES)


def failure_lines(name: str, status: Optional[Dict[str, Any]]) -> List[str]:
    """One readable line per FAILED instance: which, on which worker, and the trace's first line."""
    lines = []
    for part in [(status or {}).get("connector") or {}] + list((status or {}).get("tasks") or []):
        if part.get("state") != "FAILED":
            continue
        trace = to_text(part.get("trace") or "no trace").strip().splitlines() or ["no trace"]
        first = trace[0][:TRACE_LINE_CHARS]
        # the cause is usually the last "Caused by:" line of a Java trace
        causes = [line.strip() for line in trace if line.strip().startswith("Caused by:")]
        cause = " | " + causes[-1][:TRACE_LINE_CHARS] if causes else ""
        lines.append("connector {0} {1} FAILED on {2}: {3}{4}".format(
            name, "task {0}".format(part["id"]) if "id" in part else "instance",
            part.get("worker_id") or "no worker", first, cause))
    return lines


def failure_trace(status: Dict[str, Any]) -> str:
    """The first trace line of a failed connector or task, for the failure message."""
    for part in [status.get("connector") or {}] + list(status.get("tasks") or []):
        if part.get("state") == "FAILED":
            trace = to_text(part.get("trace") or "no trace")
            return "{0} FAILED: {1}".format("task {0}".format(part["id"]) if "id" in part else "connector", trace.splitlines()[0])
    return ""


def error_message(response: ConnectResponse) -> str:
    """Connect's own message from an error answer ({"error_code": ..., "message": ...})."""
    try:
        payload = response.json()
    except ConnectError:  # not JSON: show the body as it came
        payload = None
    if isinstance(payload, dict) and payload.get("message"):
        return to_text(payload["message"])
    return response.excerpt() or "(empty body)"


EXPANDED_LIST_PATH = "/connectors?expand=status&expand=info"


def read_expanded(client: Any, timeout: float) -> Dict[str, Any]:
    """Every connector with its config, type, status and tasks, in one request (Connect 2.3+)."""
    response = request_retrying(client, "GET", EXPANDED_LIST_PATH, timeout=timeout)
    if response.status != 200:
        raise ConnectError("GET {0} at {1} answered HTTP {2}: {3}".format(
            EXPANDED_LIST_PATH, client.describe(), response.status, response.excerpt() or "(empty body)"))
    payload = response.json() or {}
    if not isinstance(payload, dict) or not all(isinstance(entry, dict) for entry in payload.values()):
        raise ConnectError("GET {0} at {1} did not answer a JSON object of connectors (Kafka Connect 2.3 or later "
                           "needed): {2}".format(EXPANDED_LIST_PATH, client.describe(), response.excerpt()))
    return payload


WRITE_OK = (200, 201, 202, 204)


def call_checked(client: Any, method: str, path: str, body: Any, timeout: float,
                 ok: Tuple[int, ...] = WRITE_OK) -> ConnectResponse:
    """request_retrying(), and a ConnectError with Connect's own message unless the status is in ok."""
    response = request_retrying(client, method, path, body, timeout=timeout)
    if response.status not in ok:
        raise ConnectError("{0} {1} answered HTTP {2}: {3}".format(method, path, response.status, error_message(response)))
    return response


def validate_config(client: Any, name: str, config: Dict[str, str], timeout: float) -> None:
    """Connect's validation of a config, which a real write runs too: check mode fails where a run would."""
    plugin = config.get("connector.class")
    if not plugin:
        raise InvalidInput("config of connector {0} has no connector.class".format(name))
    path = "/connector-plugins/" + quote(plugin, safe="") + "/config/validate"
    payload = call_checked(client, "PUT", path, config, timeout, ok=(200,)).json() or {}
    if not payload.get("error_count"):
        return
    errors = []
    for item in payload.get("configs") or []:
        value = item.get("value") or {}
        errors.extend("{0}: {1}".format(value.get("name"), error) for error in value.get("errors") or [])
    raise ConnectError("Connect would refuse the config of connector {0} ({1} error(s)): {2}".format(
        name, payload["error_count"], "; ".join(errors)))


def worker_version(client: Any, timeout: float) -> Optional[str]:
    """The Kafka version GET / answers for the workers, or None when it answers no version."""
    response = request_retrying(client, "GET", "/", timeout=timeout)
    payload = response.json() if response.status == 200 else None
    version = payload.get("version") if isinstance(payload, dict) else None
    return to_text(version) if version else None


def initial_state_errors(client: Any, creations: List[Tuple[str, str]], timeout: float) -> Dict[str, str]:
    """name -> why it cannot be created in its initial_state here, for each (name, state) to create paused or stopped.

    A worker before Kafka 3.7 does not know initial_state (KIP-980) and would start the connector: one GET / tells.
    """
    if not creations:
        return {}
    version = worker_version(client, timeout)
    errors = {}
    for name, state in creations:
        error = initial_state_error(name, state, version)
        if error:
            errors[name] = error
    return errors
