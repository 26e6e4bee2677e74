# SPDX-License-Identifier: GPL-3.0-or-later
"""The eventhub role's Kafka settings as Ansible renders them: check mode's prediction (tasks/predict.yml) and the
Entra ID hand-over (tasks/entra.yml) take the namespace endpoint the eventhub module returned, so a namespace in
another cloud gets its own host, and they agree with what the modules build (plugins/module_utils/_kafka_connection.py).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
COLLECTIONS = REPO / "tests" / "output" / "collections"
sys.path.insert(0, str(COLLECTIONS))

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._entra import oauthbearer_settings  # noqa: E402
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._kafka_connection import (  # noqa: E402
    sas_kafka_connection)

ROLE = "streamops.eventhub_connect.eventhub"
GUID = "6f1c3a7e-0d2b-4c55-9b7e-1a2b3c4d5e6f"
SECRET = "s3cr3t-entra"
ENDPOINTS = {"public": "https://contoso-ehns.servicebus.windows.net:443/",
             "china": "https://contoso-ehns.servicebus.chinacloudapi.cn:443/",
             "usgov": "https://contoso-ehns.servicebus.usgovcloudapi.net:443/"}
ENTRA = {"eventhub_kafka_auth": "entra", "eventhub_entra_tenant_id": GUID, "eventhub_entra_client_id": GUID,
         "eventhub_entra_client_secret": SECRET, "eventhub_entra_object_id": GUID}
KEEP = "{{ eventhub_kafka_connection | to_json }}"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Dict[str, Any]]:
    """eventhub_kafka_connection after predict.yml (SAS) and entra.yml, in check mode, for a namespace the eventhub
    module reported as about to be created at each cloud's endpoint."""
    tmp = tmp_path_factory.mktemp("eventhub-kafka")
    cases = {}
    for cloud, endpoint in ENDPOINTS.items():
        result = {"eventhub__result": {"namespace": {"name": "contoso-ehns", "state": "created",
                                                     "service_bus_endpoint": endpoint}},
                  "eventhub__new_namespace": True, "eventhub__plan": {"hubs": [], "topics": []},
                  "eventhub_namespace_name": "contoso-ehns", "eventhub_resource_group": "rg"}
        cases["sas-" + cloud] = ("predict", result)
        cases["entra-" + cloud] = ("entra", dict(result, **ENTRA))
    blocks = [{"name": case, "vars": variables, "block": [
        {"name": "Run", "ansible.builtin.include_role": {"name": ROLE, "tasks_from": tasks}},
        {"name": "Keep", "ansible.builtin.copy": {"dest": str(tmp / (case + ".json")), "mode": "0600", "content": KEEP},
         "check_mode": False},
    ]} for case, (tasks, variables) in cases.items()]
    playbook = tmp / "playbook.yml"
    playbook.write_text(yaml.safe_dump([{"name": "Render", "hosts": "localhost", "gather_facts": False,
                                         "tasks": blocks}], sort_keys=False), encoding="utf-8")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCALHOST_WARNING="False", ANSIBLE_INVENTORY_UNPARSED_WARNING="False",
               ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    completed = subprocess.run([str(Path(sys.executable).with_name("ansible-playbook")), "--check", "-i", "localhost,",
                                "-c", "local", str(playbook)], cwd=tmp, env=env, capture_output=True, text=True,
                               timeout=600, check=False)
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-2000:]
    assert SECRET not in completed.stdout + completed.stderr
    return {case: json.loads((tmp / (case + ".json")).read_text(encoding="utf-8")) for case in cases}


@pytest.mark.parametrize("cloud", sorted(ENDPOINTS))
def test_check_mode_predicts_the_sas_settings_the_modules_build(rendered, cloud) -> None:
    placeholder = "check mode: the connection string of rule kafka-connect"
    assert rendered["sas-" + cloud] == sas_kafka_connection(ENDPOINTS[cloud], placeholder)
    host = ENDPOINTS[cloud].split("//")[1].split(":")[0]
    assert rendered["sas-" + cloud]["bootstrap_servers"] == host + ":9093"


def test_public_prediction_is_the_one_of_before(rendered) -> None:
    assert rendered["sas-public"] == {
        "bootstrap_servers": "contoso-ehns.servicebus.windows.net:9093", "security_protocol": "SASL_SSL",
        "sasl_mechanism": "PLAIN",
        "sasl_jaas_config": 'org.apache.kafka.common.security.plain.PlainLoginModule required '
                            'username="$ConnectionString" password="check mode: the connection string of rule kafka-connect";'}


@pytest.mark.parametrize("cloud", sorted(ENDPOINTS))
def test_entra_settings_take_the_namespace_endpoint(rendered, cloud) -> None:
    assert rendered["entra-" + cloud] == oauthbearer_settings(ENDPOINTS[cloud], GUID, GUID, SECRET)
