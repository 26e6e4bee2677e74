# SPDX-License-Identifier: GPL-3.0-or-later
"""The pod runner starts Debezium-convention workers as debezium/connect:3.6's docker-entrypoint.sh does.

Each test pins one rule of that script (connect-base/3.6/docker-entrypoint.sh in
debezium/container-images), including the ones that surprise users: ADVERTISED_PORT overwrites
CONNECT_REST_ADVERTISED_PORT, only a fixed list of variables is hidden in the printed output, a
value with '@' for a property of the stock file ends the container.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import worker_env  # noqa: E402  pylint: disable=wrong-import-position

POD_IP = "198.18.3.7"
PLUGINS = "/cache/plugins"
SECRET = "Endpoint=sb://ns1.servicebus.windows.net/;SharedAccessKeyName=connect;SharedAccessKey=s3cr3t="
JAAS = f'org.apache.kafka.common.security.plain.PlainLoginModule required username="$ConnectionString" password="{SECRET}";'


def base(**extra: str) -> dict[str, str]:
    env = {"BOOTSTRAP_SERVERS": "ns1.servicebus.windows.net:9093", "GROUP_ID": "connect-cluster",
           "CONFIG_STORAGE_TOPIC": "connect-configs", "OFFSET_STORAGE_TOPIC": "connect-offsets",
           "STATUS_STORAGE_TOPIC": "connect-status"}
    env.update(extra)
    return env


def spec(**extra: str) -> worker_env.WorkerSpec:
    return worker_env.worker_spec(base(**extra), POD_IP, PLUGINS)


def test_advertised_port_defaults_to_8083_and_overwrites_the_connect_spelling() -> None:
    assert spec(CONNECT_REST_ADVERTISED_PORT="8084").properties["rest.advertised.port"] == "8083"
    assert spec(CONNECT_REST_ADVERTISED_PORT="8084", ADVERTISED_PORT="8084").properties["rest.advertised.port"] == "8084"


def test_advertised_host_defaults_to_the_pod_address_and_overwrites_the_connect_spelling() -> None:
    assert spec(CONNECT_REST_ADVERTISED_HOST_NAME="elsewhere").properties["rest.advertised.host.name"] == POD_IP
    assert spec(ADVERTISED_HOST_NAME="w-0.connect").properties["rest.advertised.host.name"] == "w-0.connect"


def test_only_the_listener_setting_moves_the_rest_port() -> None:
    moved = spec(CONNECT_LISTENERS="http://:9000")
    assert moved.properties["listeners"] == f"http://{POD_IP}:9000"
    assert "listeners=http://:9000" in moved.properties_text  # the stock file's `#listeners=` line, uncommented
    assert spec(REST_PORT="9000").properties["listeners"] == f"http://{POD_IP}:8083"


def test_printed_properties_hide_only_the_listed_variables() -> None:
    output = "\n".join(spec(CONNECT_SASL_JAAS_CONFIG=JAAS, CONNECT_PRODUCER_SASL_JAAS_CONFIG=JAAS,
                            CONNECT_CONSUMER_SASL_JAAS_CONFIG=JAAS,
                            CONNECT_ADMIN_SASL_JAAS_CONFIG=JAAS).startup_output)
    assert "--- Setting property from CONNECT_SASL_JAAS_CONFIG: sasl.jaas.config=[hidden]" in output
    assert "--- Setting property from CONNECT_PRODUCER_SASL_JAAS_CONFIG: producer.sasl.jaas.config=[hidden]" in output
    assert "--- Setting property from CONNECT_CONSUMER_SASL_JAAS_CONFIG: consumer.sasl.jaas.config=[hidden]" in output
    # The image's list lacks admin.: the connection string is printed, which `kubectl logs` shows.
    assert f"--- Setting property from CONNECT_ADMIN_SASL_JAAS_CONFIG: admin.sasl.jaas.config={JAAS}" in output
    assert output.count(SECRET) == 1


def test_sensitive_properties_replaces_the_list() -> None:
    output = "\n".join(spec(SENSITIVE_PROPERTIES="CONNECT_ADMIN_SASL_JAAS_CONFIG", CONNECT_SASL_JAAS_CONFIG=JAAS,
                            CONNECT_ADMIN_SASL_JAAS_CONFIG=JAAS).startup_output)
    assert "admin.sasl.jaas.config=[hidden]" in output
    assert f"sasl.jaas.config={JAAS}" in output


def test_config_provider_placeholders_pass_through_and_print_as_placeholders() -> None:
    placeholder = "${file:/opt/kafka/external-configuration/kafka-credentials/kafka.properties:sasl.jaas.config}"
    result = spec(CONNECT_ADMIN_SASL_JAAS_CONFIG=placeholder, CONNECT_CONFIG_PROVIDERS="file,dir,env")
    assert result.properties["admin.sasl.jaas.config"] == placeholder
    assert result.properties["config.providers"] == "file,dir,env"
    assert (f"--- Setting property from CONNECT_ADMIN_SASL_JAAS_CONFIG: admin.sasl.jaas.config={placeholder}"
            in result.startup_output)


def test_storage_topics_need_the_short_names() -> None:
    env = base(CONNECT_CONFIG_STORAGE_TOPIC="connect-configs")
    del env["CONFIG_STORAGE_TOPIC"]
    with pytest.raises(worker_env.WorkerEnvError, match="exits 1: The CONFIG_STORAGE_TOPIC variable must be set"):
        worker_env.worker_spec(env, POD_IP, PLUGINS)


def test_missing_status_topic_warns_and_keeps_the_stock_default() -> None:
    env = base()
    del env["STATUS_STORAGE_TOPIC"]
    result = worker_env.worker_spec(env, POD_IP, PLUGINS)
    assert result.properties["status.storage.topic"] == "connect-status"
    assert any(line.startswith("WARNING: it is recommended to specify the STATUS_STORAGE_TOPIC") for line in
               result.startup_output)


def test_bootstrap_servers_from_service_links_else_all_interfaces() -> None:
    env = base(KAFKA_PORT_9092_TCP="tcp://198.18.9.1:9092")
    del env["BOOTSTRAP_SERVERS"]
    assert worker_env.worker_spec(env, POD_IP, PLUGINS).properties["bootstrap.servers"] == "198.18.9.1:9092"
    del env["KAFKA_PORT_9092_TCP"]
    result = worker_env.worker_spec(env, POD_IP, PLUGINS)
    assert result.properties["bootstrap.servers"] == "0.0.0.0:9092"
    assert result.startup_output[0] == "Using BOOTSTRAP_SERVERS=0.0.0.0:9092"


def test_short_names_win_and_their_defaults_apply() -> None:
    props = spec(CONNECT_KEY_CONVERTER="org.example.Avro", CONNECT_OFFSET_FLUSH_INTERVAL_MS="1000").properties
    assert props["key.converter"] == worker_env.JSON_CONVERTER
    assert props["offset.flush.interval.ms"] == "60000"
    assert props["offset.flush.timeout.ms"] == "5000"
    assert props["task.shutdown.graceful.timeout.ms"] == "10000"
    assert props["key.converter.schemas.enable"] == "true"  # from the stock file


def test_heap_opts_becomes_kafka_heap_opts() -> None:
    assert spec(HEAP_OPTS="-Xmx300m").heap_opts == "-Xmx300m"


def test_an_at_sign_for_a_stock_property_ends_the_container_but_not_for_a_new_one() -> None:
    with pytest.raises(worker_env.WorkerEnvError, match="CONNECT_OFFSET_STORAGE_REPLICATION_FACTOR.*'@'"):
        spec(CONNECT_OFFSET_STORAGE_REPLICATION_FACTOR="a@b")
    assert spec(CONNECT_CLIENT_ID="me@example").properties["client.id"] == "me@example"


def test_an_ampersand_for_a_stock_property_is_sed_s_whole_match() -> None:
    props = spec(CONNECT_OFFSET_STORAGE_REPLICATION_FACTOR="x&y").properties
    assert props["offset.storage.replication.factor"] == "xoffset.storage.replication.factor=1y"


def test_log4j_variables_become_properties_too_except_the_loggers() -> None:
    result = spec(CONNECT_LOG4J_LOGGERS="org.reflections=ERROR", CONNECT_LOG4J_APPENDER_STDOUT_THRESHOLD="WARN")
    assert result.properties["log4j.appender.stdout.threshold"] == "WARN"
    assert not any(key == "log4j.loggers" for key in result.properties)
    assert "--- Setting logging property from CONNECT_LOG4J_APPENDER_STDOUT_THRESHOLD: " \
           "log4j.appender.stdout.threshold=WARN" in result.startup_output


def test_read_strips_blanks_and_cuts_values_at_a_newline() -> None:
    props = spec(CONNECT_CLIENT_ID="  padded  ", CONNECT_METADATA_MAX_AGE_MS="1000\n2000").properties
    assert props["client.id"] == "padded"
    assert props["metadata.max.age.ms"] == "1000"


def test_plugin_path_is_the_image_default_unless_the_pod_sets_it() -> None:
    assert spec().properties["plugin.path"] == PLUGINS
    assert spec(CONNECT_PLUGIN_PATH="/kafka/connect,/extra").properties["plugin.path"] == "/kafka/connect,/extra"


def test_properties_file_loads_as_java_would() -> None:
    text = "a=1\n# c=2\n  b : two\\\n   lines\nc\\=d=e\\u00e9\n"
    assert worker_env.load_properties(text) == {"a": "1", "b": "twolines", "c=d": "e\u00e9"}
