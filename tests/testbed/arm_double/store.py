# SPDX-License-Identifier: GPL-3.0-or-later
"""The test double's state: resources (role assignments too) in a JSON file rewritten atomically after each change,
long-running operations that finish on a clock, and the Kafka credentials file the testbed broker reads."""
from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any, Callable, Iterator

from .config import DoubleConfig, write_private_file
from .resources import connection_string


# How long a namespace create may wait for its Kafka cluster (the testbed starts a broker per namespace).
KAFKA_START_LIMIT = 300.0


def empty_state(config: DoubleConfig) -> dict[str, Any]:
    now = time.time()
    group = {"name": config.resource_group, "location": config.location, "tags": {}, "createdAt": now}
    # the subscription right under the tenant root group, whose id is the tenant's
    return {"resourceGroups": {config.resource_group.lower(): group}, "namespaces": {}, "operations": {}, "roleAssignments": {},
            "managementGroups": {"ancestors": [config.tenant], "others": []}}


class Store:
    """All state behind one lock; handlers run their whole read-check-write under `with store.lock`."""

    def __init__(self, config: DoubleConfig) -> None:
        self.config = config
        self.lock = threading.RLock()
        self.path = config.double_dir / "state.json"
        fresh = empty_state(config)
        self.state = json.loads(self.path.read_text(encoding="utf-8")) if self.path.exists() else fresh
        # A restart with another --resource-group still finds its default group.
        self.state["resourceGroups"].update({k: v for k, v in fresh["resourceGroups"].items() if k not in self.state["resourceGroups"]})
        self.state.setdefault("managementGroups", fresh["managementGroups"])
        # Set by the Kafka sync: a namespace's create ends only once its Kafka cluster answers (namespace -> bool).
        self.kafka_ready: Callable[[dict], bool] | None = None
        self.save()

    def save(self) -> None:
        with self.lock:
            write_private_file(self.path, json.dumps(self.state, indent=1, sort_keys=True))

    def reset(self) -> None:
        with self.lock:
            self.state = empty_state(self.config)
            self.save()
            self.write_kafka_credentials()

    # Operations ---------------------------------------------------------------------------------------
    def start_operation(self, namespace: dict, kind: str, fail: bool = False) -> str:
        operation_id = str(uuid.uuid4())
        now = time.time()
        namespace["operation"] = {"id": operation_id, "kind": kind, "until": now + self.config.lro_delay, "fail": fail}
        self.state["operations"][operation_id] = {
            "id": operation_id, "namespace": namespace["name"].lower(), "kind": kind,
            "status": "InProgress", "startTime": now, "endTime": None,
        }
        return operation_id

    def hold_namespace(self, name: str, provisioning_state: str, status: str, seconds: float, outcome: str) -> None:
        """Put a namespace in a provisioning state for a while, as another client's operation would, then end
        it Succeeded, Failed or deleted (outcome). Writes meanwhile answer 429, as for any operation."""
        with self.lock:
            namespace = self.state["namespaces"][name.lower()]
            kind = "delete" if outcome == "deleted" else "hold"
            self.start_operation(namespace, kind, fail=outcome == "Failed")
            namespace["operation"].update(until=time.time() + seconds, states=[provisioning_state, status])
            namespace["failed"] = False
            self.save()

    def settle(self) -> None:
        """Finish every operation whose time has come (called by a ticker thread and before each request)."""
        with self.lock:
            now = time.time()
            changed = keys_changed = False
            for key, namespace in list(self.state["namespaces"].items()):
                operation = namespace.get("operation")
                if not operation or operation["until"] > now:
                    continue
                if operation["kind"] == "create" and not self.cluster_answers(namespace, operation, now):
                    continue
                record = self.state["operations"][operation["id"]]
                record["endTime"] = now
                record["status"] = "Failed" if operation["fail"] else "Succeeded"
                namespace["operation"] = None
                changed = True
                if operation["kind"] == "delete":
                    del self.state["namespaces"][key]
                    self.drop_role_assignments(namespace)
                    keys_changed = True
                else:
                    namespace["failed"] = operation["fail"]
                    namespace["updatedAt"] = now
            if changed:
                self.save()
            if keys_changed:
                self.write_kafka_credentials()

    def cluster_answers(self, namespace: dict, operation: dict, now: float) -> bool:
        """A created namespace is Succeeded once its Kafka endpoint answers, as on Azure; one that never does is Failed."""
        if self.kafka_ready is None or self.kafka_ready(namespace):
            return True
        if now - operation["until"] < KAFKA_START_LIMIT:
            return False
        operation["fail"] = True
        return True

    def drop_role_assignments(self, namespace: dict) -> None:
        """ARM deletes a resource's role assignments with it (they are extension resources of its scope)."""
        scope = f"/resourcegroups/{namespace['resourceGroup']}/providers/microsoft.eventhub/namespaces/{namespace['name']}".lower()
        assignments = self.state.setdefault("roleAssignments", {})
        for name, assignment in list(assignments.items()):
            held = assignment["scope"].rstrip("/").lower()
            if held.endswith(scope) or scope + "/" in held:
                del assignments[name]

    def run_ticker(self, stop: threading.Event, interval: float = 0.05) -> None:
        while not stop.wait(interval):
            self.settle()

    # Kafka credentials --------------------------------------------------------------------------------
    def kafka_connection_strings(self) -> Iterator[str]:
        """Namespace-level connection strings that Kafka clients could use: Kafka-capable tier, SAS enabled, not deleting."""
        for namespace in self.state["namespaces"].values():
            operation = namespace.get("operation")
            if namespace["sku"]["tier"] == "Basic" or namespace["properties"]["disableLocalAuth"]:
                continue
            if operation and operation["kind"] == "delete":
                continue
            for rule in namespace["authorizationRules"].values():
                for key in (rule["primaryKey"], rule["secondaryKey"]):
                    yield connection_string(namespace["name"], rule["name"], key, None)

    def write_kafka_credentials(self) -> None:
        with self.lock:
            lines = "".join(f"{line}\n" for line in self.kafka_connection_strings())
            path = self.config.kafka_credentials_file
            path.parent.mkdir(parents=True, exist_ok=True)
            write_private_file(path, lines)
