#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: connect_connector_offsets
short_description: Alter or reset the offsets of a Kafka Connect connector
version_added: 0.2.0
description:
  - Reads a connector's offsets (V(GET /connectors/NAME/offsets), KIP-875, Kafka 3.6 or later) and makes
    them what O(offsets) says (V(PATCH /connectors/NAME/offsets)) or resets them all
    (V(DELETE /connectors/NAME/offsets)). To only read them, use
    M(streamops.eventhub_connect.connect_connector_offsets_info).
  - For a source connector, a partition and an offset are what the connector itself records (for
    FileStreamSource C({filename}) and C({position}), for Debezium PostgreSQL C({server}) and C({lsn, ...})); for a
    sink connector they are its consumer group's positions, C({kafka_topic, kafka_partition}) and C({kafka_offset}).
  - Connect changes the offsets of a C(STOPPED) connector only. A connector that is C(RUNNING) or C(PAUSED)
    (or C(FAILED)) is refused, and nothing is changed, unless O(allow_stop=true); then it is stopped
    (V(PUT .../stop), waited for until C(STOPPED) without tasks), its offsets are written, and it is resumed or
    paused again, also when the write fails. A connector that was C(STOPPED) stays so.
  - Compares before it writes, for the partitions O(offsets) names only, so a second run changes nothing.
    Numbers compare as numbers (V(5) is V(5.0)); for the classes whose offsets are known (see O(offsets)) a
    whole number given as a string (what templating often makes) is sent as a number.
author:
  - streamops platform team (@streamops)
extends_documentation_fragment:
  - streamops.eventhub_connect.connect
  - streamops.eventhub_connect.connect.retries
  - kubernetes.core.k8s_auth_options
attributes:
  check_mode:
    support: full
    description:
      - Reads the connector and its offsets and reports the change, the calls and the diff a real run would
        make, without making them. A run that would be refused (a running connector without O(allow_stop),
        offsets the connector class does not read) fails in check mode too.
  diff_mode:
    support: full
    description: Shows the offsets and the connector's state before and after.
  idempotent:
    support: full
    description: A second run with the same arguments reports no change.
options:
  name:
    description:
      - Name of the connector; not empty, without C(/). It must exist.
    type: str
    required: true
  state:
    description:
      - V(present) makes the offset of each partition of O(offsets) what it says; partitions O(offsets) does not
        name are left as they are. An entry whose C(offset) is V(null) removes that partition's offset.
      - V(absent) resets every offset of the connector, so a source connector starts over and a sink connector
        reads from its C(auto.offset.reset) position.
    type: str
    choices: [present, absent]
    default: present
  offsets:
    description:
      - With O(state=present), the offsets to set, each a mapping with C(partition) (a flat mapping, not empty) and
        C(offset) (a flat mapping, or V(null) to remove the partition's offset); values are strings, numbers,
        booleans or V(null). Each partition once.
      - What the connector class reads is checked before any write, its class taken from
        V(GET /connectors/NAME). C(org.apache.kafka.connect.file.FileStreamSourceConnector) takes exactly
        C(partition.filename) (a path) and C(offset.position) (a byte position, 0 or more).
        C(io.debezium.connector.postgresql.PostgresConnector) takes exactly C(partition.server), which must be the
        connector's C(topic.prefix), and an C(offset) with C(lsn) (whole numbers in C(lsn), C(lsn_proc),
        C(lsn_commit), C(txId), C(ts_usec)). A sink connector takes exactly C(partition.kafka_topic),
        C(partition.kafka_partition) and C(offset.kafka_offset). Other classes get the checks above only, and
        Connect's own refusal (HTTP 400) is reported as it answered.
      - The RV(streamops.eventhub_connect.connect_connector_offsets_info#module:offsets) of
        M(streamops.eventhub_connect.connect_connector_offsets_info) (or a saved copy of it) can be given back as it is.
    type: list
    elements: dict
  allow_stop:
    description:
      - Stop a connector that is not C(STOPPED) for the write, and afterwards put it back as it was (C(RUNNING)
        and C(FAILED) ones resumed, C(PAUSED) ones paused). Without it such a connector is refused, and nothing
        changes.
      - While it is stopped its tasks are shut down; the connector does not move data.
    type: bool
    default: false
  timeout:
    description:
      - Seconds to keep retrying a call that Connect answers with 409 (rebalance) or the proxy with 502-504 (see the
        notes), and the deadline of each wait (until the connector is C(STOPPED), until it leaves C(STOPPED) again).
    type: float
    default: 120
  request_timeout:
    description:
      - Seconds one HTTP request may take.
    type: float
    default: 30
notes:
  - Connect answers the write with HTTP 400 while a connector just stopped still counts its tasks; the module
    repeats the write until O(timeout) in that case.
  - Offsets a connector keeps outside Connect (in the database, say) are not changed by Connect; Connect says so in
    its answer.
seealso:
  - module: streamops.eventhub_connect.connect_connector_offsets_info
  - module: streamops.eventhub_connect.connect_connector
  - name: KIP-875, first-class offsets support in Kafka Connect
    description: The REST endpoints this module calls and what they answer.
    link: https://cwiki.apache.org/confluence/display/KAFKA/KIP-875%3A+First-class+offsets+support+in+Kafka+Connect
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
  register: saved

- name: Move a file source back to byte 0 of its file, stopping it for the write and resuming it after
  streamops.eventhub_connect.connect_connector_offsets:
    namespace: kafka-connect
    service: kafka-connect
    name: access-log
    allow_stop: true
    offsets:
      - partition: {filename: /var/log/app/access.log}
        offset: {position: 0}

- name: Skip a sink connector past a poisoned record in partition 3
  streamops.eventhub_connect.connect_connector_offsets:
    url: https://connect.example.com
    name: orders-sink
    allow_stop: true
    offsets:
      - partition: {kafka_topic: orders, kafka_partition: 3}
        offset: {kafka_offset: 42017}

- name: Put back what was read before
  streamops.eventhub_connect.connect_connector_offsets:
    namespace: kafka-connect
    service: kafka-connect
    name: access-log
    allow_stop: true
    offsets: "{{ saved.offsets }}"

- name: Reset every offset of a stopped connector
  streamops.eventhub_connect.connect_connector_offsets:
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
    - The connector's offsets after the run, as V(GET /connectors/NAME/offsets) answers them, sorted by partition
      (in check mode, what they would be).
  returned: always
  type: list
  elements: dict
  sample: [{"partition": {"filename": "/var/log/app/access.log"}, "offset": {"position": 0}}]
before:
  description: The connector's offsets before the run, in the same form.
  returned: always
  type: list
  elements: dict
  sample: [{"partition": {"filename": "/var/log/app/access.log"}, "offset": {"position": 18244}}]
connector_state_before:
  description: The connector's state before the run (C(RUNNING), C(PAUSED), C(STOPPED), C(FAILED), ...).
  returned: always
  type: str
  sample: RUNNING
connector_state_after:
  description: The connector's state after the run (in check mode, the state it would be back in).
  returned: always
  type: str
  sample: RUNNING
operations:
  description: The REST calls that changed something (in check mode, that would have), in order.
  returned: always
  type: list
  elements: str
  sample: ["PUT /connectors/access-log/stop", "PATCH /connectors/access-log/offsets", "PUT /connectors/access-log/resume"]
requests:
  description: Number of REST requests the module sent.
  returned: always
  type: int
  sample: 7
endpoint:
  description: Where the module sent its requests.
  returned: always
  type: str
  sample: https://127.0.0.1:16443/api/v1/namespaces/kafka-connect/services/kafka-connect:8083/proxy
"""

from typing import Any, Dict, List

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connect import ConnectClient
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connect_module import (
    CONNECT_MODULE_KWARGS,
    build_connect_client,
    check_connect_params,
    connect_argument_spec,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connector_list import connector_direction
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connector_offset_rules import (
    check_connector_offsets,
    differing,
    offsets_after,
    offsets_shape_errors,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connector_offsets import (
    ConnectorOffsets,
    StoppedWrite,
    read_connector_offsets,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connector_state import check_connector_name
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._errors import InvalidInput, ModuleError, run_module

OFFSETS_ARG_SPEC = {
    "name": {"type": "str", "required": True},
    "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
    "offsets": {"type": "list", "elements": "dict"},
    "allow_stop": {"type": "bool", "default": False},
    "timeout": {"type": "float", "default": 120},
    "request_timeout": {"type": "float", "default": 30},
}


class OffsetsManager:
    """Reads one connector and its offsets, compares them with O(offsets) and writes the difference."""

    def __init__(self, module: AnsibleModule, client: ConnectClient) -> None:
        self.module = module
        self.client = client
        self.name = module.params["name"]
        self.timeout = module.params["timeout"]
        self.existing = ConnectorOffsets({}, None, [])
        self.operations = []  # type: List[str]

    def get_existing(self) -> List[Dict[str, Any]]:
        """The connector's offsets; its class, type and state kept for the checks. Missing is bad input."""
        self.existing = read_connector_offsets(self.client, self.name, self.timeout)
        return self.existing.offsets

    def desired(self) -> List[Dict[str, Any]]:
        """O(offsets) as this connector's class reads them, or InvalidInput naming the field."""
        existing = self.existing
        return check_connector_offsets(self.module.params["offsets"], existing.connector_class,
                                       existing.type or connector_direction(existing.connector_class), existing.config)

    def present(self) -> Dict[str, Any]:
        before = self.get_existing()
        changes = differing(before, self.desired())
        if changes:
            self.write("PATCH", {"offsets": changes})
        return self.result(before, offsets_after(before, changes))

    def absent(self) -> Dict[str, Any]:
        before = self.get_existing()
        if before:
            self.write("DELETE", None)
        return self.result(before, [])

    def write(self, method: str, body: Any) -> None:
        state = self.existing.state
        if state != "STOPPED" and not self.module.params["allow_stop"]:
            raise InvalidInput(
                "connector '{0}' is {1}: Connect changes the offsets of a STOPPED connector only; set allow_stop=true "
                "to stop it for the write and put it back {1} afterwards, or stop it first; nothing was changed".format(
                    self.name, state or "without a status"))
        stopped = StoppedWrite(self.client, self.name, state, self.timeout)
        if self.module.check_mode:
            self.operations = stopped.planned(method)
            return
        try:
            stopped.run(method, body)
        except ModuleError as err:
            # what was sent, so a failed run says where it stopped
            err.details.update({"operations": stopped.operations, "connector_state_before": state})
            raise
        self.operations = stopped.operations

    def result(self, before: List[Dict[str, Any]], predicted: List[Dict[str, Any]]) -> Dict[str, Any]:
        after, state_after = predicted, self.existing.state
        if self.operations and not self.module.check_mode:
            written = read_connector_offsets(self.client, self.name, self.timeout)
            after, state_after = written.offsets, written.state
        result = {
            "changed": bool(self.operations),
            "name": self.name,
            "connector_class": self.existing.connector_class,
            "type": self.existing.type,
            "offsets": after,
            "before": before,
            "connector_state_before": self.existing.state,
            "connector_state_after": state_after,
            "operations": self.operations,
            "requests": self.client.requests,
            "endpoint": self.client.describe(),
        }
        if self.module._diff:
            result["diff"] = {"before": {"offsets": before, "state": self.existing.state},
                              "after": {"offsets": after, "state": state_after}}
        return result


def check_input(params: Dict[str, Any]) -> None:
    """Everything that can be refused without asking Connect, before the first request."""
    check_connect_params(params)
    check_connector_name(params["name"], "name")
    if params["state"] == "absent":
        if params["offsets"] is not None:
            raise InvalidInput("offsets is for state=present; state=absent resets every offset")
        return
    if params["offsets"] is None:
        raise InvalidInput("state=present needs offsets (state=absent resets them all; "
                           "connect_connector_offsets_info reads them)")
    errors = offsets_shape_errors(params["offsets"], "offsets")
    if errors:
        raise InvalidInput("; ".join(errors))


def run(module: AnsibleModule) -> Dict[str, Any]:
    check_input(module.params)
    manager = OffsetsManager(module, build_connect_client(module, module.params["request_timeout"]))
    if module.params["state"] == "absent":
        return manager.absent()
    return manager.present()


def main() -> None:
    module = AnsibleModule(
        argument_spec=connect_argument_spec(OFFSETS_ARG_SPEC),
        supports_check_mode=True,
        **CONNECT_MODULE_KWARGS
    )
    run_module(module, lambda: run(module))


if __name__ == "__main__":
    main()
