# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is **PRIVATE** to the collection. It can change at any time.
"""Connector offsets through Kafka Connect's REST API (KIP-875, Kafka 3.6+; KIP-980, 3.7+ for creation).

Connect alters (``PATCH /connectors/NAME/offsets``) and resets (``DELETE .../offsets``) the offsets of a
STOPPED connector only, and answers 400 otherwise. StoppedWrite stops a connector for the write and puts its
run state back afterwards; creation_calls and create_connector create a connector with starting offsets
(created STOPPED, offsets written, then its run state), for both connector modules. What the entries may
hold is _connector_offset_rules.py's.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Tuple

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connect import (
    ConnectError,
    ConnectResponse,
    request_retrying,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connector_offset_rules import sorted_offsets
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connector_state import (
    WRITE_OK,
    call_checked,
    connector_path,
    error_message,
    run_state,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._errors import InvalidInput, ModuleError
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._poll import (
    Deadline,
    DeadlineExceeded,
    backoff_delays,
    poll_until,
)

# The 400 Connect answers while the connector is not STOPPED, or is but still has task configs
# (a moment after PUT .../stop, until the leader has removed them).
NOT_STOPPED_MESSAGE = "must be in the STOPPED state"


def offsets_path(name: str) -> str:
    return connector_path(name, "/offsets")


def read_offsets(client: Any, name: str, timeout: float) -> Optional[List[Dict[str, Any]]]:
    """GET /connectors/NAME/offsets, sorted by partition; None when the connector does not exist."""
    response = call_checked(client, "GET", offsets_path(name), None, timeout, ok=(200, 404))
    if response.status == 404:
        return None
    payload = response.json() or {}
    if not isinstance(payload, dict) or not isinstance(payload.get("offsets"), list):
        raise ConnectError("GET {0} at {1} did not answer {{\"offsets\": [...]}} (Kafka Connect 3.5 or later needed): "
                           "{2}".format(offsets_path(name), client.describe(), response.excerpt()))
    return sorted_offsets([entry for entry in payload["offsets"] if isinstance(entry, dict)])


class ConnectorOffsets:
    """A connector as the offsets modules read it: its class and type, its run state and its offsets."""

    def __init__(self, info: Dict[str, Any], state: Optional[str], offsets: List[Dict[str, Any]]) -> None:
        self.info = info
        self.state = state
        self.offsets = offsets

    @property
    def config(self) -> Dict[str, Any]:
        return self.info.get("config") or {}

    @property
    def connector_class(self) -> str:
        return str(self.config.get("connector.class") or "")

    @property
    def type(self) -> Optional[str]:
        """Connect's own word, "source" or "sink"; None when it gave another."""
        return self.info.get("type") if self.info.get("type") in ("source", "sink") else None


def read_connector_offsets(client: Any, name: str, timeout: float) -> ConnectorOffsets:
    """GET /connectors/NAME, its status and its offsets; InvalidInput naming the endpoint when it does not exist."""
    missing = InvalidInput("connector '{0}' does not exist on {1}".format(name, client.describe()))
    response = call_checked(client, "GET", connector_path(name), None, timeout, ok=(200, 404))
    if response.status == 404:
        raise missing
    info = response.json() or {}
    state = run_state(read_status(client, name, timeout))
    offsets = read_offsets(client, name, timeout)
    if offsets is None:
        if call_checked(client, "GET", connector_path(name), None, timeout, ok=(200, 404)).status == 404:
            raise missing  # deleted between the reads
        raise ConnectError("{0} answers GET {1} with 404 although the connector exists: reading offsets needs Kafka "
                           "Connect 3.5 or later (KIP-875)".format(client.describe(), offsets_path(name)))
    return ConnectorOffsets(info if isinstance(info, dict) else {}, state, offsets)


def is_not_stopped(response: ConnectResponse) -> bool:
    return response.status == 400 and NOT_STOPPED_MESSAGE in error_message(response)


def write_when_stopped(client: Any, method: str, name: str, body: Any, timeout: float) -> ConnectResponse:
    """PATCH or DELETE .../offsets, repeated while Connect still counts the tasks of a connector just stopped."""
    path = offsets_path(name)
    seen = {}  # type: Dict[str, ConnectResponse]
    deadline = Deadline(timeout)

    def attempt(request_timeout: float) -> bool:
        # rebalances (409) are waited through inside, within what is left of the same deadline
        seen["response"] = request_retrying(client, method, path, body, timeout=max(deadline.remaining(), 1.0))
        return not is_not_stopped(seen["response"])

    try:
        poll_until(attempt, deadline, backoff_delays(0.25, 2.0), client.request_timeout)
    except DeadlineExceeded:
        if "response" not in seen:
            raise ConnectError("{0} {1}: no answer within {2:g} s".format(method, path, timeout))
    response = seen["response"]
    if response.status not in WRITE_OK:
        # Connect's own refusal (a connector's check of its offsets), word for word
        raise ConnectError("{0} {1} answered HTTP {2}: {3}".format(method, path, response.status, error_message(response)),
                           details={"connect_status": response.status})
    return response


def read_status(client: Any, name: str, timeout: float) -> Optional[Dict[str, Any]]:
    response = call_checked(client, "GET", connector_path(name, "/status"), None, timeout, ok=(200, 404))
    return response.json() if response.status == 200 else None


def wait_for_status(client: Any, name: str, done: Callable[[Optional[Dict[str, Any]]], bool], timeout: float,
                    what: str) -> Optional[Dict[str, Any]]:
    seen = {}  # type: Dict[str, Any]
    deadline = Deadline(timeout)

    def attempt(request_timeout: float) -> bool:
        seen["status"] = read_status(client, name, max(deadline.remaining(), 1.0))
        return done(seen["status"])

    try:
        poll_until(attempt, deadline, backoff_delays(0.25, 2.0), client.request_timeout)
    except DeadlineExceeded:
        raise ConnectError("connector {0} did not {1} within {2:g} s; last status: {3}".format(
            name, what, timeout, seen.get("status")))
    return seen["status"]


def is_stopped(status: Optional[Dict[str, Any]]) -> bool:
    return run_state(status) == "STOPPED" and not (status or {}).get("tasks")


# The verb that puts back a connector's run state after the offsets were written while it was stopped.
# Any state but PAUSED and STOPPED is a connector meant to run (RUNNING, FAILED, UNASSIGNED, RESTARTING).
def restore_action(state: Optional[str]) -> Optional[str]:
    if state == "STOPPED":
        return None
    return "pause" if state == "PAUSED" else "resume"


def settled_after(action: Optional[str]) -> Callable[[Optional[Dict[str, Any]]], bool]:
    wanted = {"pause": ("PAUSED",), "resume": ("RUNNING", "FAILED")}.get(action or "", ("STOPPED",))
    return lambda status: run_state(status) in wanted


class StoppedWrite:
    """Stop a connector, write its offsets, and put its run state back, even when the write fails.

    Connect writes offsets of STOPPED connectors only. A connector that runs or is paused is stopped
    first (PUT .../stop, then its status read until STOPPED without tasks), and afterwards resumed or
    paused again; a failure to put it back is reported, with the write's own failure when there was one.
    """

    def __init__(self, client: Any, name: str, state: Optional[str], timeout: float) -> None:
        self.client = client
        self.name = name
        self.state = state
        self.timeout = timeout
        self.action = restore_action(state)
        self.operations = []  # type: List[str]

    def planned(self, method: str) -> List[str]:
        """The calls run() makes, in order."""
        calls = ["{0} {1}".format(method, offsets_path(self.name))]
        if self.action:
            calls.insert(0, "PUT " + connector_path(self.name, "/stop"))
            calls.append("PUT " + connector_path(self.name, "/" + self.action))
        return calls

    def run(self, method: str, body: Any) -> Optional[Dict[str, Any]]:
        """The write; the status after the restore (None when the connector stayed STOPPED)."""
        failure = None  # type: Optional[ModuleError]
        try:
            if self.action:
                self.operations.append("PUT " + connector_path(self.name, "/stop"))
                call_checked(self.client, "PUT", connector_path(self.name, "/stop"), None, self.timeout)
                wait_for_status(self.client, self.name, is_stopped, self.timeout, "stop (STOPPED, no tasks)")
            self.operations.append("{0} {1}".format(method, offsets_path(self.name)))
            write_when_stopped(self.client, method, self.name, body, self.timeout)
        except ModuleError as err:
            failure = err
        finally:
            status = self.restore(failure)
        if failure is not None:
            raise failure
        return status

    def restore(self, failure: Optional[ModuleError]) -> Optional[Dict[str, Any]]:
        if not self.action:
            return None
        verb = "PUT " + connector_path(self.name, "/" + self.action)
        self.operations.append(verb)
        try:
            call_checked(self.client, "PUT", connector_path(self.name, "/" + self.action), None, self.timeout)
            return wait_for_status(self.client, self.name, settled_after(self.action), self.timeout,
                                   "leave STOPPED after " + verb)
        except ModuleError as err:
            before = "; before that: {0}".format(failure) if failure is not None else ""
            raise ConnectError("connector {0} was {1} and is left STOPPED: {2} failed: {3}{4}".format(
                self.name, self.state, verb, err, before), details={"restore_failed": True})


# --- creation ------------------------------------------------------------------------------------------

def creation_calls(name: str, config: Dict[str, str], target: Optional[str],
                   offsets: Optional[List[Dict[str, Any]]] = None) -> List[Tuple[str, str, Any]]:
    """The calls that create a connector in its run state (target None: it starts, as PUT .../config does).

    With starting offsets it is created STOPPED (KIP-980), so no task reads before they are written, then
    its offsets are written and it is resumed or paused, unless it is to stay STOPPED.
    """
    if offsets:
        calls = [("POST", "/connectors", {"name": name, "config": config, "initial_state": "STOPPED"}),
                 ("PATCH", offsets_path(name), {"offsets": offsets})]  # type: List[Tuple[str, str, Any]]
        if target != "STOPPED":
            calls.append(("PUT", connector_path(name, "/pause" if target == "PAUSED" else "/resume"), None))
        return calls
    if target in ("PAUSED", "STOPPED"):
        # created in its run state, so it never starts (KIP-980, Kafka 3.7+)
        return [("POST", "/connectors", {"name": name, "config": config, "initial_state": target})]
    return [("PUT", connector_path(name, "/config"), config)]


def create_connector(client: Any, name: str, calls: List[Tuple[str, str, Any]], timeout: float) -> None:
    """Run creation_calls(); a connector whose starting offsets Connect refuses is deleted again.

    Left STOPPED without its offsets, the next run would see it exist and start it from nothing; deleted,
    the next run creates it whole.
    """
    for method, path, body in calls:
        if method != "PATCH":
            call_checked(client, method, path, body, timeout)
            continue
        try:
            write_when_stopped(client, method, name, body, timeout)
        except ModuleError as err:
            try:
                call_checked(client, "DELETE", connector_path(name), None, timeout)
                undone = "it was deleted again, so the next run creates it whole"
            except ModuleError as delete_error:
                undone = "deleting it again failed too ({0}); it is left STOPPED without its offsets".format(delete_error)
            raise ConnectError("connector {0} was created STOPPED for its starting offsets, but writing them failed: "
                               "{1}; {2}".format(name, err, undone), details=err.details)
