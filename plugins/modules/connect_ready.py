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
  - streamops.eventhub_connect.connect.rollout
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
  sample: 4.3.0
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
from typing import Any, Dict

from ansible.module_utils.basic import AnsibleModule

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
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._errors import run_module

READINESS_ARG_SPEC = {
    "path": {"type": "str", "default": "/connectors"},
    "status_code": {"type": "list", "elements": "int", "default": [200]},
    "timeout": {"type": "float", "default": 300},
    "interval": {"type": "float", "default": 1},
    "max_interval": {"type": "float", "default": 4},
    "request_timeout": {"type": "float", "default": 10},
}
READINESS_ARG_SPEC.update(ROLLOUT_ARG_SPEC)


def run(module: AnsibleModule) -> Dict[str, Any]:
    params = module.params
    check_connect_params(params, positive=("interval", "max_interval", "request_timeout"))
    rollout, dynamic = rollout_target(module)
    client = build_connect_client(module, module.params["request_timeout"], dynamic=dynamic)
    result = {"changed": False}  # type: Dict[str, Any]
    result.update(wait_until_ready(client, params["path"], params["status_code"], params["timeout"],
                                   params["request_timeout"], params["interval"], params["max_interval"],
                                   dynamic=dynamic, rollout=rollout))
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
