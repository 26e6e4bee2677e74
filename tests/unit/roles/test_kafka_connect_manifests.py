# SPDX-License-Identifier: GPL-3.0-or-later
"""The kafka_connect role's manifests as Ansible renders them, and its refusals before any API call.

One ansible-playbook run renders the role's manifests (its own tasks/render.yml) for several sets of
variables; a second runs the role's main entry point with bad input and no cluster at all, so a
refusal must come from argument_specs or validate.yml, before the first Kubernetes task.
"""
from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
COLLECTIONS = REPO / "tests" / "output" / "collections"
ROLE = "streamops.eventhub_connect.kafka_connect"
CREDENTIALS_FILE = "/opt/kafka/external-configuration/kafka-credentials/kafka.properties"
CONNECTOR_SECRETS = "/opt/kafka/external-configuration/connector-secrets"
# a connection string with what needs escaping: quotes and a backslash, escaped once as the
# eventhub role hands it over
SECRET = "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=kafka-connect;SharedAccessKey=k3y\\\"q="
JAAS = ('org.apache.kafka.common.security.plain.PlainLoginModule required username="$ConnectionString" '
        'password="%s";' % SECRET)
CONNECTION = {"bootstrap_servers": "ns.servicebus.windows.net:9093", "security_protocol": "SASL_SSL",
              "sasl_mechanism": "PLAIN", "sasl_jaas_config": JAAS}
# What the eventhub role publishes with eventhub_kafka_auth=entra (plugins/module_utils/_entra.py)
TOKEN_URL = "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token"
ENTRA_SECRET = "Qx8~entra.s3cr3t_value"
ENTRA_JAAS = ('org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required '
              'clientId="6f1c3a7e-0d2b-4c55-9b7e-1a2b3c4d5e6f" clientSecret="%s" '
              'scope="https://ns.servicebus.windows.net/.default";' % ENTRA_SECRET)
ENTRA_CONNECTION = {"bootstrap_servers": "ns.servicebus.windows.net:9093", "security_protocol": "SASL_SSL",
                    "sasl_mechanism": "OAUTHBEARER", "sasl_jaas_config": ENTRA_JAAS,
                    "sasl_oauthbearer_token_endpoint_url": TOKEN_URL,
                    "sasl_oauthbearer_scope": "https://ns.servicebus.windows.net/.default",
                    "sasl_login_callback_handler_class":
                        "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler",
                    "jvm_options": "-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=" + TOKEN_URL}

AGENT = "/opt/jmx-exporter/jmx_prometheus_javaagent.jar"
SCRAPERS = [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
             "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}}]
METRICS = {"kafka_connect_metrics_enabled": True, "kafka_connect_metrics_agent_path": AGENT,
           "kafka_connect_metrics_from": SCRAPERS, "kafka_connect_metrics_pod_monitor": True,
           "kafka_connect_metrics_pod_monitor_labels": {"release": "prometheus"}}
RULES_FILE = REPO / "roles" / "kafka_connect" / "files" / "kafka-connect-metrics.yml"

RENDER_CASES: Dict[str, Dict[str, Any]] = {
    "file": {"kafka_connect_kafka_connection": CONNECTION, "kafka_connect_bootstrap_servers": "ignored:9093",
             "kafka_connect_connect_topics": {"config": "c-cfg", "offsets": "c-off", "status": "c-st"},
             "kafka_connect_port": 8084, "kafka_connect_replicas": 3,
             "kafka_connect__schedulable_nodes": ["n1", "n2", "n3"]},
    "env": {"kafka_connect_credentials_from": "env", "kafka_connect_bootstrap_servers": "broker:9093",
            "kafka_connect_sasl_password": 'pa"ss\\word'},
    "connector-secrets": {"kafka_connect_kafka_connection": CONNECTION,
                          "kafka_connect_connector_secrets": {"postgres-password": "s3cr3t-db"}},
    "existing-connector-secret": {"kafka_connect_kafka_connection": CONNECTION,
                                  "kafka_connect_connector_secrets_secret": "db-credentials"},
    "one-replica-one-node": {"kafka_connect_kafka_connection": CONNECTION, "kafka_connect__schedulable_nodes": ["n1"]},
    "one-replica-free-node": {"kafka_connect_kafka_connection": CONNECTION,
                              "kafka_connect__schedulable_nodes": ["n1", "n2"]},
    "network-policy": {"kafka_connect_kafka_connection": CONNECTION, "kafka_connect_network_policy": True,
                       "kafka_connect_network_policy_api_server_from": [{"ipBlock": {"cidr": "10.224.0.0/16"}}],
                       "kafka_connect_namespace_pod_security": False},
    "quantities": {"kafka_connect_kafka_connection": CONNECTION, "kafka_connect_memory_limit": "1.5Gi",
                   "kafka_connect_heap_percent": 40},
    "seed-probes": {"kafka_connect_kafka_connection": CONNECTION, "kafka_connect_startup_probe": {"enabled": False},
                    "kafka_connect_readiness_probe": {"initial_delay_seconds": 40},
                    "kafka_connect_liveness_probe": {"initial_delay_seconds": 60, "failure_threshold": 10,
                                                     "termination_grace_period_seconds": None}},
    "entra": {"kafka_connect_kafka_connection": ENTRA_CONNECTION},
    "statefulset": {"kafka_connect_kafka_connection": CONNECTION, "kafka_connect_workload_kind": "StatefulSet",
                    "kafka_connect_replicas": 2, "kafka_connect_namespace": "kc",
                    "kafka_connect_pre_stop_sleep_seconds": 0,
                    "kafka_connect_worker_settings": {"scheduled.rebalance.max.delay.ms": 0,
                                                      "plugin.discovery": "hybrid_warn"}},
    "connector-login": {"kafka_connect_kafka_connection": CONNECTION, "kafka_connect_connector_kafka_login": True},
    "connector-login-entra": {"kafka_connect_kafka_connection": ENTRA_CONNECTION,
                              "kafka_connect_connector_kafka_login": True,
                              "kafka_connect_connector_secrets": {"mariadb-password": "s3cr3t-db"}},
    "kafka-3.5": {"kafka_connect_kafka_connection": CONNECTION, "kafka_connect_kafka_version": "3.5"},
    "statefulset-confluent": {"kafka_connect_kafka_connection": CONNECTION, "kafka_connect_workload_kind": "StatefulSet",
                              "kafka_connect_image_convention": "confluent",
                              "kafka_connect_image": "confluentinc/cp-kafka-connect:7.9.0"},
    "metrics": {"kafka_connect_kafka_connection": CONNECTION, "kafka_connect__schedulable_nodes": ["n1"],
                "kafka_connect_network_policy": True,
                "kafka_connect_network_policy_api_server_from": [{"ipBlock": {"cidr": "10.224.0.0/16"}}], **METRICS},
    "metrics-entra": {"kafka_connect_kafka_connection": ENTRA_CONNECTION, **METRICS,
                      "kafka_connect_metrics_port": 9558, "kafka_connect_metrics_pod_monitor": False},
    # every metrics option but the switch: the render must be one-replica-one-node's
    "metrics-off": {"kafka_connect_kafka_connection": CONNECTION, "kafka_connect__schedulable_nodes": ["n1"],
                    **METRICS, "kafka_connect_metrics_enabled": False},
}

BAD_INPUT: Dict[str, tuple[Dict[str, Any], str]] = {
    "empty image": ({"kafka_connect_image": ""}, 'kafka_connect_image="" must be a non-empty'),
    "image with a newline": ({"kafka_connect_image": "quay.io/debezium/connect:3.6\n"},
                             'kafka_connect_image="quay.io/debezium/connect:3.6\\n" must'),
    "empty bootstrap": ({"kafka_connect_bootstrap_servers": ""}, "kafka_connect_bootstrap_servers"),
    "connection without bootstrap": ({"kafka_connect_bootstrap_servers": None,
                                      "kafka_connect_kafka_connection": {"sasl_jaas_config": JAAS}},
                                     "kafka_connect_kafka_connection.bootstrap_servers"),
    "upper-case name": ({"kafka_connect_name": "Kafka-Connect"}, "kafka_connect_name=\"Kafka-Connect\" is not a DNS-1035"),
    "name with a newline": ({"kafka_connect_name": "kafka-connect\n"}, "kafka_connect_name=\"kafka-connect\\n\""),
    "name starting with a digit": ({"kafka_connect_name": "1connect"}, "DNS-1035 label"),
    "namespace with dots": ({"kafka_connect_namespace": "a.b"}, "kafka_connect_namespace=\"a.b\" is not a DNS-1123 label"),
    "long namespace": ({"kafka_connect_namespace": "n" * 64}, "at most 63 characters"),
    "secret name with underscore": ({"kafka_connect_secret_name": "kc_secret"}, "kafka_connect_secret_name"),
    "negative rollout timeout": ({"kafka_connect_rollout_timeout": -1}, "kafka_connect_rollout_timeout"),
    "negative ready timeout": ({"kafka_connect_ready_timeout": -5}, "kafka_connect_ready_timeout=-5 must be 0 or more"),
    "zero rollout poll": ({"kafka_connect_rollout_poll": 0}, "kafka_connect_rollout_poll=0 must be 1 or more seconds"),
    "ready URL without scheme": ({"kafka_connect_ready_url": "kafka-connect:8083"}, "kafka_connect_ready_url=\"kafka-connect:8083\""),
    "memory that is not a quantity": ({"kafka_connect_memory_limit": "512MB"}, "kafka_connect_memory_limit=\"512MB\""),
    "secret among worker settings": ({"kafka_connect_worker_settings": {"ssl.keystore.key": "-----BEGIN"}},
                                     "put ssl.keystore.key in kafka_connect_secret_settings"),
    "connector secret key with a slash": ({"kafka_connect_connector_secrets": {"a/b": "x"}},
                                          'kafka_connect_connector_secrets key "a/b" is not a Secret key'),
    "connector login into a Secret the role does not write": (
        {"kafka_connect_connector_kafka_login": True, "kafka_connect_connector_secrets_secret": "db-credentials"},
        "add the line to that Secret under key kafka-sasl-jaas-config yourself"),
    "two sources of connector secrets": ({"kafka_connect_connector_secrets": {"a": "x"},
                                          "kafka_connect_connector_secrets_secret": "other"}, "not both"),
    "network policy blocking the proxy": ({"kafka_connect_network_policy": True},
                                          "kafka_connect_network_policy_api_server_from"),
    "restricted namespace, unrestricted pods": ({"kafka_connect_restricted_security_context": False},
                                                "kafka_connect_namespace_pod_security"),
    "unknown credentials mode": ({"kafka_connect_credentials_from": "vault"}, "kafka_connect_credentials_from"),
    "replicas as text": ({"kafka_connect_replicas": "three"}, "kafka_connect_replicas"),
    "connector secret key '..'": ({"kafka_connect_connector_secrets": {"..": "x"}}, "neither '.' nor '..'"),
    "a dict as a connector secret": ({"kafka_connect_connector_secrets": {"k": {"a": "x"}}}, "holds a dict"),
    "zero probe period": ({"kafka_connect_readiness_probe": {"period_seconds": 0}},
                          "kafka_connect_readiness_probe.period_seconds=0 must be 1 or more"),
    "zero liveness failure threshold": ({"kafka_connect_liveness_probe": {"failure_threshold": 0}},
                                        "kafka_connect_liveness_probe.failure_threshold=0"),
    "negative grace period": ({"kafka_connect_termination_grace_period_seconds": -1},
                              "kafka_connect_termination_grace_period_seconds=-1"),
    "preStop sleep longer than the grace period": ({"kafka_connect_pre_stop_sleep_seconds": 90},
                                                   "kafka_connect_pre_stop_sleep_seconds=90 must be shorter than"),
    "negative rebalance delay": ({"kafka_connect_scheduled_rebalance_max_delay_ms": -1},
                                 "kafka_connect_scheduled_rebalance_max_delay_ms=-1"),
    "metrics without the agent's path": ({"kafka_connect_metrics_enabled": True},
                                         "kafka_connect_metrics_enabled needs kafka_connect_metrics_agent_path=null"),
    "metrics behind a policy without scrapers": ({"kafka_connect_metrics_enabled": True, "kafka_connect_network_policy": True,
                                                  "kafka_connect_metrics_agent_path": AGENT,
                                                  "kafka_connect_network_policy_api_server_from": [{"ipBlock": {}}]},
                                                 "needs kafka_connect_metrics_from"),
    "Kafka version that is not X.Y[.Z]": ({"kafka_connect_kafka_version": "4"},
                                          'kafka_connect_kafka_version="4" must be the image\'s Kafka version'),
    "allowed.paths on Kafka 3.7": ({"kafka_connect_kafka_version": "3.7"},
                                   "config.providers.*.param.allowed.paths (KIP-993) needs Kafka 3.8 or later, but "
                                   "kafka_connect_kafka_version=3.7"),
    "exactly-once source on Kafka 3.2": ({"kafka_connect_kafka_version": "3.2",
                                          "kafka_connect_worker_settings": {"exactly.once.source.support": "enabled"}},
                                         "exactly.once.source.support (KIP-618) needs Kafka 3.3 or later"),
    "workload identity on Kafka 4.0": ({"kafka_connect_kafka_version": "4.0", "kafka_connect_kafka_connection": dict(
        ENTRA_CONNECTION, sasl_oauthbearer_assertion_file="/var/run/secrets/azure/tokens/azure-identity-token")},
        "sasl.oauthbearer.assertion.* (KIP-1139) needs Kafka 4.1 or later, but kafka_connect_kafka_version=4.0"),
    "OAUTHBEARER without a token endpoint": ({"kafka_connect_kafka_connection": dict(
        ENTRA_CONNECTION, sasl_oauthbearer_token_endpoint_url="")}, "needs sasl_oauthbearer_token_endpoint_url"),
}
BASE = {"kafka_connect_bootstrap_servers": "broker:9093", "kafka_connect_sasl_password": "pw"}


def run_playbook(tmp: Path, plays: List[Dict[str, Any]]) -> None:
    playbook = tmp / "playbook.yml"
    playbook.write_text(yaml.safe_dump(plays, sort_keys=False), encoding="utf-8")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCALHOST_WARNING="False", ANSIBLE_INVENTORY_UNPARSED_WARNING="False",
               ANSIBLE_PYTHON_INTERPRETER=sys.executable,
               K8S_AUTH_KUBECONFIG=str(tmp / "no-such-kubeconfig"), K8S_AUTH_HOST="https://127.0.0.1:9")
    completed = subprocess.run([str(Path(sys.executable).with_name("ansible-playbook")), "-i", "localhost,",
                                "-c", "local", str(playbook)], cwd=tmp, env=env, capture_output=True, text=True,
                               timeout=600, check=False)
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-2000:]


KEEP = ("{{ {'secrets': kafka_connect__secret_definitions, 'objects': kafka_connect__definitions,"
        " 'absent': kafka_connect__switched_off, 'namespace': kafka_connect__namespace_definition,"
        " 'kafka_login': kafka_connect__kafka_login_for_connectors} | to_json }}")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("render")
    blocks = [{"name": case, "vars": variables, "block": [
        {"name": "Render", "ansible.builtin.include_role": {"name": ROLE, "tasks_from": "render", "public": True}},
        {"name": "Keep", "ansible.builtin.copy": {"dest": str(tmp / (case + ".json")), "mode": "0600", "content": KEEP}},
    ]} for case, variables in RENDER_CASES.items()]
    plays = [{"name": "Render", "hosts": "localhost", "gather_facts": False, "tasks": blocks}]
    run_playbook(tmp, plays)
    return {case: json.loads((tmp / (case + ".json")).read_text(encoding="utf-8")) for case in RENDER_CASES}


def objects(case: Dict[str, Any], kind: str) -> List[Dict[str, Any]]:
    return [o for o in case["secrets"] + case["objects"] + [case["namespace"]] if o["kind"] == kind]


def one(case: Dict[str, Any], kind: str) -> Dict[str, Any]:
    found = objects(case, kind)
    assert len(found) == 1, [o["kind"] for o in case["objects"]]
    return found[0]


def container(case: Dict[str, Any]) -> Dict[str, Any]:
    kind = "StatefulSet" if objects(case, "StatefulSet") else "Deployment"
    return one(case, kind)["spec"]["template"]["spec"]["containers"][0]


def debezium_start_script(case: Dict[str, Any]) -> Dict[str, str]:
    """The worker properties the Debezium image's start script builds (and prints) from the pod's
    plain environment: the ConfigMap's keys and the Deployment's literal env values."""
    env = dict(one(case, "ConfigMap")["data"])
    env.update({e["name"]: e["value"] for e in container(case).get("env", []) if "value" in e})
    return {name[len("CONNECT_"):].lower().replace("_", "."): value for name, value in env.items()
            if name.startswith("CONNECT_")}


def test_no_object_but_a_secret_holds_the_connection_string(rendered):
    for name, case in rendered.items():
        for obj in case["objects"] + [case["namespace"]]:
            text = json.dumps(obj)
            assert "SharedAccessKey=" not in text and "s3cr3t" not in text and "pa\\\"ss" not in text, (name, obj["kind"])


def test_the_start_script_prints_only_placeholders_for_every_jaas_line(rendered):
    properties = debezium_start_script(rendered["file"])
    for prefix in ("", "producer.", "consumer.", "admin."):
        key = prefix + "sasl.jaas.config"
        assert properties[key] == "${worker:%s:%s}" % (CREDENTIALS_FILE, key)
    assert not [v for v in properties.values() if "SharedAccessKey" in v]


FILE_PROVIDER = "org.apache.kafka.common.config.provider.FileConfigProvider"
DIR_PROVIDER = "org.apache.kafka.common.config.provider.DirectoryConfigProvider"
ENV_PROVIDER = "org.apache.kafka.common.config.provider.EnvVarConfigProvider"
CREDENTIALS_DIR = CREDENTIALS_FILE.rsplit("/", 1)[0]
WORKER = {"worker": (FILE_PROVIDER, CREDENTIALS_DIR)}
CONNECTORS = {"file": (FILE_PROVIDER, CONNECTOR_SECRETS), "dir": (DIR_PROVIDER, CONNECTOR_SECRETS)}
ENV = {"env": (ENV_PROVIDER, None)}


@pytest.mark.parametrize("case, providers", [
    ("file", {**WORKER, **ENV}),
    ("entra", {**WORKER, **ENV}),
    ("env", ENV),
    ("connector-secrets", {**WORKER, **CONNECTORS, **ENV}),
    ("existing-connector-secret", {**WORKER, **CONNECTORS, **ENV}),
])
def test_each_file_reading_provider_may_read_its_own_mount_only(rendered, case, providers):
    """KIP-993's allowed.paths: connectors' file and dir read the connector secrets, the worker provider the
    Kafka credentials; a provider is enabled only with its mount, since Kafka refuses a path that does not exist."""
    properties = debezium_start_script(rendered[case])
    assert properties["config.providers"].split(",") == list(providers)
    mounts = {m["mountPath"] for m in container(rendered[case]).get("volumeMounts", [])}
    for name, (cls, path) in providers.items():
        assert properties["config.providers.%s.class" % name] == cls
        assert properties.get("config.providers.%s.param.allowed.paths" % name) == path
        assert path is None or path in mounts
    assert not [key for key in properties if key.startswith("config.providers.")
                and key.split(".")[2] not in providers]


def test_the_role_mounts_what_the_connector_check_allows():
    """The connector config check (module_utils) and the role's mounts name the same paths."""
    sys.path.insert(0, str(COLLECTIONS))
    from ansible_collections.streamops.eventhub_connect.plugins.module_utils import _connector_config as config
    assert (config.CONNECTOR_SECRETS_DIR, config.WORKER_CREDENTIALS_DIR) == (CONNECTOR_SECRETS, CREDENTIALS_DIR)
    variables = yaml.safe_load((REPO / "roles" / "kafka_connect" / "vars" / "main.yml").read_text(encoding="utf-8"))
    assert variables["kafka_connect__worker_provider"] == config.WORKER_PROVIDER
    assert variables["kafka_connect__external_configuration"] == config.EXTERNAL_CONFIGURATION


def test_the_credentials_file_holds_the_given_jaas_line_escaped_once_for_properties(rendered):
    secret = one(rendered["file"], "Secret")
    assert list(secret["data"]) == ["kafka.properties"]
    text = base64.b64decode(secret["data"]["kafka.properties"]).decode()
    line = "sasl.jaas.config=" + JAAS.replace("\\", "\\\\")
    assert line + "\n" in text.splitlines(keepends=True)
    assert sorted(entry.split("=", 1)[0] for entry in text.splitlines()) == [
        "admin.sasl.jaas.config", "consumer.sasl.jaas.config", "producer.sasl.jaas.config", "sasl.jaas.config"]
    spec = one(rendered["file"], "Deployment")["spec"]["template"]["spec"]
    assert {"name": "kafka-credentials", "mountPath": CREDENTIALS_FILE.rsplit("/", 1)[0], "readOnly": True} \
        in container(rendered["file"])["volumeMounts"]
    assert {"name": "kafka-credentials", "secret": {"secretName": "kafka-connect-secret", "defaultMode": 0o440}} \
        in spec["volumes"]
    assert not [s for s in container(rendered["file"])["envFrom"] if "secretRef" in s]


def test_the_connection_dict_and_topics_win_and_the_port_is_advertised(rendered):
    data = one(rendered["file"], "ConfigMap")["data"]
    assert data["BOOTSTRAP_SERVERS"] == "ns.servicebus.windows.net:9093"
    assert (data["CONFIG_STORAGE_TOPIC"], data["OFFSET_STORAGE_TOPIC"], data["STATUS_STORAGE_TOPIC"]) == (
        "c-cfg", "c-off", "c-st")
    env = {e["name"]: e for e in container(rendered["file"])["env"]}
    assert env["ADVERTISED_PORT"]["value"] == "8084" and env["REST_PORT"]["value"] == "8084"
    assert env["ADVERTISED_HOST_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "status.podIP"
    assert data["CONNECT_LISTENERS"] == "http://:8084"


def test_env_mode_builds_and_escapes_the_plain_jaas_line(rendered):
    secret = one(rendered["env"], "Secret")
    values = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    expected = ('org.apache.kafka.common.security.plain.PlainLoginModule required username="$ConnectionString" '
                'password="pa\\"ss\\\\word";')
    assert values == {k: expected for k in ("CONNECT_SASL_JAAS_CONFIG", "CONNECT_PRODUCER_SASL_JAAS_CONFIG",
                                            "CONNECT_CONSUMER_SASL_JAAS_CONFIG", "CONNECT_ADMIN_SASL_JAAS_CONFIG")}
    assert {"secretRef": {"name": "kafka-connect-secret"}} in container(rendered["env"])["envFrom"]
    assert "volumeMounts" not in container(rendered["env"])


def test_connector_secrets_are_a_secret_mounted_in_every_worker(rendered):
    case = rendered["connector-secrets"]
    secret = [s for s in objects(case, "Secret") if s["metadata"]["name"] == "kafka-connect-connector-secrets"][0]
    assert base64.b64decode(secret["data"]["postgres-password"]).decode() == "s3cr3t-db"
    mount = {"name": "connector-secrets", "mountPath": CONNECTOR_SECRETS, "readOnly": True}
    assert mount in container(case)["volumeMounts"]
    annotations = one(case, "Deployment")["spec"]["template"]["metadata"]["annotations"]
    assert "checksum/connector-secrets" in annotations
    existing = rendered["existing-connector-secret"]
    assert [s["metadata"]["name"] for s in objects(existing, "Secret")] == ["kafka-connect-secret"]
    volumes = one(existing, "Deployment")["spec"]["template"]["spec"]["volumes"]
    assert {"name": "connector-secrets", "secret": {"secretName": "db-credentials", "defaultMode": 0o440}} in volumes
    assert mount in container(existing)["volumeMounts"]


@pytest.mark.parametrize("case, strategy", [
    ("one-replica-one-node", {"maxSurge": 0, "maxUnavailable": 1}),
    ("one-replica-free-node", {"maxSurge": 1, "maxUnavailable": 0}),
    ("file", {"maxSurge": 0, "maxUnavailable": 1}),
])
def test_a_worker_stays_up_during_a_rollout_when_a_node_is_free(rendered, case, strategy):
    assert one(rendered[case], "Deployment")["spec"]["strategy"]["rollingUpdate"] == strategy


def test_the_namespace_is_restricted_unless_opted_out(rendered):
    labels = rendered["file"]["namespace"]["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert "pod-security.kubernetes.io/enforce" not in rendered["network-policy"]["namespace"]["metadata"]["labels"]
    pod = one(rendered["file"], "Deployment")["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["containers"][0]["securityContext"] == {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
    assert {v["secret"]["secretName"] for v in pod["volumes"]} and all(set(v) == {"name", "secret"} for v in pod["volumes"])


def test_the_network_policy_admits_the_api_server_and_unwanted_objects_are_deleted(rendered):
    policy = one(rendered["network-policy"], "NetworkPolicy")
    assert {"ipBlock": {"cidr": "10.224.0.0/16"}} in policy["spec"]["ingress"][0]["from"]
    assert [o["kind"] for o in rendered["network-policy"]["absent"]] == ["StatefulSet", "Service", "PodDisruptionBudget"]
    assert [o["kind"] for o in rendered["file"]["absent"]] == ["StatefulSet", "Service", "NetworkPolicy"]
    assert rendered["file"]["absent"][1]["metadata"]["name"] == "kafka-connect-headless"
    assert one(rendered["file"], "PodDisruptionBudget")["spec"]["maxUnavailable"] == 1


def test_the_heap_is_a_share_of_the_parsed_memory_limit(rendered):
    assert one(rendered["quantities"], "ConfigMap")["data"]["HEAP_OPTS"] == "-Xms614m -Xmx614m"
    assert one(rendered["file"], "ConfigMap")["data"]["HEAP_OPTS"] == "-Xms256m -Xmx256m"


@pytest.fixture(scope="module")
def refusals(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Dict[str, str]]:
    tmp = tmp_path_factory.mktemp("refuse")
    blocks = [{"name": case, "vars": dict(BASE, **variables),
               "block": [{"ansible.builtin.include_role": {"name": ROLE}}],
               "rescue": [{"ansible.builtin.copy": {
                   "dest": str(tmp / ("%d.json" % index)), "mode": "0600",
                   "content": "{{ {'task': ansible_failed_task.name, 'msg': ([ansible_failed_result.msg]"
                              " + (ansible_failed_result.results | default([]) | selectattr('failed')"
                              " | map(attribute='msg') | list)) | join(' ')} | to_json }}"}}]}
              for index, (case, (variables, _message)) in enumerate(BAD_INPUT.items())]
    plays = [{"name": "Refuse", "hosts": "localhost", "gather_facts": False, "tasks": blocks}]
    run_playbook(tmp, plays)
    return {case: json.loads((tmp / ("%d.json" % index)).read_text(encoding="utf-8")) if (
        tmp / ("%d.json" % index)).exists() else {"task": "none failed", "msg": ""}
        for index, case in enumerate(BAD_INPUT)}


VALIDATION_TASKS = {"Validating arguments against arg spec 'main' - Kafka Connect in distributed mode on Kubernetes"} | {
    task["name"] for task in yaml.safe_load((REPO / "roles/kafka_connect/tasks/validate.yml").read_text())}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_is_refused_before_any_api_call_naming_the_field(refusals, case):
    failure = refusals[case]
    assert failure["task"] in VALIDATION_TASKS, failure
    assert BAD_INPUT[case][1] in failure["msg"], failure["msg"]
    # the option that fails and at most the one it conflicts with, not every option of a group with its value
    assert len(set(re.findall(r"\bkafka_connect_\w+(?==)", failure["msg"]))) <= 2, failure["msg"]


WORKER_JARS = sorted((Path.home() / ".cache" / "streamops-testbed" / "kafka").glob("worker-*/lib"))
RESOLVER = r"""
import java.nio.file.*; import java.util.*;
import org.apache.kafka.connect.runtime.distributed.DistributedConfig;
public class Resolve { public static void main(String[] a) throws Exception {
  Properties p = new Properties();
  try (var r = Files.newBufferedReader(Path.of(a[0]))) { p.load(r); }
  Map<String, String> m = new HashMap<>();
  for (String k : p.stringPropertyNames()) m.put(k, p.getProperty(k));
  DistributedConfig c = new DistributedConfig(m);
  for (String prefix : new String[] {"", "producer.", "consumer.", "admin."}) {
    Object v = prefix.isEmpty() ? c.originals().get("sasl.jaas.config") : c.originalsWithPrefix(prefix).get("sasl.jaas.config");
    System.out.println(prefix + "sasl.jaas.config=" + HexFormat.of().formatHex(String.valueOf(v).getBytes()));
  } } }
"""


@pytest.mark.skipif(not WORKER_JARS, reason="needs the testbed's Kafka Connect worker jars (make testbed-up builds them)")
def test_a_real_worker_config_resolves_the_placeholders_to_the_given_jaas_line(rendered, tmp_path: Path):
    case = rendered["file"]
    mount = tmp_path / "kafka-credentials"
    mount.mkdir()
    (mount / "kafka.properties").write_bytes(base64.b64decode(one(case, "Secret")["data"]["kafka.properties"]))
    worker = {key: value.replace(CREDENTIALS_FILE.rsplit("/", 1)[0], str(mount))
              for key, value in debezium_start_script(case).items()}
    worker.update({"bootstrap.servers": "b:9093", "group.id": "g", "config.storage.topic": "c",
                   "offset.storage.topic": "o", "status.storage.topic": "s"})
    lines = ["%s=%s\n" % (key, value.replace("\\", "\\\\")) for key, value in worker.items()]
    (tmp_path / "worker.properties").write_text("".join(lines), encoding="utf-8")
    (tmp_path / "Resolve.java").write_text(RESOLVER, encoding="utf-8")
    out = subprocess.run(["java", "-cp", str(WORKER_JARS[-1] / "*"), str(tmp_path / "Resolve.java"),
                          str(tmp_path / "worker.properties")], capture_output=True, text=True, timeout=300, check=True).stdout
    pairs = [line.split("=", 1) for line in out.splitlines() if "=" in line]
    resolved = {key: bytes.fromhex(value).decode() for key, value in pairs}
    assert resolved == {prefix + "sasl.jaas.config": JAAS for prefix in ("", "producer.", "consumer.", "admin.")}


def test_a_startup_probe_every_second_gates_readiness_and_liveness_without_initial_delays(rendered):
    probes = container(rendered["file"])
    http_get = {"path": "/connectors", "port": 8084}
    assert probes["startupProbe"] == {"httpGet": http_get, "initialDelaySeconds": 0, "periodSeconds": 1,
                                      "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 180}
    assert probes["readinessProbe"] == {"httpGet": http_get, "initialDelaySeconds": 0, "periodSeconds": 10,
                                        "timeoutSeconds": 5, "successThreshold": 1, "failureThreshold": 3}
    # a hung worker is killed after 3 failed probes (the seed's 10) and given 10 s, not the pod's 60 s, to stop
    assert probes["livenessProbe"] == {"httpGet": http_get, "initialDelaySeconds": 0, "periodSeconds": 5,
                                       "timeoutSeconds": 5, "successThreshold": 1, "failureThreshold": 3,
                                       "terminationGracePeriodSeconds": 10}


def test_the_seed_probes_come_back_without_the_startup_probe(rendered):
    probes = container(rendered["seed-probes"])
    assert "startupProbe" not in probes
    # a partial dict overrides only what it names
    assert probes["readinessProbe"]["initialDelaySeconds"] == 40 and probes["readinessProbe"]["periodSeconds"] == 10
    assert probes["livenessProbe"]["initialDelaySeconds"] == 60 and probes["livenessProbe"]["failureThreshold"] == 10
    assert "terminationGracePeriodSeconds" not in probes["livenessProbe"]  # null leaves the pod's grace period


def test_entra_workers_log_in_with_kafkas_oauth_handlers_and_the_secret_stays_in_the_secret(rendered):
    case = rendered["entra"]
    properties = debezium_start_script(case)
    for prefix in ("", "producer.", "consumer.", "admin."):
        assert properties[prefix + "sasl.mechanism"] == "OAUTHBEARER"
        assert properties[prefix + "sasl.login.callback.handler.class"] == (
            "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler")
        assert properties[prefix + "sasl.oauthbearer.token.endpoint.url"] == TOKEN_URL
        assert properties[prefix + "sasl.jaas.config"] == "${worker:%s:%s}" % (CREDENTIALS_FILE, prefix + "sasl.jaas.config")
    assert one(case, "ConfigMap")["data"]["KAFKA_OPTS"] == "-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=" + TOKEN_URL
    text = base64.b64decode(one(case, "Secret")["data"]["kafka.properties"]).decode()
    assert "sasl.jaas.config=" + ENTRA_JAAS + "\n" in text
    for obj in case["objects"] + [case["namespace"]]:
        assert ENTRA_SECRET not in json.dumps(obj), obj["kind"]


def test_switching_the_connection_from_sas_to_entra_rolls_the_workers(rendered):
    def checksums(case):
        return one(rendered[case], "Deployment")["spec"]["template"]["metadata"]["annotations"]
    # the same role defaults, only the connection differs: the Secret's checksum in the pod template moves
    assert checksums("one-replica-one-node")["checksum/secret"] != checksums("entra")["checksum/secret"]


def test_workers_leave_cleanly_and_departed_workers_tasks_move_after_10_seconds(rendered):
    pod = one(rendered["file"], "Deployment")["spec"]["template"]["spec"]
    assert pod["terminationGracePeriodSeconds"] == 60
    assert pod["containers"][0]["lifecycle"] == {"preStop": {"sleep": {"seconds": 5}}}
    assert debezium_start_script(rendered["file"])["scheduled.rebalance.max.delay.ms"] == "10000"
    # the user's worker settings win; a preStop sleep of 0 leaves the hook out
    assert debezium_start_script(rendered["statefulset"])["scheduled.rebalance.max.delay.ms"] == "0"
    # plugins come from their ServiceLoader manifests, unless the user's worker settings bring the scan back
    assert debezium_start_script(rendered["file"])["plugin.discovery"] == "service_load"
    assert debezium_start_script(rendered["statefulset"])["plugin.discovery"] == "hybrid_warn"


def test_plugin_discovery_is_left_out_for_a_kafka_before_3_6(rendered):
    """KIP-898 came with Kafka 3.6; an older worker scans its plugin path and would only log the key as unknown."""
    assert "plugin.discovery" in debezium_start_script(rendered["file"])
    assert "plugin.discovery" not in debezium_start_script(rendered["kafka-3.5"])
    assert "lifecycle" not in one(rendered["statefulset"], "StatefulSet")["spec"]["template"]["spec"]["containers"][0]


@pytest.mark.parametrize("case, variable", [("statefulset", "ADVERTISED_HOST_NAME"),
                                            ("statefulset-confluent", "CONNECT_REST_ADVERTISED_HOST_NAME")])
def test_a_statefulset_worker_advertises_its_stable_dns_name(rendered, case, variable):
    namespace = rendered[case]["namespace"]["metadata"]["name"]
    workload = one(rendered[case], "StatefulSet")
    assert not objects(rendered[case], "Deployment")
    assert workload["spec"]["serviceName"] == "kafka-connect-headless"
    assert workload["spec"]["updateStrategy"] == {"type": "RollingUpdate"} and "strategy" not in workload["spec"]
    assert workload["spec"]["podManagementPolicy"] == "Parallel"
    env = workload["spec"]["template"]["spec"]["containers"][0]["env"]
    names = [item["name"] for item in env]
    assert names.index("POD_NAME") < names.index(variable)  # $(POD_NAME) expands only from an earlier entry
    assert env[names.index("POD_NAME")]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.name"}}
    assert env[names.index(variable)]["value"] == f"$(POD_NAME).kafka-connect-headless.{namespace}.svc"
    headless = [o for o in objects(rendered[case], "Service") if o["metadata"]["name"] == "kafka-connect-headless"][0]
    assert headless["spec"]["clusterIP"] == "None" and headless["spec"]["publishNotReadyAddresses"] is True
    assert headless["spec"]["selector"] == workload["spec"]["selector"]["matchLabels"]
    assert [o["kind"] for o in rendered[case]["absent"]][0] == "Deployment"


def configmap(case: Dict[str, Any], name: str) -> Dict[str, Any]:
    found = [o for o in objects(case, "ConfigMap") if o["metadata"]["name"] == name]
    assert len(found) == 1, [o["metadata"]["name"] for o in objects(case, "ConfigMap")]
    return found[0]


def test_metrics_off_renders_exactly_what_the_role_rendered_without_them(rendered):
    assert rendered["metrics-off"] == rendered["one-replica-one-node"]
    assert not objects(rendered["one-replica-one-node"], "PodMonitor")
    assert "KAFKA_OPTS" not in one(rendered["one-replica-one-node"], "ConfigMap")["data"]


def test_metrics_load_the_exporter_agent_with_the_shipped_rules(rendered):
    case = rendered["metrics"]
    assert configmap(case, "kafka-connect-metrics")["data"] == {
        "kafka-connect-metrics.yml": RULES_FILE.read_text(encoding="utf-8")}
    worker = configmap(case, "kafka-connect-config")
    assert worker["data"]["KAFKA_OPTS"] == "-javaagent:%s=9404:/opt/kafka/metrics-config/kafka-connect-metrics.yml" % AGENT
    assert "kafka-connect-metrics.yml" not in worker["data"]  # envFrom would make the rules an environment variable
    pod = one(case, "Deployment")["spec"]["template"]
    assert {"name": "metrics", "containerPort": 9404, "protocol": "TCP"} in container(case)["ports"]
    assert {"name": "metrics-config", "mountPath": "/opt/kafka/metrics-config", "readOnly": True} in container(case)["volumeMounts"]
    assert {"name": "metrics-config", "configMap": {"name": "kafka-connect-metrics"}} in pod["spec"]["volumes"]
    assert "checksum/metrics" in pod["metadata"]["annotations"]
    ports = one(case, "Service")["spec"]["ports"]
    assert ports == [{"name": "rest", "protocol": "TCP", "port": 8083, "targetPort": "rest"},
                     {"name": "metrics", "protocol": "TCP", "port": 9404, "targetPort": "metrics"}]
    # the ConfigMap comes before the workload that mounts it
    kinds = [(o["kind"], o["metadata"]["name"]) for o in case["objects"]]
    assert kinds.index(("ConfigMap", "kafka-connect-metrics")) < kinds.index(("Deployment", "kafka-connect"))


def test_only_the_listed_peers_may_scrape_and_the_rest_port_keeps_its_rule(rendered):
    ingress = one(rendered["metrics"], "NetworkPolicy")["spec"]["ingress"]
    assert ingress[0] == one(rendered["network-policy"], "NetworkPolicy")["spec"]["ingress"][0]
    assert ingress[1:] == [{"from": SCRAPERS, "ports": [{"protocol": "TCP", "port": 9404}]}]


def test_the_pod_monitor_scrapes_the_workers_metrics_port(rendered):
    monitor = one(rendered["metrics"], "PodMonitor")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["metadata"]["labels"]["release"] == "prometheus"
    assert monitor["spec"]["selector"]["matchLabels"] == one(rendered["metrics"], "Deployment")["spec"]["selector"]["matchLabels"]
    assert monitor["spec"]["podMetricsEndpoints"] == [{"port": "metrics", "path": "/metrics"}]
    assert not objects(rendered["metrics-entra"], "PodMonitor")


def test_the_agent_joins_the_jvm_options_the_connection_needs(rendered):
    opts = configmap(rendered["metrics-entra"], "kafka-connect-config")["data"]["KAFKA_OPTS"]
    assert opts == ("-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=%s -javaagent:%s=9558:"
                    "/opt/kafka/metrics-config/kafka-connect-metrics.yml" % (TOKEN_URL, AGENT))
    assert {"name": "metrics", "containerPort": 9558, "protocol": "TCP"} in container(rendered["metrics-entra"])["ports"]


MARIADB = {"name": "inventory-mariadb", "config": {
    "connector.class": "io.debezium.connector.mariadb.MariaDbConnector", "topic.prefix": "inventory",
    "table.include.list": "inventory.orders", "schema.history.internal.kafka.topic": "schemahistory.inventory",
    "signal.enabled.channels": "source,kafka",
    "database.password": "${dir:%s:mariadb-password}" % CONNECTOR_SECRETS}}


@pytest.mark.parametrize("case, jaas, mechanism", [("connector-login", JAAS, "PLAIN"),
                                                   ("connector-login-entra", ENTRA_JAAS, "OAUTHBEARER")])
def test_debeziums_own_clients_read_the_namespaces_login_from_the_connector_secrets(rendered, case, jaas, mechanism):
    """The role puts the JAAS line into the connector secrets and publishes the rest; connectors name it by placeholder."""
    sys.path.insert(0, str(COLLECTIONS))
    from ansible_collections.streamops.eventhub_connect.plugins.filter.debezium_kafka_clients import (
        debezium_kafka_clients)
    from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connector_config import (
        connector_config_errors, normalize_config)
    login = rendered[case]["kafka_login"]
    placeholder = "${dir:%s:kafka-sasl-jaas-config}" % CONNECTOR_SECRETS
    assert login["sasl_jaas_config"] == placeholder and login["bootstrap_servers"] == "ns.servicebus.windows.net:9093"
    assert SECRET not in json.dumps(login) and ENTRA_SECRET not in json.dumps(login)
    secret = [s for s in objects(rendered[case], "Secret") if s["metadata"]["name"] == "kafka-connect-connector-secrets"][0]
    assert base64.b64decode(secret["data"]["kafka-sasl-jaas-config"]).decode() == jaas
    assert {"name": "connector-secrets", "mountPath": CONNECTOR_SECRETS, "readOnly": True} \
        in container(rendered[case])["volumeMounts"]
    properties = debezium_start_script(rendered[case])
    assert properties["config.providers.dir.param.allowed.paths"] == CONNECTOR_SECRETS
    config = debezium_kafka_clients([MARIADB], login)[0]["config"]
    for prefix in ("schema.history.internal.producer.", "schema.history.internal.consumer.", "signal.consumer."):
        assert config[prefix + "sasl.jaas.config"] == placeholder
        assert config[prefix + "sasl.mechanism"] == mechanism and config[prefix + "security.protocol"] == "SASL_SSL"
        assert str(config[prefix + "request.timeout.ms"]) == properties["consumer.request.timeout.ms"] == "60000"
    # the same endpoint as the workers'
    workers = one(rendered[case], "ConfigMap")["data"]["BOOTSTRAP_SERVERS"]
    assert config["schema.history.internal.kafka.bootstrap.servers"] == config["signal.kafka.bootstrap.servers"] == workers
    assert connector_config_errors("inventory-mariadb", normalize_config("inventory-mariadb", config)) == []


def test_no_login_is_published_for_connectors_unless_asked(rendered):
    assert rendered["file"]["kafka_login"] == {}
    assert [s["metadata"]["name"] for s in objects(rendered["file"], "Secret")] == ["kafka-connect-secret"]
