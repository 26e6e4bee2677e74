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
endpoint:
  description: Where the module sent its requests.
  returned: always
  type: str
  sample: https://127.0.0.1:16443/api/v1/namespaces/kafka-connect/services/kafka-connect:8083/proxy
"""

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
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._errors import ModuleError, run_module
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


def run(module: AnsibleModule) -> Dict[str, Any]:
    params = module.params
    check_connect_params(params, positive=("interval", "max_interval", "request_timeout"))
    client = build_connect_client(module, module.params["request_timeout"])
    waiter = ReadinessWaiter(client, params["path"], params["status_code"])
    deadline = Deadline(params["timeout"])
    delays = backoff_delays(params["interval"], params["max_interval"])
    try:
        attempts = poll_until(waiter.attempt, deadline, delays, params["request_timeout"])
    except DeadlineExceeded as err:
        details = {"attempts": err.attempts, "elapsed": round(deadline.elapsed(), 3)}
        details.update(waiter.observed())
        raise ModuleError(waiter.failure_message(params["timeout"], err.attempts), details=details)
    result = {"changed": False, "attempts": attempts, "elapsed": round(deadline.elapsed(), 3)}
    result.update(waiter.observed())
    result.update(describe_worker(client, waiter))
    return result


def main() -> None:
    module = AnsibleModule(
        argument_spec=connect_argument_spec(READINESS_ARG_SPEC), supports_check_mode=True, **CONNECT_MODULE_KWARGS
    )
    run_module(module, lambda: run(module))


if __name__ == "__main__":
    main()
