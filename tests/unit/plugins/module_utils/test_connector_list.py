# SPDX-License-Identifier: GPL-3.0-or-later
"""The one connector check: placeholders confined to the connector-secrets mount, no secret in clear, and
the list the eventhub role plans from refused as the connectors role would refuse it, before any write."""

from __future__ import annotations

import os
import sys
from typing import Any, Dict

import pytest

# `make setup` links the checkout as ansible_collections/streamops/eventhub_connect here
sys.path.insert(0, os.path.join(os.path.dirname(__file__), *[".."] * 3, "output", "collections"))

from ansible_collections.streamops.eventhub_connect.plugins.module_utils import _connector_config as config  # noqa: E402
from ansible_collections.streamops.eventhub_connect.plugins.module_utils import _connector_list as connectors  # noqa: E402
from ansible_collections.streamops.eventhub_connect.plugins.module_utils import _topic_plan as plan  # noqa: E402
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._errors import InvalidInput  # noqa: E402

POSTGRES = "io.debezium.connector.postgresql.PostgresConnector"
MOUNT = config.CONNECTOR_SECRETS_DIR
CREDENTIALS = config.WORKER_CREDENTIALS_DIR + "/kafka.properties"


def pg(**settings: Any) -> Dict[str, Any]:
    return dict({"connector.class": POSTGRES, "topic.prefix": "inventory", "table.include.list": "public.orders",
                 "database.password": "${dir:%s:postgres-password}" % MOUNT}, **settings)


# key, value, what the message says: every placeholder that reads outside the connector-secrets mount
OUTSIDE = [
    ("transforms.x.static.value", "${file:%s:sasl.jaas.config}" % CREDENTIALS, "workers' own Kafka credentials"),
    ("transforms.x.static.value", "${dir:%s:sasl.jaas.config}" % config.WORKER_CREDENTIALS_DIR, "own Kafka credentials"),
    ("database.password", "${dir:/etc/passwd:x}", "outside the connector-secrets mount"),
    ("database.password", "${file:/etc/passwd:root}", "outside the connector-secrets mount"),
    ("database.password", "${dir:%s/../kafka-credentials:k}" % MOUNT, "'..' segment"),
    ("database.password", "${file:%s/./pw.properties:k}" % MOUNT, "'..' segment"),
    ("database.password", "${dir:%s-other:k}" % MOUNT, "outside the connector-secrets mount"),
    ("database.password", "${dir:opt/kafka/external-configuration/connector-secrets:k}", "outside"),
    ("database.password", "${file:%s:k}" % MOUNT, "outside the connector-secrets mount"),  # file needs a file
    ("database.password", "${dir:postgres-password}", "names no path"),
    ("database.password", "${worker:%s:sasl.jaas.config}" % CREDENTIALS, "workers' own Kafka credentials"),
    ("database.password", "${env:CONNECT_SASL_JAAS_CONFIG}", "worker setting"),
    ("database.hostname", "db-${file:/etc/hostname:x}", "outside the connector-secrets mount"),
]


@pytest.mark.parametrize("allow_literal", [False, True])
@pytest.mark.parametrize("key, value, reason", OUTSIDE)
def test_a_placeholder_outside_the_connector_secrets_is_refused_even_with_literal_secrets_allowed(
        key, value, reason, allow_literal):
    errors = config.connector_config_errors("inv", config.normalize_config("inv", pg(**{key: value})), allow_literal)
    assert len(errors) == 1, errors
    assert "connector 'inv', key %s" % key in errors[0] and reason in errors[0]
    assert "may read only the connector-secrets mount " + MOUNT in errors[0]


@pytest.mark.parametrize("key, value", [
    ("database.password", "${dir:%s:postgres-password}" % MOUNT),
    ("database.password", "${dir:%s/:postgres-password}" % MOUNT),
    ("database.password", "${file:%s/db.properties:password}" % MOUNT),
    ("database.password", "${env:DB_PASSWORD}"),
    ("database.password", "${vault:secret/db:password}"),  # a provider of the user's, not the collection's
    ("database.password", ""),
    ("connection.url", "jdbc:postgresql://app:${env:PW}@db/inventory"),
    ("connection.url", "jdbc:oracle:thin:scott/${env:PW}@db:1521/orcl"),
    ("connection.url", "jdbc:oracle:thin:@db:1521/orcl"),
    ("sasl.kerberos.principal.hint", "kafka/broker.example.com@EXAMPLE.COM"),
])
def test_placeholders_in_the_mount_and_urls_without_passwords_pass(key, value):
    assert config.connector_config_errors("inv", config.normalize_config("inv", pg(**{key: value}))) == []


@pytest.mark.parametrize("key, value", [
    ("database.password", "hunter2${env:X}"),
    ("database.password", "${env:X}hunter2"),
    ("database.password", "${env:X}${env:Y}"),
    ("database.password", "hunter2"),
    ("database.password", " ${env:X}"),
    ("connection.url", "jdbc:oracle:thin:scott/tiger@host"),
    ("connection.url", "jdbc:oracle:thin:scott/tiger@//host:1521/svc"),
    ("connection.url", "jdbc:oracle:oci:scott/tiger@orcl"),
    ("connection.url", "jdbc:postgresql://app:pw@db/inventory"),
    ("connection.url", "jdbc:mysql://app:hunter2${env:X}@db/inventory"),
    ("connection.url", "redis://:pw@cache:6379"),
    ("connection.url", "jdbc:sqlserver://db;user=sa;password=Hunter2"),
])
def test_a_literal_secret_is_refused_unless_allowed(key, value):
    normalized = config.normalize_config("inv", pg(**{key: value}))
    errors = config.connector_config_errors("inv", normalized)
    assert len(errors) == 1 and "holds a literal secret under %s" % key in errors[0], errors
    assert "allow_literal_secrets" in errors[0]
    assert config.connector_config_errors("inv", normalized, allow_literal_secrets=True) == []
    with pytest.raises(InvalidInput):
        config.check_connector_config("inv", normalized)


@pytest.mark.parametrize("value, secret", [
    ("jdbc:oracle:thin:scott/tiger@host", "tiger"),
    ("jdbc:oracle:thin:scott/tiger@//host:1521/svc", "tiger"),
    ("url=jdbc:oracle:oci:u/p4ss@db", "p4ss"),
])
def test_user_slash_password_in_a_url_is_found_and_masked(value, secret):
    from ansible_collections.streamops.eventhub_connect.plugins.module_utils import _secrets
    assert _secrets.secrets_in_value(value) == [secret]
    assert secret not in _secrets.mask_value(value, "***")


def entry(name: str = "inv", **fields: Any) -> Dict[str, Any]:
    return dict({"name": name, "config": pg()}, **fields)


def prefixed(name: str, prefix: str, **fields: Any) -> Dict[str, Any]:
    return dict({"name": name, "config": pg(**{"topic.prefix": prefix})}, **fields)


# the connector list, and what the one message must say
BAD_LISTS = {
    "duplicate names": ([prefixed("inv", "a"), prefixed("inv", "b")], "names a connector more than once: inv"),
    "duplicate names, one absent": ([prefixed("inv", "a"), prefixed("inv", "b", state="absent")], "more than once"),
    "a slash in a name": ([entry("inv/orders")], "contains '/'"),
    "an empty name": ([entry("")], "is empty"),
    "no name": ([{"config": pg()}], "is empty"),
    "a name that is a number": ([entry(7)], "a connector name is a string"),
    "a dot name": ([entry("..")], "cannot address"),
    "a blank around a name": ([entry("inv ")], "leading or trailing blanks"),
    "a control character in a name": ([entry("in\nv")], "control characters"),
    "shared topic.prefix": ([prefixed("a", "inventory"), prefixed("b", "inventory")],
                            "Debezium connectors a, b share topic.prefix 'inventory'"),
    "shared topic.prefix but for case": ([prefixed("a", "inventory"), prefixed("b", "Inventory")], "share topic.prefix"),
    "topics [null]": ([entry(topics=[None])], "topics[0] is None"),
    "topics ['']": ([entry(topics=[""])], "topics[0] is ''"),
    "topics as text": ([entry(topics="orders")], "it is a list of topic names"),
    "an unknown state": ([entry(state="started")], "state is 'started'"),
    "an unknown key": ([entry(topic_partition=3)], "unknown keys topic_partition"),
    "allow_literal_secrets not a bool": ([entry(allow_literal_secrets="maybe")], "allow_literal_secrets is 'maybe'"),
    "a config that is a list": ([entry(config=["a"])], "config is ['a']"),
    "a mapping as a config value": ([entry(config=pg(**{"tasks.max": {"a": 1}}))], "is a mapping"),
    "another name in config": ([entry(config=pg(name="other"))], "config.name is 'other'"),
    "an entry that is no mapping": (["inv"], "each connector is a mapping"),
    "a list that is a mapping": ({"name": "inv"}, "it is a list of connectors"),
    "a placeholder at the credentials": ([entry(config=pg(**{
        "transforms.x.static.value": "${file:%s:sasl.jaas.config}" % CREDENTIALS}))], "own Kafka credentials"),
    "a literal glued to a placeholder": ([entry(config=pg(**{"database.password": "hunter2${env:X}"}))],
                                         "holds a literal secret under database.password"),
}


@pytest.mark.parametrize("entries, message", list(BAD_LISTS.values()), ids=list(BAD_LISTS))
def test_the_list_check_refuses_what_connect_or_the_plan_would(entries, message):
    errors = connectors.connector_list_errors(entries)
    assert len(errors) == 1 and message in errors[0], errors
    with pytest.raises(InvalidInput, match="connectors"):
        connectors.check_connector_list(entries)
    # the eventhub role's plan carries the same error, so the role refuses it before its first write
    if isinstance(entries, list) and all(isinstance(item, dict) for item in entries):
        found = plan.plan_namespace_topics(entries, namespace="contoso-ehns", sku="Standard", capacity=1)["errors"]
        assert any(message in error for error in found), found
        assert "None" not in plan.plan_namespace_topics(entries, namespace="contoso-ehns", sku="Standard",
                                                        capacity=1)["topics"]


@pytest.mark.parametrize("entries", [
    [],
    None,
    [prefixed("a", "inventory"), prefixed("b", "inventory", state="absent")],
    [prefixed("a", "inventory"), {"name": "b", "config": {"connector.class": "FileStreamSource", "topic": "inventory"}}],
    [entry(allow_literal_secrets=True, config=pg(**{"database.password": "hunter2"}))],
    [entry(state="absent", config=pg(**{"database.password": "hunter2"}))],
    [entry(topics=["orders"], topic_partitions="3", restart_failed="yes")],
    [{"name": "inv", "state": "absent"}],
])
def test_lists_connect_accepts_pass(entries):
    assert connectors.connector_list_errors(entries) == []


@pytest.mark.parametrize("connector_class, direction", [
    (POSTGRES, "source"),
    ("MySqlConnector", "source"),
    ("io.debezium.connector.mongodb.MongoDbConnector", "source"),
    ("org.apache.kafka.connect.mirror.MirrorSourceConnector", "source"),
    ("org.apache.kafka.connect.file.FileStreamSourceConnector", "source"),
    ("com.example.AcmeSourceConnector", "source"),
    ("org.apache.kafka.connect.file.FileStreamSinkConnector", "sink"),
    ("io.debezium.connector.jdbc.JdbcSinkConnector", "sink"),
    ("io.confluent.connect.s3.S3SinkConnector", "sink"),
    ("com.example.Replicator", None),
])
def test_source_or_sink_is_decided_by_the_class(connector_class, direction):
    assert connectors.connector_direction(connector_class) == direction


MIRROR = "org.apache.kafka.connect.mirror.MirrorSourceConnector"


@pytest.mark.parametrize("settings, topics", [
    ({"source.cluster.alias": "onprem", "topics": "orders,payments"}, ["onprem.orders", "onprem.payments"]),
    ({"source.cluster.alias": "onprem", "topics": "orders\\.v1", "replication.policy.separator": "-"}, ["onprem-orders.v1"]),
    ({"topics": "orders"}, ["source.orders"]),
    ({"topics": "orders", "replication.policy.class": "org.apache.kafka.connect.mirror.IdentityReplicationPolicy"},
     ["orders"]),
    ({"source.cluster.alias": "a", "topics": "orders", "errors.deadletterqueue.topic.name": "dlq"}, ["a.orders", "dlq"]),
])
def test_a_mirror_source_with_topics_plans_the_remote_topics(settings, topics):
    result = plan.plan_connector({"name": "mm2", "config": dict({"connector.class": MIRROR}, **settings)})
    assert result.errors == () and [topic.name for topic in result.topics] == topics


@pytest.mark.parametrize("connector_class, settings, message", [
    (MIRROR, {"topics": "orders.*"}, "is a pattern"),
    (MIRROR, {}, "replicates every topic"),
    (MIRROR, {"topics": "a", "replication.policy.class": "com.example.Policy"}, "in its own way"),
    ("io.debezium.connector.jdbc.JdbcSinkConnector", {}, "needs topics or topics.regex"),
    ("com.example.Replicator", {"topics": "orders"}, "does not know which topics"),
])
def test_what_the_plan_cannot_name_is_an_error_not_a_sink(connector_class, settings, message):
    result = plan.plan_connector({"name": "c", "config": dict({"connector.class": connector_class}, **settings)})
    assert len(result.errors) == 1 and message in result.errors[0], result.errors
