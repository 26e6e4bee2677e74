# SPDX-License-Identifier: GPL-3.0-or-later
"""Where a namespace's broker lives and how its name resolves (tests/testbed/kafka.py, "namespace brokers")."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import kafka  # noqa: E402  pylint: disable=wrong-import-position


@pytest.fixture(autouse=True)
def private_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TESTBED_HOSTS_LOCK", str(tmp_path / "hosts.lock"))


def test_a_namespace_broker_shares_the_pki_and_operator_but_not_data_logs_or_properties(tmp_path: Path) -> None:
    testbed, namespace = kafka.Layout(tmp_path), kafka.Layout(tmp_path, "orders-prod")
    for shared in ("pki", "keystore", "testbed_credentials", "broker_secret", "formatted", "log4j2"):
        assert getattr(namespace, shared) == getattr(testbed, shared), shared
    for own in ("data", "server_properties", "log", "pid", "sync_url_file", "home"):
        assert getattr(namespace, own) != getattr(testbed, own), own
    assert namespace.home == tmp_path / "kafka" / "namespaces" / "orders-prod"


def test_the_namespace_broker_listens_as_its_event_hubs_endpoint_and_takes_only_its_own_logins(tmp_path: Path) -> None:
    layout = kafka.Layout(tmp_path, "orders-prod")
    broker = kafka.NamespaceBroker("orders-prod", "198.19.254.3", 40001, 40002)
    text = kafka.server_properties(layout, "secret", broker.listeners(), tmp_path / "credentials.txt")
    settings = dict(line.split("=", 1) for line in text.splitlines())
    assert settings["listeners"] == "NAMESPACE://198.19.254.3:9093,LOCAL://127.0.0.1:40001,CONTROLLER://127.0.0.1:40002"
    assert settings["advertised.listeners"] == ("NAMESPACE://orders-prod.servicebus.windows.net:9093,"
                                                "LOCAL://127.0.0.1:40001")
    assert 'namespace="orders-prod"' in settings["listener.name.namespace.plain.sasl.jaas.config"]
    assert broker.bootstrap == "orders-prod.servicebus.windows.net:9093"
    testbed = dict(line.split("=", 1) for line in kafka.server_properties(kafka.Layout(tmp_path), "secret").splitlines())
    assert testbed["listeners"].startswith("PODS://198.19.255.1:9093,LOCAL://127.0.0.1:19093")
    assert "namespace=" not in testbed["listener.name.pods.plain.sasl.jaas.config"]


def test_the_hosts_block_is_replaced_in_place_and_each_name_keeps_one_address(tmp_path: Path) -> None:
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 localhost\n198.19.255.1 postgres.testbed ns-a.servicebus.windows.net\n", encoding="utf-8")
    inode = hosts.stat().st_ino
    kafka.write_hosts_block(hosts, {"ns-a.servicebus.windows.net": "198.19.254.1",
                                    "ns-b.servicebus.windows.net": "198.19.254.2"}, strip_address="198.19.255.1")
    lines = hosts.read_text(encoding="utf-8").splitlines()
    assert lines == ["127.0.0.1 localhost", "198.19.255.1 postgres.testbed", kafka.HOSTS_BEGIN,
                     "198.19.254.1 ns-a.servicebus.windows.net", "198.19.254.2 ns-b.servicebus.windows.net", kafka.HOSTS_END]
    assert hosts.stat().st_ino == inode, "a file bind-mounted into the pods' namespace must keep its inode"
    kafka.write_hosts_block(hosts, {"ns-b.servicebus.windows.net": "198.19.254.2"})
    assert kafka.split_hosts_block(hosts.read_text(encoding="utf-8"))[1] == {"ns-b.servicebus.windows.net": "198.19.254.2"}
    kafka.write_hosts_block(hosts, {})
    assert hosts.read_text(encoding="utf-8") == "127.0.0.1 localhost\n198.19.255.1 postgres.testbed\n"


def test_a_namespace_copy_of_the_formatted_storage_is_a_cluster_of_its_own(tmp_path: Path) -> None:
    testbed = kafka.Layout(tmp_path)
    testbed.formatted.mkdir(parents=True)
    (testbed.formatted / "meta.properties").write_text(
        "#\nnode.id=1\ndirectory.id=AAAAAAAAAAAAAAAAAAAAAA\nversion=1\ncluster.id=BBBBBBBBBBBBBBBBBBBBBB\n", encoding="utf-8")
    (testbed.formatted / "bootstrap.checkpoint").write_bytes(b"\0")
    first, second = kafka.Layout(tmp_path, "ns-one"), kafka.Layout(tmp_path, "ns-two")
    ids = []
    for layout in (first, second):
        kafka.format_namespace_storage(layout)
        meta = dict(line.split("=", 1) for line in (layout.data / "meta.properties").read_text().splitlines() if "=" in line)
        assert meta["node.id"] == "1" and (layout.data / "bootstrap.checkpoint").is_file()
        ids.append(meta["cluster.id"])
    assert len({*ids, "BBBBBBBBBBBBBBBBBBBBBB"}) == 3
