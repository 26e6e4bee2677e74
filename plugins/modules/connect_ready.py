#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: connect_ready
short_description: Wait until the Kafka Connect REST API answers
version_added: 0.1.0
description:
  - Polls the Kafka Connect REST API (V(GET /connectors) by default) until it answers the
    expected status or a deadline passes, and reports what it saw, including the worker version
    from V(GET /).
  - Reaches Connect by O(url), or through the Kubernetes API server's service proxy to
    O(namespace)/O(service):O(port), authenticated like kubernetes.core (module options, then the
    E(K8S_AUTH_*) environment, then the kubeconfig).
  - Waits between attempts with a backoff (O(interval) growing 1.5 times per attempt up to
    O(max_interval), with 20% jitter) and never waits past O(timeout).
  - With O(workload), it first waits for that Deployment or StatefulSet to roll out (every desired
    replica updated, ready and available; a StatefulSet's revision caught up), for the Service's
    EndpointSlices to list that many ready pods, and for each of those pods to answer O(path)
    through the API server's pod proxy; only then does it ask O(url) or the Service. It watches the
    workload and the EndpointSlices and re-reads on every change, and every O(poll_interval) seconds
    when nothing changed, so it returns within a request or two of the last pod turning Ready.
  - Only reads, so it runs unchanged in check mode.
  - O(timeout) bounds the whole wait, including an answer whose body trickles in. Input is checked
    before the first request (O(url) needs an C(http://) or C(https://) scheme and a host, O(interval),
    O(max_interval) and O(request_timeout) must be positive, O(timeout) 0 or more).
author:
  - streamops platform team (@streamops)
extends_documentation_fragment:
  - streamops.eventhub_connect.connect
  - streamops.eventhub_connect.connect.read_only
  - kubernetes.core.k8s_auth_options
options:
  path:
    description:
      - REST path to poll. V(/health) (Kafka 3.9 and later) answers 200 only once the worker has
        joined the group and read the config topic.
    type: str
    default: /connectors
  status_code:
    description:
      - HTTP status codes that mean ready.
    type: list
    elements: int
    default: [200]
  timeout:
    description:
      - Seconds to keep trying before failing.
    type: float
    default: 300
  interval:
    description:
      - Seconds to wait after the first failed attempt.
    type: float
    default: 1
  max_interval:
    description:
      - Upper bound of the wait between attempts, in seconds.
    type: float
    default: 4
  request_timeout:
    description:
      - Seconds one HTTP request may take.
    type: float
    default: 10
  workload:
    description:
      - Name of the Deployment or StatefulSet (O(workload_kind)) in O(namespace) whose rollout to wait for
        before the REST API is asked. Requires O(namespace); with O(service), the Service's ready pods are
        also probed one by one.
    type: str
    version_added: 0.2.0
  workload_kind:
    description:
      - Kind of O(workload).
    type: str
    choices: [Deployment, StatefulSet]
    default: Deployment
    version_added: 0.2.0
  poll_interval:
    description:
      - Seconds between two reads of O(workload) when no watch event came first (with O(workload)).
    type: float
    default: 1
    version_added: 0.2.0
notes:
  - Through the service proxy the API server answers 503 while the Service has no ready
    endpoint; the module keeps waiting through it.
seealso:
  - name: Kafka Connect REST API
    description: The endpoints Kafka Connect serves.
    link: https://kafka.apache.org/documentation/#connect_rest
requirements:
  - kubernetes (Python library, for the service proxy)
"""

EXAMPLES = r"""
---
- name: Wait for Kafka Connect through the API server's service proxy
  streamops.eventhub_connect.connect_ready:
    namespace: kafka-connect
    service: kafka-connect
    timeout: 300

- name: Wait for the Deployment's rollout, each of its pods, then the Service
  streamops.eventhub_connect.connect_ready:
    namespace: kafka-connect
    service: kafka-connect
    workload: kafka-connect
    workload_kind: Deployment
    timeout: 900

- name: Wait for Kafka Connect at a URL, with basic auth and a private CA
  streamops.eventhub_connect.connect_ready:
    url: https://connect.example.com
    ca_path: /etc/pki/connect-ca.pem
    url_username: admin
    url_password: "{{ connect_admin_password }}"
    path: /health
  register: connect

- name: Show the worker version
  ansible.builtin.debug:
    msg: "Kafka Connect {{ connect.version }} answered after {{ connect.elapsed }} s"
"""

RETURN = r"""
elapsed:
  description: Seconds from the first attempt until Connect answered as expected.
  returned: always
  type: float
  sample: 23.41
attempts:
  description: Number of requests to O(path).
  returned: always
  type: int
  sample: 9
status:
  description: HTTP status of the last answer to O(path); V(null) when nothing answered.
  returned: always
  type: int
  sample: 200
body:
  description: First 500 characters of the last answer to O(path) (on failure, the reason to read).
  returned: always
  type: str
  sample: '["jdbc-sink"]'
error:
  description: The last transport error (refused, timeout, TLS), if the last attempt had one.
  returned: always
  type: str
  sample: "GET http://connect:8083/connectors: [Errno 111] Connection refused"
connectors:
  description: Connector names from V(GET /connectors).
  returned: success
  type: list
  elements: str
  sample: [jdbc-sink, pg-source]
version:
  description: Kafka Connect worker version from V(GET /).
  returned: success
  type: str
  sample: 4.3.1
commit:
  description: Kafka Connect worker commit from V(GET /).
  returned: success
  type: str
  sample: 5b1e8f1ce0e3d5a4
kafka_cluster_id:
  description: ID of the Kafka cluster the worker is connected to, from V(GET /).
  returned: success
  type: str
  sample: MkU3OEVBNTcwNTJENDM2Qk
workload_status:
  description: The last status read of O(workload) (replica counts, generation, revisions).
  returned: when O(workload) is set
  type: dict
  sample: {"observedGeneration": 2, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 2, "availableReplicas": 2}
pods:
  description: The pods that answered O(path) through the pod proxy, with O(workload) and O(service).
  returned: when O(workload) is set
  type: list
  elements: str
  sample: [kafka-connect-7d9f8b6c4-abcde, kafka-connect-7d9f8b6c4-fghij]
pending:
  description: What the wait was still waiting for when it gave up (rollout, endpoints, a pod's answer).
  returned: on failure with O(workload)
  type: str
  sample: "Deployment of 2 replicas: readyReplicas=1, availableReplicas=1"
endpoint:
  description: Where the module sent its requests.
  returned: always
  type: str
  sample: https://127.0.0.1:16443/api/v1/namespaces/kafka-connect/services/kafka-connect:8083/proxy
"""

import gc
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List, Optional

from ansible.module_utils.basic import AnsibleModule
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
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._errors import InvalidInput, ModuleError, run_module
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

READINESS_ARG_SPEC = {
    "path": {"type": "str", "default": "/connectors"},
    "status_code": {"type": "list", "elements": "int", "default": [200]},
    "timeout": {"type": "float", "default": 300},
    "interval": {"type": "float", "default": 1},
    "max_interval": {"type": "float", "default": 4},
    "request_timeout": {"type": "float", "default": 10},
    "workload": {"type": "str"},
    "workload_kind": {"type": "str", "default": "Deployment", "choices": sorted(WORKLOAD_KINDS)},
    "poll_interval": {"type": "float", "default": 1},
}


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


def run(module: AnsibleModule) -> Dict[str, Any]:
    params = module.params
    check_connect_params(params, positive=("interval", "max_interval", "request_timeout", "poll_interval"))
    if params["workload"] is not None and not params["workload"].strip():
        raise InvalidInput("workload is empty")
    if params["workload"] is not None and not params["namespace"]:
        raise InvalidInput("workload {0!r} needs namespace: the namespace of the {1}".format(
            params["workload"], params["workload_kind"]))
    dynamic = None
    if params["workload"]:
        from ansible_collections.streamops.eventhub_connect.plugins.module_utils._k8s_proxy import dynamic_client

        dynamic = dynamic_client(module, "waiting for a workload")
    client = build_connect_client(module, module.params["request_timeout"], dynamic=dynamic)
    waiter = ReadinessWaiter(client, params["path"], params["status_code"])
    deadline = Deadline(params["timeout"])
    rollout = None
    try:
        if dynamic is not None:
            reader = RolloutReader(dynamic, params["namespace"], params["workload_kind"], params["workload"],
                                   params["service"])
            rollout = RolloutWaiter(reader, waiter, params["request_timeout"])
            rollout.wait(deadline, params["poll_interval"])
            attempts = rollout.attempts
        else:
            delays = backoff_delays(params["interval"], params["max_interval"])
            attempts = poll_until(waiter.attempt, deadline, delays, params["request_timeout"])
    except DeadlineExceeded as err:
        details = {"attempts": err.attempts, "elapsed": round(deadline.elapsed(), 3)}
        details.update(waiter.observed())
        message = waiter.failure_message(params["timeout"], err.attempts)
        if rollout is not None:
            details.update({"workload_status": rollout.status, "pods": rollout.pods, "pending": rollout.pending})
            message = "{0} {1}/{2} was not ready within {3:g} s: {4}".format(
                params["workload_kind"], params["namespace"], params["workload"], params["timeout"], rollout.pending)
        raise ModuleError(message, details=details)
    result = {"changed": False, "attempts": attempts, "elapsed": round(deadline.elapsed(), 3)}
    result.update(waiter.observed())
    if rollout is not None:
        result.update({"workload_status": rollout.status, "pods": rollout.pods})
    result.update(describe_worker(client, waiter))
    # what the kubernetes library loaded needs no collecting at exit: it took ~0.2 s between the answer and the return
    gc.freeze()
    return result


def main() -> None:
    module = AnsibleModule(
        argument_spec=connect_argument_spec(READINESS_ARG_SPEC), supports_check_mode=True, **CONNECT_MODULE_KWARGS
    )
    run_module(module, lambda: run(module))


if __name__ == "__main__":
    main()
