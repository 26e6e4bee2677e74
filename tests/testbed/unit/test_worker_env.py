# SPDX-License-Identifier: GPL-3.0-or-later
"""The pod runner's translation of a pod into Connect worker settings (tests/testbed/worker_env.py)."""
from __future__ import annotations

import base64
import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

MODULE_PATH = Path(__file__).resolve().parents[1] / "worker_env.py"
SPEC = importlib.util.spec_from_file_location("testbed_worker_env", MODULE_PATH)
assert SPEC is not None and SPEC.loader is not None
worker_env = importlib.util.module_from_spec(SPEC)
sys.modules[SPEC.name] = worker_env
SPEC.loader.exec_module(worker_env)

POD_IP = "198.18.3.7"
PLUGINS = "/cache/plugins"
JAAS = ('org.apache.kafka.common.security.plain.PlainLoginModule required username="$ConnectionString" '
        'password="Endpoint=sb://ns1.servicebus.windows.net/;SharedAccessKeyName=connect;SharedAccessKey=abc=";')


def make_pod(container: dict[str, Any], annotations: dict[str, str] | None = None,
             extra_containers: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "metadata": {"name": "connect-abc", "namespace": "team-a", "uid": "u-1",
                     "labels": {"app": "connect"}, "annotations": annotations or {}},
        "spec": {"nodeName": "kwok-node-a", "containers": [container, *(extra_containers or [])]},
        "status": {"podIP": POD_IP, "hostIP": "198.19.255.254", "phase": "Running"},
    }


def debezium_env(**extra: str) -> dict[str, str]:
    env = {"BOOTSTRAP_SERVERS": "ns1.servicebus.windows.net:9093", "GROUP_ID": "connect-cluster",
           "CONFIG_STORAGE_TOPIC": "connect-configs", "OFFSET_STORAGE_TOPIC": "connect-offsets",
           "STATUS_STORAGE_TOPIC": "connect-status"}
    env.update(extra)
    return env


# ----------------------------------------------------------------- kubelet part


def test_env_from_configmap_and_secret_with_prefix_then_env_overrides() -> None:
    container = {
        "name": "connect",
        "envFrom": [{"configMapRef": {"name": "worker"}}, {"secretRef": {"name": "sasl"}, "prefix": "CONNECT_"}],
        "env": [{"name": "GROUP_ID", "value": "from-env"}],
    }
    configmaps = {"worker": {"GROUP_ID": "from-configmap", "BOOTSTRAP_SERVERS": "ns1.servicebus.windows.net:9093"}}
    secrets = {"sasl": {"SASL_JAAS_CONFIG": JAAS}}

    env = worker_env.resolve_env(make_pod(container), container, configmaps, secrets)

    assert env == {"GROUP_ID": "from-env", "BOOTSTRAP_SERVERS": "ns1.servicebus.windows.net:9093",
                   "CONNECT_SASL_JAAS_CONFIG": JAAS}


def test_value_from_key_refs_and_field_refs() -> None:
    container = {"name": "connect", "env": [
        {"name": "TOPIC", "valueFrom": {"configMapKeyRef": {"name": "worker", "key": "topic"}}},
        {"name": "JAAS", "valueFrom": {"secretKeyRef": {"name": "sasl", "key": "jaas"}}},
        {"name": "MY_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
        {"name": "MY_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        {"name": "MY_NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
        {"name": "MY_APP", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}},
        {"name": "MY_NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
    ]}
    env = worker_env.resolve_env(make_pod(container), container, {"worker": {"topic": "t1"}}, {"sasl": {"jaas": JAAS}})

    assert env == {"TOPIC": "t1", "JAAS": JAAS, "MY_IP": POD_IP, "MY_NAME": "connect-abc", "MY_NS": "team-a",
                   "MY_APP": "connect", "MY_NODE": "kwok-node-a"}


def test_dollar_paren_expansion_like_kubernetes() -> None:
    container = {"name": "c", "env": [
        {"name": "IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
        {"name": "URL", "value": "http://$(IP):8083"},
        {"name": "KEPT", "value": "$(UNDEFINED) and $$(IP)"},
    ]}
    env = worker_env.resolve_env(make_pod(container), container, {}, {})

    assert env["URL"] == f"http://{POD_IP}:8083"
    assert env["KEPT"] == "$(UNDEFINED) and $(IP)"


def test_missing_sources_fail_unless_optional() -> None:
    required = {"name": "c", "envFrom": [{"configMapRef": {"name": "absent"}}]}
    with pytest.raises(worker_env.WorkerEnvError, match="ConfigMap 'absent' is missing"):
        worker_env.resolve_env(make_pod(required), required, {}, {})

    missing_key = {"name": "c", "env": [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]}
    with pytest.raises(worker_env.WorkerEnvError, match="key 'k' in Secret 's'"):
        worker_env.resolve_env(make_pod(missing_key), missing_key, {}, {"s": {}})

    optional = {"name": "c", "envFrom": [{"secretRef": {"name": "absent", "optional": True}}],
                "env": [{"name": "X", "valueFrom": {"configMapKeyRef": {"name": "absent", "key": "k", "optional": True}}}]}
    assert not worker_env.resolve_env(make_pod(optional), optional, {}, {})


def test_secret_data_is_base64_on_the_wire() -> None:
    encoded = {"CONNECT_SASL_JAAS_CONFIG": base64.b64encode(JAAS.encode()).decode()}
    assert worker_env.decode_secret_data(encoded) == {"CONNECT_SASL_JAAS_CONFIG": JAAS}
    assert not worker_env.decode_secret_data(None)


def test_container_selection_first_or_annotated() -> None:
    first, sidecar = {"name": "connect"}, {"name": "sidecar"}
    assert worker_env.select_container(make_pod(first, extra_containers=[sidecar]), "a/c") is first
    annotated = make_pod(sidecar, {"a/c": "connect"}, extra_containers=[first])
    assert worker_env.select_container(annotated, "a/c") is first
    with pytest.raises(worker_env.WorkerEnvError, match="'nope'"):
        worker_env.select_container(make_pod(first, {"a/c": "nope"}), "a/c")


# ---------------------------------------------------------------- image part


def test_debezium_convention_short_names_defaults_and_connect_prefix() -> None:
    env = debezium_env(CONNECT_SECURITY_PROTOCOL="SASL_SSL", CONNECT_PRODUCER_SASL_JAAS_CONFIG=JAAS,
                       CONNECT_GROUP_ID="ignored", CONNECT_LOG4J_LOGGERS="org.reflections=ERROR",
                       HEAP_OPTS="-Xmx300m")

    spec = worker_env.worker_spec(env, POD_IP, PLUGINS)

    assert spec.convention == worker_env.DEBEZIUM
    props = spec.properties
    assert props["bootstrap.servers"] == "ns1.servicebus.windows.net:9093"
    assert props["group.id"] == "connect-cluster"  # the short name wins, as in docker-entrypoint.sh
    assert props["config.storage.topic"] == "connect-configs"
    assert props["status.storage.topic"] == "connect-status"
    assert props["key.converter"] == props["value.converter"] == worker_env.JSON_CONVERTER
    assert props["security.protocol"] == "SASL_SSL"
    assert props["producer.sasl.jaas.config"] == JAAS
    assert not any(key.startswith("log4j") for key in props)
    assert props["listeners"] == f"http://{POD_IP}:8083"
    assert props["rest.advertised.host.name"] == POD_IP
    assert props["plugin.path"] == PLUGINS
    assert spec.heap_opts == "-Xmx300m"
    assert spec.bootstrap_hosts == ("ns1.servicebus.windows.net",)


def test_debezium_group_id_defaults_to_one_and_required_names_are_checked() -> None:
    env = debezium_env()
    del env["GROUP_ID"]
    assert worker_env.worker_spec(env, POD_IP, PLUGINS).properties["group.id"] == "1"
    with pytest.raises(worker_env.WorkerEnvError, match="CONFIG_STORAGE_TOPIC"):
        worker_env.worker_spec({"BOOTSTRAP_SERVERS": "b:9093", "OFFSET_STORAGE_TOPIC": "o"}, POD_IP, PLUGINS)


def test_debezium_rest_port_and_advertised_name_from_env() -> None:
    env = debezium_env(REST_PORT="8084", ADVERTISED_HOST_NAME="198.18.9.9", ADVERTISED_PORT="8084")
    props = worker_env.worker_spec(env, POD_IP, PLUGINS).properties
    # The script turns REST_PORT into rest.port, which Connect 4.x no longer reads: it listens on 8083.
    assert props["rest.port"] == "8084"
    assert props["listeners"] == f"http://{POD_IP}:8083"
    assert props["rest.advertised.host.name"] == "198.18.9.9"
    assert props["rest.advertised.port"] == "8084"


def test_confluent_convention_name_mangling() -> None:
    env = {
        "CONNECT_BOOTSTRAP_SERVERS": "ns1.servicebus.windows.net:9093,10.0.0.1:9093",
        "CONNECT_GROUP_ID": "g", "CONNECT_CONFIG_STORAGE_TOPIC": "c", "CONNECT_OFFSET_STORAGE_TOPIC": "o",
        "CONNECT_STATUS_STORAGE_TOPIC": "s", "CONNECT_KEY_CONVERTER": "k", "CONNECT_VALUE_CONVERTER": "v",
        "CONNECT_REST_ADVERTISED_HOST_NAME": "198.18.1.1",
        "CONNECT_CONSUMER_SASL_JAAS_CONFIG": JAAS,
        "CONNECT_SOME___DASHED": "dash", "CONNECT_WITH__UNDERSCORE": "under",
        "KAFKA_HEAP_OPTS": "-Xmx200m", "HEAP_OPTS": "-Xmx999m",
        "BOOTSTRAP_SERVERS": "not-used:9093",
    }
    spec = worker_env.worker_spec(env, POD_IP, PLUGINS)

    assert spec.convention == worker_env.CONFLUENT
    props = spec.properties
    assert props["bootstrap.servers"] == "ns1.servicebus.windows.net:9093,10.0.0.1:9093"
    assert props["rest.advertised.host.name"] == "198.18.1.1"
    assert props["consumer.sasl.jaas.config"] == JAAS
    assert props["some-dashed"] == "dash"
    assert props["with_underscore"] == "under"
    assert spec.heap_opts == "-Xmx200m"
    assert spec.bootstrap_hosts == ("ns1.servicebus.windows.net",)


def test_confluent_convention_requires_its_names() -> None:
    with pytest.raises(worker_env.WorkerEnvError, match="CONNECT_GROUP_ID"):
        worker_env.worker_spec({"CONNECT_BOOTSTRAP_SERVERS": "b:9093"}, POD_IP, PLUGINS)


@pytest.mark.parametrize("listeners", ["http://:8083", "http://0.0.0.0:8083", "http://[::]:8083"])
def test_all_interfaces_listener_binds_the_pod_ip(listeners: str) -> None:
    spec = worker_env.worker_spec(debezium_env(CONNECT_LISTENERS=listeners), POD_IP, PLUGINS)
    assert spec.properties["listeners"] == f"http://{POD_IP}:8083"


def test_given_listeners_and_plugin_path_are_kept() -> None:
    env = debezium_env(CONNECT_LISTENERS="http://198.18.3.7:9000", CONNECT_PLUGIN_PATH="/kafka/connect")
    props = worker_env.worker_spec(env, POD_IP, PLUGINS).properties
    assert props["listeners"] == "http://198.18.3.7:9000"
    assert props["plugin.path"] == "/kafka/connect"


def test_default_heap() -> None:
    assert worker_env.worker_spec(debezium_env(), POD_IP, PLUGINS).heap_opts == worker_env.DEFAULT_HEAP_OPTS


# ---------------------------------------------------------------- file format


def java_properties_load(text: str) -> dict[str, str]:
    """The subset of java.util.Properties.load that render_properties produces: one escaped pair a line."""
    result = {}
    for line in text.splitlines():
        key: list[str] = []
        value: list[str] = []
        target, index = key, 0
        while index < len(line):
            char = line[index]
            if char == "\\":
                nxt = line[index + 1]
                if nxt == "u":
                    target.append(chr(int(line[index + 2:index + 6], 16)))
                    index += 6
                    continue
                target.append({"n": "\n", "r": "\r", "t": "\t", "f": "\f"}.get(nxt, nxt))
                index += 2
                continue
            if char == "=" and target is key:
                target = value
            else:
                target.append(char)
            index += 1
        result["".join(key)] = "".join(value).encode("utf-16", "surrogatepass").decode("utf-16")
    return result


def test_rendered_properties_round_trip() -> None:
    properties = {"sasl.jaas.config": JAAS, "odd key": " lead=ing\\back\nslash #1 é", "emoji": "\U0001F600"}
    text = worker_env.render_properties(properties)
    assert java_properties_load(text) == properties
    assert text.isascii()


def test_kafka_opts_reach_the_worker_jvm_as_the_images_pass_them() -> None:
    allowed = "-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=https://login.example/t/oauth2/v2.0/token"
    assert worker_env.worker_spec(debezium_env(KAFKA_OPTS=allowed), POD_IP, PLUGINS).kafka_opts == allowed
    confluent = {"CONNECT_BOOTSTRAP_SERVERS": "ns1.servicebus.windows.net:9093", "CONNECT_GROUP_ID": "g",
                 "CONNECT_CONFIG_STORAGE_TOPIC": "c", "CONNECT_OFFSET_STORAGE_TOPIC": "o", "CONNECT_STATUS_STORAGE_TOPIC": "s",
                 "CONNECT_KEY_CONVERTER": worker_env.JSON_CONVERTER, "CONNECT_VALUE_CONVERTER": worker_env.JSON_CONVERTER,
                 "KAFKA_OPTS": allowed}
    assert worker_env.worker_spec(confluent, POD_IP, PLUGINS).kafka_opts == allowed
    assert worker_env.worker_spec(debezium_env(), POD_IP, PLUGINS).kafka_opts == ""
