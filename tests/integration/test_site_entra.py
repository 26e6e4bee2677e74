# SPDX-License-Identifier: GPL-3.0-or-later
"""site.yml with Microsoft Entra ID on the testbed, from nothing, with the CDC pipeline of inventories/local:

    ansible-playbook -i inventories/local playbooks/site.yml -e eventhub_kafka_auth=entra -e eventhub_local_auth_enabled=false

The namespace ends with no Connect SAS rule and local auth off, Connect's principal holds the Event Hubs data roles,
the workers log in with the double's tokens (SASL OAUTHBEARER, Kafka's own handlers), the Debezium connector runs,
a second run changes nothing, the namespace's SAS connection string is refused by the broker, the client secret is
in neither the -vvvv output nor the workers' logs nor any topic, and change events still flow after the workers'
first tokens expired (the double's token lifetime is cut to TOKEN_LIFETIME seconds for this test).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List

import pytest

REPO = Path(__file__).resolve().parents[2]
COLLECTIONS = REPO / "tests" / "output" / "collections"
STATE = Path(os.environ.get("TESTBED_STATE") or REPO / "tests" / "output" / "testbed")
STATE = STATE if STATE.is_absolute() else REPO / STATE
TESTBED_ENV = STATE / "testbed.env"
RECAP = re.compile(r"localhost\s+: ok=\d+\s+changed=(\d+)\s+unreachable=0\s+failed=(\d+)")
# Kafka refreshes a token at ~80 % of its lifetime and never sooner than 60 s after the last refresh.
TOKEN_LIFETIME = 90
PLAYBOOK_TIMEOUT = 900

pytestmark = pytest.mark.testbed


@pytest.fixture(scope="module")
def testbed() -> Dict[str, str]:
    if not TESTBED_ENV.is_file():
        pytest.skip(f"testbed not running: {TESTBED_ENV} is absent (run `make testbed-up`)")
    lines = TESTBED_ENV.read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


def run_site(env: Dict[str, str], playbook: str, *extra: str) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).with_name("ansible-playbook")), "-i", str(REPO / "inventories" / "local"),
               str(REPO / "playbooks" / playbook), *extra]
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=PLAYBOOK_TIMEOUT, check=False)


def recap(run: subprocess.CompletedProcess) -> tuple[int, int]:
    found = RECAP.search(run.stdout)
    assert found, run.stdout[-3000:] + run.stderr[-2000:]
    return int(found.group(1)), int(found.group(2))


def connector_states(testbed: Dict[str, str], namespace: str) -> List[str]:
    from cdc_demo import connector_status  # pylint: disable=import-outside-toplevel

    try:
        status = connector_status(testbed, namespace=namespace)
    except Exception:  # pylint: disable=broad-except  # not answering yet is a state too
        return []
    return [status["connector"]["state"]] + [task["state"] for task in status.get("tasks", [])]


def wait_until(check: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = check()
        if answer:
            return answer
        time.sleep(1)
    pytest.fail(f"not within {timeout:.0f} s: {what}")


def bootstrap(namespace: str) -> str:
    """The namespace's own Kafka endpoint (each namespace is a cluster of its own), as the double's
    serviceBusEndpoint names it."""
    return f"{namespace}.servicebus.windows.net:9093"


def read_all(testbed: Dict[str, str], namespace: str, topics: List[str]) -> bytes:
    """Every record of these topics, read from the beginning with the testbed's operator login."""
    from confluent_kafka import Consumer  # pylint: disable=import-outside-toplevel

    consumer = Consumer({"bootstrap.servers": bootstrap(namespace), "security.protocol": "SASL_SSL",
                         "sasl.mechanism": "PLAIN", "sasl.username": "$ConnectionString",
                         "sasl.password": testbed["KAFKA_TESTBED_CONNECTION_STRING"], "ssl.ca.location": testbed["KAFKA_CA_FILE"],
                         "group.id": f"entra-audit-{uuid.uuid4().hex[:8]}", "auto.offset.reset": "earliest",
                         "enable.auto.commit": False})
    seen = []
    try:
        consumer.subscribe(topics)
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < 5:
            message = consumer.poll(0.5)
            if message is not None and not message.error():
                seen.append((message.key() or b"") + b"\n" + (message.value() or b""))
                quiet_since = time.monotonic()
    finally:
        consumer.close()
    return b"\n".join(seen)


def test_site_with_entra_id_from_nothing(testbed: Dict[str, str], tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO / "tests" / "testbed"))
    from arm_double.fixtures import ArmDouble  # pylint: disable=import-outside-toplevel
    from cdc_demo import Psql, TopicReader  # pylint: disable=import-outside-toplevel
    from test_namespace_broker import QUIET, authentication_refused  # pylint: disable=import-outside-toplevel

    double = ArmDouble(STATE, None)
    suffix = uuid.uuid4().hex[:8]
    namespace, k8s_namespace = f"streamops-entra-{suffix}", f"kafka-connect-entra-{suffix}"
    secret = double.connect_client_secret
    env = dict(os.environ, **testbed, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_NOCOLOR="1",
               STREAMOPS_EVENTHUB_NAMESPACE=namespace)
    extra = ["-e", "eventhub_kafka_auth=entra", "-e", "eventhub_local_auth_enabled=false",
             "-e", f"kafka_connect_namespace={k8s_namespace}", "-e", f"connectors_demo_slot_name=entra_{suffix}"]
    audience = f"https://{namespace}.servicebus.windows.net"
    double.set_token_lifetime(TOKEN_LIFETIME)
    try:
        started = time.time()
        first = run_site(env, "site.yml", *extra, "-vvvv")
        first_seconds = time.time() - started
        changed, failed = recap(first)
        assert failed == 0 and changed > 0, first.stdout[-4000:] + first.stderr[-2000:]
        assert secret not in first.stdout + first.stderr, "the client secret reached the -vvvv output"

        created = double.namespace(namespace)
        assert created["properties"]["disableLocalAuth"] is True
        assert "kafka-connect" not in {rule["name"] for rule in created["authorizationRules"]}
        roles = {a["roleDefinitionId"].rsplit("/", 1)[-1] for a in double.state()["roleAssignments"]
                 if a["principalId"] == double.connect_object_id and a["scope"].endswith("/namespaces/" + namespace)}
        assert roles == {"2b629674-e913-4c01-ae53-ef4638d8f975", "a638d3c7-ab3a-418d-83e6-5f17a39d4fde"}
        worker_tokens = [t for t in double.tokens_issued() if t["app"] == "connect" and t["aud"] == audience]
        assert worker_tokens and all(t["iat"] >= started - 1 for t in worker_tokens), "the workers logged in with tokens"
        assert wait_until(lambda: set(connector_states(testbed, k8s_namespace)) == {"RUNNING"}, 120,
                          "the Debezium connector and its task RUNNING")

        second = run_site(env, "site.yml", *extra)
        assert recap(second) == (0, 0), second.stdout[-4000:]

        assert not [line for line in double.kafka_passwords() if namespace in line], "no connection string of it is valid"
        connection_string = sas_connection_string(double, namespace)
        plain = {"bootstrap.servers": bootstrap(namespace), "security.protocol": "SASL_SSL",
                 "sasl.mechanism": "PLAIN", "sasl.username": "$ConnectionString", "sasl.password": connection_string,
                 "ssl.ca.location": testbed["KAFKA_CA_FILE"], "logger": QUIET}
        assert authentication_refused(plain, timeout=10), "the broker refuses the namespace's SAS connection string"

        # Past the first tokens' expiry: the workers must have refreshed them, and events must still flow.
        first_expiry = min(t["exp"] for t in worker_tokens)
        time.sleep(max(0.0, first_expiry + 10 - time.time()))
        refreshed = [t for t in double.tokens_issued() if t["app"] == "connect" and t["aud"] == audience
                     and t["iat"] > first_expiry - TOKEN_LIFETIME + 30]
        assert refreshed, "no worker fetched a new token before its first one expired"
        events: List[Any] = []
        arrived = threading.Event()
        reader = TopicReader(testbed, testbed["KAFKA_TESTBED_CONNECTION_STRING"], "demo.public.customers",
                             lambda key, event, _at: (events.append((key, event)), arrived.set()),
                             bootstrap=bootstrap(namespace))
        reader.start()
        psql = Psql(testbed)
        try:
            row = psql.insert_customer(suffix)
        finally:
            psql.close()
        try:
            assert arrived.wait(60), "no change event after the token refresh"
        finally:
            reader.close()
        assert wait_until(lambda: any(key == row for key, _event in events), 30, f"the change event of customer {row}")
        assert set(connector_states(testbed, k8s_namespace)) == {"RUNNING"}

        logs = list((STATE / "pods" / k8s_namespace).glob("*/worker.log"))
        assert logs and not [log for log in logs if secret in log.read_text(encoding="utf-8", errors="replace")]
        topics = ["connect-configs", "connect-offsets", "connect-status", "demo.public.customers", "demo.public.orders"]
        assert secret.encode() not in read_all(testbed, namespace, topics), "the client secret reached a topic"
        print(f"entra site: first run {first_seconds:.0f} s; tokens issued to the workers: "
              f"{len([t for t in double.tokens_issued() if t['aud'] == audience])}")
    finally:
        double.set_token_lifetime(int(testbed.get("ARM_DOUBLE_TOKEN_LIFETIME", "3600")))
        teardown = run_site(env, "teardown.yml", *extra, "-e", "eventhub_teardown_delete_namespace=true",
                            "-e", "connectors_teardown_drop_slots=true")
        assert teardown.returncode == 0, teardown.stdout[-4000:] + teardown.stderr[-2000:]


def sas_connection_string(double: Any, namespace: str) -> str:
    """The namespace's root SAS connection string through ARM (listKeys still answers with local auth off, as in Azure)."""
    from azure.identity import ClientSecretCredential  # pylint: disable=import-outside-toplevel
    from azure.mgmt.eventhub import EventHubManagementClient  # pylint: disable=import-outside-toplevel

    credential = ClientSecretCredential(double.tenant, double.client_id, double.client_secret, authority=double.url,
                                        disable_instance_discovery=True, connection_verify=str(double.ca_file))
    client = EventHubManagementClient(credential, double.subscription_id, base_url=double.url,
                                      credential_scopes=["https://management.azure.com/.default"],
                                      connection_verify=str(double.ca_file))
    keys = client.namespaces.list_keys(double.resource_group, namespace, "RootManageSharedAccessKey")
    return keys.primary_connection_string
