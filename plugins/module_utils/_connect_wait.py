# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is **PRIVATE** to the collection. It can change at any time.
"""The wait for a Connect cluster: its workload's rollout, each ready pod, then the REST API.

connect_ready runs it on its own; connect_connectors runs it before its read when given a workload, so
that site.yml's no-op re-run waits and reads in one module process.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List, Optional, Tuple

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connect import (
    ConnectClient,
    ConnectError,
    ConnectResponse,
    ConnectTimeout,
    connector_names,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connect_rollout import (
    WORKLOAD_KINDS,
    RolloutReader,
    rollout_pending,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._errors import InvalidInput, ModuleError
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._poll import (
    Deadline,
    DeadlineExceeded,
    backoff_delays,
    poll_until,
)


# The options that name the workload to wait for (documented by the connect.rollout doc fragment).
ROLLOUT_ARG_SPEC = {
    "workload": {"type": "str"},
    "workload_kind": {"type": "str", "default": "Deployment", "choices": sorted(WORKLOAD_KINDS)},
    "poll_interval": {"type": "float", "default": 1},
}


def check_rollout_params(params: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """The workload to wait for, from the module's parameters (None without workload), or InvalidInput."""
    if params["poll_interval"] <= 0:
        raise InvalidInput("poll_interval is {0:g}; it must be more than 0 seconds".format(params["poll_interval"]))
    if params["workload"] is None:
        return None
    if not params["workload"].strip():
        raise InvalidInput("workload is empty")
    if not params["namespace"]:
        raise InvalidInput("workload {0!r} needs namespace: the namespace of the {1}".format(
            params["workload"], params["workload_kind"]))
    return {"namespace": params["namespace"], "workload": params["workload"], "workload_kind": params["workload_kind"],
            "service": params["service"], "poll_interval": params["poll_interval"]}


def rollout_target(module: Any) -> Tuple[Optional[Dict[str, Any]], Any]:
    """The workload to wait for (check_rollout_params) and the kubernetes client to read it with; (None, None) without."""
    rollout = check_rollout_params(module.params)
    if rollout is None:
        return None, None
    # imported here: the kubernetes library takes a while to import, and a wait without workload needs none of it
    from ansible_collections.streamops.eventhub_connect.plugins.module_utils._k8s_proxy import dynamic_client

    return rollout, dynamic_client(module, "waiting for a workload")


class ReadinessWaiter:
    """Polls one path until it answers an expected status, remembering the last answer."""

    def __init__(self, client: ConnectClient, path: str, expected: List[int]) -> None:
        self.client = client
        self.path = path
        self.expected = expected
        self.last = None  # type: Optional[ConnectResponse]
        self.last_error = None  # type: Optional[str]

    def attempt(self, timeout: float) -> bool:
        try:
            self.last = self.client.request("GET", self.path, timeout=timeout)
            self.last_error = None
        except ConnectTimeout as err:
            # a last attempt cut short by the deadline says less than what came before it
            if self.last is None and self.last_error is None:
                self.last_error = to_text(err)
            return False
        except ConnectError as err:
            self.last_error = to_text(err)
            return False
        return self.last.status in self.expected

    def observed(self) -> Dict[str, Any]:
        return {
            "status": self.last.status if self.last else None,
            "body": self.last.excerpt() if self.last else None,
            "error": self.last_error,
            "endpoint": self.client.describe(),
        }

    def failure_message(self, timeout: float, attempts: int) -> str:
        if self.last_error:
            last = "last error: {0}".format(self.last_error)
        elif self.last is not None:
            last = "last answer: HTTP {0}: {1}".format(self.last.status, self.last.excerpt() or "(empty body)")
        else:
            last = "no answer"
        return "Kafka Connect at {0} did not answer {1} on GET {2} within {3:g} s ({4} attempts); {5}".format(
            self.client.describe(),
            " or ".join(str(code) for code in self.expected),
            self.path,
            timeout,
            attempts,
            last,
        )


def read_json(client: ConnectClient, path: str) -> Any:
    """GET path and decode it; None when it does not answer 200 with JSON."""
    try:
        response = client.request("GET", path)
        return response.json() if response.status == 200 else None
    except ConnectError:
        return None


def describe_worker(client: ConnectClient, waiter: ReadinessWaiter) -> Dict[str, Any]:
    """Worker version and connector names, read once the worker is ready."""
    root = read_json(client, "/") or {}
    if waiter.path.split("?")[0].rstrip("/") == "/connectors" and waiter.last is not None:
        try:
            connectors = waiter.last.json()
        except ConnectError:
            connectors = None
    else:
        connectors = read_json(client, "/connectors")
    return {
        "version": root.get("version"),
        "commit": root.get("commit"),
        "kafka_cluster_id": root.get("kafka_cluster_id"),
        "connectors": connector_names(connectors),
    }


REST_RETRY_SECONDS = 0.1


class RolloutWaiter:
    """The whole wait with O(workload): rollout, ready endpoints, each pod, then the REST API as asked."""

    def __init__(self, reader: RolloutReader, waiter: ReadinessWaiter, request_timeout: float) -> None:
        self.reader = reader
        self.waiter = waiter
        self.request_timeout = request_timeout
        self.status = {}  # type: Dict[str, Any]
        self.pods = []  # type: List[str]
        self.pending = "nothing read yet"
        self.attempts = 0
        # everything but the last answer is there: the Service's Endpoints (which the service proxy reads, and
        # no watch here covers) trail its EndpointSlices by a moment
        self.only_rest_pending = False

    def check(self, deadline: Deadline) -> bool:
        """One look at everything; True when the wait is over."""
        timeout = max(0.1, min(self.request_timeout, deadline.remaining()))
        try:
            workload = self.reader.workload(timeout)
            self.status = (workload or {}).get("status") or {}
            pending = rollout_pending(workload, self.reader.kind)
            if pending is None and self.reader.service:
                pending = self.check_pods(workload, timeout)
        except ConnectError as err:
            pending = to_text(err)
        self.only_rest_pending = pending is None
        if pending is None:
            self.attempts += 1
            if self.waiter.attempt(timeout):
                return True
            pending = "GET {0} at {1}: {2}".format(self.waiter.path, self.waiter.client.describe(),
                                                   self.waiter.last_error or "HTTP {0}".format(
                                                       self.waiter.last.status if self.waiter.last else None))
        self.pending = pending
        return False

    def check_pods(self, workload: Dict[str, Any], timeout: float) -> Optional[str]:
        desired = (workload.get("spec") or {}).get("replicas")
        desired = 1 if desired is None else int(desired)
        endpoints = self.reader.endpoints(timeout)
        if len(endpoints) < desired:
            return "Service {0} has {1} ready endpoint(s) of {2}".format(self.reader.service, len(endpoints), desired)
        with ThreadPoolExecutor(max_workers=min(len(endpoints), 8)) as pool:
            answers = list(pool.map(lambda endpoint: self.reader.probe_pod(endpoint[0], endpoint[1], self.waiter.path,
                                                                           timeout), endpoints))
        for (pod, _port), answer in zip(endpoints, answers):
            if answer.status not in self.waiter.expected:
                return "pod {0} answered HTTP {1} on GET {2}: {3}".format(
                    pod, answer.status, self.waiter.path, answer.excerpt())
        self.pods = [pod for pod, _port in endpoints]
        return None

    def wait(self, deadline: Deadline, poll_interval: float) -> None:
        # a finished rollout (a re-run) needs no watch: look once before starting any
        if self.check(deadline):
            return
        self.reader.start_watches()
        try:
            while True:
                if deadline.remaining() <= 0:
                    raise DeadlineExceeded(self.attempts)
                interval = min(poll_interval, REST_RETRY_SECONDS) if self.only_rest_pending else poll_interval
                self.reader.changed.wait(min(interval, deadline.remaining()))
                self.reader.changed.clear()
                if self.check(deadline):
                    return
        finally:
            self.reader.stop()


def wait_until_ready(client: ConnectClient, path: str, expected: List[int], timeout: float, request_timeout: float,
                     interval: float = 1, max_interval: float = 4, dynamic: Any = None,
                     rollout: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """Wait as connect_ready does and return its result; ModuleError, with what was seen, past timeout.

    rollout, when given, names the workload to wait for first: namespace, workload, workload_kind, service
    (None: the REST API is asked by URL) and poll_interval; dynamic is the kubernetes client to read it with.
    """
    waiter = ReadinessWaiter(client, path, expected)
    deadline = Deadline(timeout)
    rollout_waiter = None
    try:
        if rollout is not None:
            reader = RolloutReader(dynamic, rollout["namespace"], rollout["workload_kind"], rollout["workload"],
                                   rollout["service"])
            rollout_waiter = RolloutWaiter(reader, waiter, request_timeout)
            rollout_waiter.wait(deadline, rollout["poll_interval"])
            attempts = rollout_waiter.attempts
        else:
            attempts = poll_until(waiter.attempt, deadline, backoff_delays(interval, max_interval), request_timeout)
    except DeadlineExceeded as err:
        details = {"attempts": err.attempts, "elapsed": round(deadline.elapsed(), 3)}
        details.update(waiter.observed())
        message = waiter.failure_message(timeout, err.attempts)
        if rollout_waiter is not None:
            details.update({"workload_status": rollout_waiter.status, "pods": rollout_waiter.pods,
                            "pending": rollout_waiter.pending})
            message = "{0} {1}/{2} was not ready within {3:g} s: {4}".format(
                rollout["workload_kind"], rollout["namespace"], rollout["workload"], timeout, rollout_waiter.pending)
        raise ModuleError(message, details=details)
    result = {"attempts": attempts, "elapsed": round(deadline.elapsed(), 3)}  # type: Dict[str, Any]
    result.update(waiter.observed())
    if rollout_waiter is not None:
        result.update({"workload_status": rollout_waiter.status, "pods": rollout_waiter.pods})
    result.update(describe_worker(client, waiter))
    return result
