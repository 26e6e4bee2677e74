# SPDX-License-Identifier: GPL-3.0-or-later
"""The kafka_connect role's filters: quantities, env-var names, schedulable nodes, properties files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

# `make setup` links the checkout as ansible_collections/streamops/eventhub_connect here
sys.path.insert(0, os.path.join(os.path.dirname(__file__), *[".."] * 3, "output", "collections"))

from ansible_collections.streamops.eventhub_connect.plugins.filter.kafka_connect_env_name import (  # noqa: E402
    kafka_connect_env_name)
from ansible_collections.streamops.eventhub_connect.plugins.filter.kafka_connect_properties import (  # noqa: E402
    kafka_connect_properties)
from ansible_collections.streamops.eventhub_connect.plugins.filter.kafka_connect_quantity import (  # noqa: E402
    kafka_connect_quantity)
from ansible_collections.streamops.eventhub_connect.plugins.filter.kafka_connect_schedulable_nodes import (  # noqa: E402
    kafka_connect_schedulable_nodes)


@pytest.mark.parametrize("value, unit, expected", [
    ("512Mi", "Mi", 512.0), ("1Gi", "Mi", 1024.0), ("1G", "Mi", 1e9 / 2**20), ("400m", "1", 0.4),
    ("2", "m", 2000.0), ("1.5Gi", "Gi", 1.5), ("1e3", "1", 1000.0), (512, "1", 512.0), ("128974848", "Mi", 123.0),
])
def test_quantities_parse_as_kubernetes_does(value, unit, expected):
    assert kafka_connect_quantity(value, unit) == pytest.approx(expected)


@pytest.mark.parametrize("value", ["", "512MB", "Mi", "1,5Gi", "512Mi\n", " 1Gi", "-", None, True, "0x10"])
def test_what_is_not_a_quantity_is_null(value):
    assert kafka_connect_quantity(value, "Mi") is None


def test_a_bad_unit_is_an_error():
    with pytest.raises(AnsibleFilterError, match="unit"):
        kafka_connect_quantity("1Gi", "MB")


@pytest.mark.parametrize("name, convention, expected", [
    ("bootstrap.servers", "debezium", "BOOTSTRAP_SERVERS"),
    ("status.storage.topic", "debezium", "STATUS_STORAGE_TOPIC"),
    ("admin.sasl.jaas.config", "debezium", "CONNECT_ADMIN_SASL_JAAS_CONFIG"),
    ("config.providers.dir.class", "debezium", "CONNECT_CONFIG_PROVIDERS_DIR_CLASS"),
    ("bootstrap.servers", "confluent", "CONNECT_BOOTSTRAP_SERVERS"),
    ("ssl.endpoint_identification-x.algorithm", "confluent", "CONNECT_SSL_ENDPOINT__IDENTIFICATION___X_ALGORITHM"),
])
def test_env_names_follow_the_image(name, convention, expected):
    assert kafka_connect_env_name(name, convention) == expected


@pytest.mark.parametrize("name, convention, message", [
    ("a_b", "debezium", "cannot express"), ("a-b", "debezium", "cannot express"),
    ("", "debezium", "not a worker property"), ("a b", "confluent", "not a worker property"),
    ("a.b", "strimzi", "convention"),
])
def test_env_names_refuse_what_the_image_cannot_express(name, convention, message):
    with pytest.raises(AnsibleFilterError, match=message):
        kafka_connect_env_name(name, convention)


def node(name, ready="True", unschedulable=False, labels=None, taints=None):
    return {"metadata": {"name": name, "labels": labels or {}},
            "spec": {"unschedulable": unschedulable, "taints": taints or []},
            "status": {"conditions": [{"type": "Ready", "status": ready}]}}


def test_schedulable_nodes_are_ready_uncordoned_selected_and_tolerated():
    nodes = [
        node("b"), node("a"), node("not-ready", ready="False"), node("cordoned", unschedulable=True),
        node("other-pool", labels={"pool": "db"}), node("pool", labels={"pool": "connect"}),
        node("tainted", labels={"pool": "connect"}, taints=[{"key": "dedicated", "value": "kafka", "effect": "NoSchedule"}]),
        node("soft", labels={"pool": "connect"}, taints=[{"key": "x", "effect": "PreferNoSchedule"}]),
    ]
    assert kafka_connect_schedulable_nodes(nodes) == ["a", "b", "other-pool", "pool", "soft"]
    assert kafka_connect_schedulable_nodes(nodes, {"pool": "connect"}) == ["pool", "soft"]
    equal = [{"key": "dedicated", "operator": "Equal", "value": "kafka", "effect": "NoSchedule"}]
    assert kafka_connect_schedulable_nodes(nodes, {"pool": "connect"}, equal) == ["pool", "soft", "tainted"]


@pytest.mark.parametrize("toleration, tolerated", [
    ({"operator": "Exists"}, True),
    ({"key": "dedicated", "operator": "Exists"}, True),
    ({"key": "dedicated", "operator": "Exists", "effect": "NoExecute"}, False),
    ({"key": "dedicated", "value": "kafka"}, True),
    ({"key": "dedicated", "value": "other"}, False),
    ({"key": "other", "operator": "Exists"}, False),
])
def test_tolerations_match_as_the_scheduler_matches(toleration, tolerated):
    nodes = [node("n", taints=[{"key": "dedicated", "value": "kafka", "effect": "NoSchedule"}])]
    assert kafka_connect_schedulable_nodes(nodes, {}, [toleration]) == (["n"] if tolerated else [])


def test_schedulable_nodes_refuse_what_is_not_a_node_list():
    with pytest.raises(AnsibleFilterError, match="list of Node"):
        kafka_connect_schedulable_nodes({"resources": []})


TRICKY = {
    "sasl.jaas.config": 'org.apache.kafka.common.security.plain.PlainLoginModule required username="$ConnectionString" '
                        'password="Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKey=a\\"b\\\\c=";',
    "a key:with=odd#chars": " leading space, trailing \\",
    "multi": "line one\nline two\ttab",
    "flag": True,
    "empty": "",
    "unicode": "caf\u00e9 \u2603",
}

READER = r"""
import java.io.*; import java.nio.charset.StandardCharsets; import java.util.*;
public class Read { public static void main(String[] a) throws Exception {
  Properties p = new Properties();
  try (Reader r = new InputStreamReader(new FileInputStream(a[0]), StandardCharsets.UTF_8)) { p.load(r); }
  for (String k : new TreeSet<>(p.stringPropertyNames())) {
    System.out.println(HexFormat.of().formatHex(k.getBytes(StandardCharsets.UTF_8)) + " "
        + HexFormat.of().formatHex(p.getProperty(k).getBytes(StandardCharsets.UTF_8)));
  } } }
"""


@pytest.mark.skipif(shutil.which("java") is None, reason="needs a JDK to read the file as Kafka does")
def test_properties_read_back_exactly_with_java(tmp_path: Path):
    (tmp_path / "kafka.properties").write_text(kafka_connect_properties(TRICKY), encoding="utf-8")
    (tmp_path / "Read.java").write_text(READER, encoding="utf-8")
    out = subprocess.run(["java", str(tmp_path / "Read.java"), str(tmp_path / "kafka.properties")],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    pairs = [line.split(" ", 1) for line in out.splitlines()]
    parsed = {bytes.fromhex(key).decode(): bytes.fromhex(value).decode() for key, value in pairs}
    assert parsed == {key: ("true" if value is True else value) for key, value in TRICKY.items()}


def test_properties_refuse_what_is_not_a_mapping():
    with pytest.raises(AnsibleFilterError, match="mapping"):
        kafka_connect_properties(["a=b"])
