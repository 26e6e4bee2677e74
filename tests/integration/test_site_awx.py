# SPDX-License-Identifier: GPL-3.0-or-later
"""site.yml succeeds with nothing but what an AWX job gets: the credentials' variables and survey answers.

AWX's "Microsoft Azure Resource Manager" and "OpenShift or Kubernetes API Bearer Token" credentials
inject eight variables; the survey answers arrive as extra variables. There is no kubeconfig, so
HOME is an empty directory. The testbed plays AKS (its API server with a bearer token and CA) and
Azure (the ARM test double, named by the credential's cloud environment field).
"""
from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path
from typing import Dict, Iterator

import pytest

REPO = Path(__file__).resolve().parents[2]
COLLECTIONS = REPO / "tests" / "output" / "collections"
STATE = Path(os.environ.get("TESTBED_STATE") or REPO / "tests" / "output" / "testbed")
TESTBED_ENV = (STATE if STATE.is_absolute() else REPO / STATE) / "testbed.env"

AWX_VARIABLES = (
    "AZURE_SUBSCRIPTION_ID", "AZURE_CLIENT_ID", "AZURE_SECRET", "AZURE_TENANT",
    "K8S_AUTH_HOST", "K8S_AUTH_API_KEY", "K8S_AUTH_VERIFY_SSL", "K8S_AUTH_SSL_CA_CERT",
)
# The credential's "cloud environment" field, and the CA an EE image would carry for that cloud.
CLOUD_CONTEXT = ("AZURE_CLOUD_ENVIRONMENT", "REQUESTS_CA_BUNDLE")
# A custom credential type for the connectors' database: its file injector writes the password and
# its env injector names that file (docs/awx.md), which is what inventories/local reads.
CONNECTOR_CREDENTIALS = ("POSTGRES_DEBEZIUM_PASSWORD_FILE",)
PLAYBOOK_TIMEOUT = 900

pytestmark = pytest.mark.testbed


def read_env_file(path: Path) -> Dict[str, str]:
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    return values


@pytest.fixture(scope="module")
def testbed() -> Dict[str, str]:
    if not TESTBED_ENV.is_file():
        pytest.skip(f"testbed not running: {TESTBED_ENV} is absent (run `make testbed-up`)")
    values = read_env_file(TESTBED_ENV)
    missing = [name for name in AWX_VARIABLES + CLOUD_CONTEXT + CONNECTOR_CREDENTIALS + ("ARM_DOUBLE_URL",)
               if not values.get(name)]
    assert not missing, f"testbed.env lacks {missing}"
    return values


@pytest.fixture()
def awx_job_env(testbed: Dict[str, str], tmp_path: Path) -> Dict[str, str]:
    """The job's whole environment: no KUBECONFIG, and a HOME without ~/.kube or ~/.azure."""
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "PATH": str(Path(sys.executable).parent) + os.pathsep + "/usr/bin:/bin",
        "HOME": str(home),
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS),
        "ANSIBLE_NOCOLOR": "1",
    }
    env.update({name: testbed[name] for name in AWX_VARIABLES + CLOUD_CONTEXT + CONNECTOR_CREDENTIALS})
    return env


@pytest.fixture()
def survey(testbed: Dict[str, str], tmp_path: Path) -> Iterator[Path]:
    suffix = uuid.uuid4().hex[:8]
    answers = {
        "eventhub_namespace_name": f"streamops-awx-{suffix}",
        "eventhub_resource_group": testbed.get("ARM_DOUBLE_RESOURCE_GROUP", "rg-streamops-testbed"),
        "eventhub_location": testbed.get("ARM_DOUBLE_LOCATION", "westeurope"),
        "eventhub_sku": "Standard",
        "kafka_connect_namespace": f"kafka-connect-awx-{suffix}",
        "kafka_connect_replicas": 2,
        "connectors_demo_slot_name": f"awx_{suffix}",
    }
    path = tmp_path / "survey.json"
    path.write_text(json.dumps(answers), encoding="utf-8")
    yield path


def run_playbook(playbook: str, env: Dict[str, str], *extra: str) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).with_name("ansible-playbook")), "-i", str(REPO / "inventories" / "local"),
               str(REPO / "playbooks" / playbook), *extra]
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=PLAYBOOK_TIMEOUT, check=False)


def double_state(testbed: Dict[str, str]) -> dict:
    context = ssl.create_default_context(cafile=testbed["REQUESTS_CA_BUNDLE"])
    with urllib.request.urlopen(f"{testbed['ARM_DOUBLE_URL']}/_double/state", context=context, timeout=30) as answer:
        return json.load(answer)


def kube_client(testbed: Dict[str, str]):
    """The API server as the AWX bearer-token credential reaches it."""
    from kubernetes import client  # pylint: disable=import-outside-toplevel

    configuration = client.Configuration()
    configuration.host = testbed["K8S_AUTH_HOST"]
    configuration.api_key = {"authorization": testbed["K8S_AUTH_API_KEY"]}
    configuration.api_key_prefix = {"authorization": "Bearer"}
    configuration.ssl_ca_cert = testbed["K8S_AUTH_SSL_CA_CERT"]
    return client.ApiClient(configuration)


def test_site_runs_with_only_the_awx_credentials_and_survey(testbed: Dict[str, str], awx_job_env: Dict[str, str],
                                                            survey: Path) -> None:
    from kubernetes import client  # pylint: disable=import-outside-toplevel

    answers = json.loads(survey.read_text(encoding="utf-8"))
    assert "KUBECONFIG" not in awx_job_env and not (Path(awx_job_env["HOME"]) / ".kube").exists()
    try:
        site = run_playbook("site.yml", awx_job_env, "-e", f"@{survey}")
        assert site.returncode == 0, site.stdout[-4000:] + site.stderr[-2000:]
        assert "GET /connectors answered 200" in site.stdout
        for secret in (testbed["AZURE_SECRET"], testbed["K8S_AUTH_API_KEY"]):
            assert secret not in site.stdout + site.stderr

        api = kube_client(testbed)
        deployment = client.AppsV1Api(api).read_namespaced_deployment("kafka-connect", answers["kafka_connect_namespace"])
        assert deployment.status.available_replicas == answers["kafka_connect_replicas"]
        pods = client.CoreV1Api(api).list_namespaced_pod(answers["kafka_connect_namespace"], label_selector="app=kafka-connect")
        assert len({pod.spec.node_name for pod in pods.items if pod.status.phase == "Running"}) == answers["kafka_connect_replicas"]

        namespaces = {ns["name"]: ns for ns in double_state(testbed)["namespaces"]}
        created = namespaces[answers["eventhub_namespace_name"]]
        policies = {hub["name"]: hub["properties"]["retentionDescription"]["cleanupPolicy"] for hub in created["eventhubs"]}
        assert {policies[name] for name in ("connect-configs", "connect-offsets", "connect-status")} == {"Compact"}
        rules = {rule["name"]: sorted(rule["properties"]["rights"]) for rule in created["authorizationRules"]}
        assert rules["kafka-connect"] == ["Listen", "Send"]
    finally:
        teardown = run_playbook("teardown.yml", awx_job_env, "-e", f"@{survey}", "-e", "eventhub_teardown_delete_namespace=true",
                                "-e", "connectors_teardown_drop_slots=true")
        assert teardown.returncode == 0, teardown.stdout[-4000:] + teardown.stderr[-2000:]
    assert answers["eventhub_namespace_name"] not in {ns["name"] for ns in double_state(testbed)["namespaces"]}
    remaining = client.CoreV1Api(kube_client(testbed)).list_namespace(
        field_selector=f"metadata.name={answers['kafka_connect_namespace']}")
    assert remaining.items == []
