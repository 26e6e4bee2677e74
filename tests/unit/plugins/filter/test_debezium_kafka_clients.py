# SPDX-License-Identifier: GPL-3.0-or-later
"""Debezium's own Kafka clients (schema history, signals) get the namespace's login, from the workers' one source."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), *[".."] * 3, "output", "collections"))

from ansible_collections.streamops.eventhub_connect.plugins.filter.debezium_kafka_clients import (  # noqa: E402
    debezium_kafka_clients,
    debezium_kafka_clients_needed,
)
from ansible_collections.streamops.eventhub_connect.plugins.filter.kafka_connect_client_properties import (  # noqa: E402
    kafka_connect_client_properties,
    kafka_connect_connector_login,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connector_config import (  # noqa: E402
    connector_config_errors,
    normalize_config,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._entra import oauthbearer_settings  # noqa: E402
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._kafka_connection import (  # noqa: E402
    plain_jaas_config,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._topic_plan import (  # noqa: E402
    plan_namespace_topics,
)

KEY = "Zm9vYmFyc2VjcmV0a2V5PQ=="
CONNECTION_STRING = "Endpoint=sb://contoso-ehns.servicebus.windows.net/;SharedAccessKeyName=kafka-connect;SharedAccessKey=" + KEY
CLIENT_SECRET = "Qx8~entra.s3cr3t_value"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT_ID = "6f1c3a7e-0d2b-4c55-9b7e-1a2b3c4d5e6f"
PLACEHOLDER = "${dir:/opt/kafka/external-configuration/connector-secrets:kafka-sasl-jaas-config}"
# What the eventhub role publishes as eventhub_kafka_connection for each login
SAS = {"bootstrap_servers": "contoso-ehns.servicebus.windows.net:9093", "security_protocol": "SASL_SSL",
       "sasl_mechanism": "PLAIN", "sasl_jaas_config": plain_jaas_config("$ConnectionString", CONNECTION_STRING)}
ENTRA = oauthbearer_settings("https://contoso-ehns.servicebus.windows.net:443/", TENANT, CLIENT_ID, CLIENT_SECRET)
WORKLOAD_IDENTITY = oauthbearer_settings("https://contoso-ehns.servicebus.windows.net:443/", TENANT, CLIENT_ID, credential="workload_identity")
LOGINS = {"sas": SAS, "entra": ENTRA, "workload-identity": WORKLOAD_IDENTITY}
EVENTHUBS = {"metadata.max.age.ms": 180000, "connections.max.idle.ms": 180000, "request.timeout.ms": 60000}
# prefix -> the settings Microsoft recommends for that kind of client beyond EVENTHUBS
DEBEZIUM_CLIENTS = {"schema.history.internal.producer.": {"max.request.size": 1000000},
                    "schema.history.internal.consumer.": {"session.timeout.ms": 30000},
                    "signal.consumer.": {"session.timeout.ms": 30000}}


def mariadb(**extra) -> dict:
    config = {"connector.class": "io.debezium.connector.mariadb.MariaDbConnector", "tasks.max": 1,
              "database.hostname": "mariadb.inventory.svc", "database.port": 3306, "database.user": "debezium",
              "database.password": "${dir:/opt/kafka/external-configuration/connector-secrets:mariadb-password}",
              "database.server.id": 184054, "topic.prefix": "inventory",
              "table.include.list": "inventory.orders,inventory.customers",
              "schema.history.internal.kafka.topic": "schemahistory.inventory",
              "signal.enabled.channels": "source,kafka", "signal.data.collection": "inventory.debezium_signal"}
    config.update(extra)
    return {"name": "inventory-mariadb", "config": config}


def login(name: str) -> dict:
    """The kafka_connect role's kafka_connect_endpoint.kafka_login for that connection."""
    return kafka_connect_connector_login(LOGINS[name], PLACEHOLDER)


@pytest.mark.parametrize("name", list(LOGINS))
def test_every_debezium_client_of_a_mariadb_connector_logs_in_to_the_namespace(name):
    config = debezium_kafka_clients([mariadb()], login(name))[0]["config"]
    connection = LOGINS[name]
    assert config["schema.history.internal.kafka.bootstrap.servers"] == connection["bootstrap_servers"]
    assert config["signal.kafka.bootstrap.servers"] == connection["bootstrap_servers"]
    for prefix, kind_settings in DEBEZIUM_CLIENTS.items():
        assert config[prefix + "security.protocol"] == "SASL_SSL"
        assert config[prefix + "sasl.mechanism"] == connection["sasl_mechanism"]
        assert config[prefix + "sasl.jaas.config"] == PLACEHOLDER
        for key, value in dict(EVENTHUBS, **kind_settings).items():
            assert config[prefix + key] == value, prefix + key
        if connection["sasl_mechanism"] == "OAUTHBEARER":
            assert config[prefix + "sasl.login.callback.handler.class"] == connection["sasl_login_callback_handler_class"]
            assert config[prefix + "sasl.oauthbearer.token.endpoint.url"] == connection["sasl_oauthbearer_token_endpoint_url"]
        assert (prefix + "sasl.oauthbearer.assertion.file" in config) == (name == "workload-identity")
    text = repr(config)
    assert KEY not in text and CLIENT_SECRET not in text and "SharedAccessKey" not in text


@pytest.mark.parametrize("name", list(LOGINS))
def test_the_debezium_clients_carry_what_the_workers_clients_carry(name):
    """One source: the schema history producer is configured as the worker's producer., its consumers as consumer."""
    worker = kafka_connect_client_properties(dict(LOGINS[name], sasl_jaas_config=PLACEHOLDER))
    config = debezium_kafka_clients([mariadb()], login(name))[0]["config"]
    for prefix, worker_prefix in (("schema.history.internal.producer.", "producer."),
                                  ("schema.history.internal.consumer.", "consumer."), ("signal.consumer.", "consumer.")):
        mine = {key[len(prefix):]: value for key, value in config.items() if key.startswith(prefix)}
        theirs = {key[len(worker_prefix):]: value for key, value in worker.items() if key.startswith(worker_prefix)}
        assert mine == theirs, prefix


@pytest.mark.parametrize("name", list(LOGINS))
def test_the_rendered_config_passes_the_connector_secret_rules(name):
    entry = debezium_kafka_clients([mariadb()], login(name))[0]
    normalized = normalize_config(entry["name"], entry["config"])
    assert connector_config_errors(entry["name"], normalized) == []


def test_the_users_own_values_win_and_a_clear_secret_in_them_is_refused():
    mine = mariadb(**{"schema.history.internal.producer.sasl.jaas.config": SAS["sasl_jaas_config"],
                      "signal.kafka.bootstrap.servers": "other.servicebus.windows.net:9093",
                      "schema.history.internal.consumer.request.timeout.ms": 90000})
    entry = debezium_kafka_clients([mine], login("sas"))[0]
    config = entry["config"]
    assert config["schema.history.internal.producer.sasl.jaas.config"] == SAS["sasl_jaas_config"]
    assert config["signal.kafka.bootstrap.servers"] == "other.servicebus.windows.net:9093"
    assert config["schema.history.internal.consumer.request.timeout.ms"] == 90000
    assert config["schema.history.internal.consumer.sasl.jaas.config"] == PLACEHOLDER
    errors = connector_config_errors(entry["name"], normalize_config(entry["name"], config))
    assert len(errors) == 1 and "schema.history.internal.producer.sasl.jaas.config" in errors[0]
    assert KEY not in errors[0]


def test_only_connectors_with_their_own_kafka_clients_change():
    postgres = {"name": "pg", "config": {"connector.class": "io.debezium.connector.postgresql.PostgresConnector",
                                         "topic.prefix": "pg", "table.include.list": "public.t"}}
    memory_history = mariadb(**{"schema.history.internal": "io.debezium.storage.file.history.FileSchemaHistory",
                                "signal.enabled.channels": "source"})
    postgres_signals = {"name": "pg-signals", "config": dict(postgres["config"], **{"signal.enabled.channels": "kafka"})}
    filestream = {"name": "lines", "config": {"connector.class": "FileStreamSource", "topic": "lines"}}
    listed = [postgres, memory_history, postgres_signals, filestream]
    result = debezium_kafka_clients(listed, login("sas"))
    assert result[0] == postgres and result[1] == memory_history and result[3] == filestream
    assert "signal.consumer.sasl.jaas.config" in result[2]["config"]
    assert not [key for key in result[2]["config"] if key.startswith("schema.history.")]
    assert debezium_kafka_clients_needed(listed) is True
    assert debezium_kafka_clients_needed([postgres, memory_history, filestream]) is False
    # no login published (the kafka_connect role's kafka_connect_connector_kafka_login is off): nothing added
    assert debezium_kafka_clients([mariadb()], {}) == [mariadb()]


def test_the_topic_plan_counts_the_schema_history_and_signal_topics_as_event_hubs():
    entry = debezium_kafka_clients([mariadb()], login("sas"))[0]
    plan = plan_namespace_topics([entry], namespace="contoso-ehns", sku="Standard", capacity=1)
    assert plan["errors"] == []
    hubs = {hub["name"]: hub for hub in plan["hubs"]}
    assert plan["connectors"] == [{"name": "inventory-mariadb", "topics": [
        "inventory.inventory.orders", "inventory.inventory.customers", "schemahistory.inventory", "inventory-signal"]}]
    hubs = {name: hub for name, hub in hubs.items() if name in plan["connectors"][0]["topics"]}
    assert sorted(hubs) == ["inventory-signal", "inventory.inventory.customers", "inventory.inventory.orders",
                            "schemahistory.inventory"]
    assert hubs["schemahistory.inventory"]["partition_count"] == 1
    assert hubs["inventory-signal"]["partition_count"] == 1
    assert plan["budget"]["connectors"] == {"inventory-mariadb": 4}
    named = mariadb(**{"signal.kafka.topic": "inventory.signals"})
    assert "inventory.signals" in plan_namespace_topics([named], namespace="contoso-ehns", sku="Standard",
                                                        capacity=1)["topics"]
