# SPDX-License-Identifier: GPL-3.0-or-later
"""The Kafka release each rendered setting needs, checked against the workers' Kafka."""
from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), *[".."] * 3, "output", "collections"))

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._kafka_versions import (  # noqa: E402
    initial_state_error,
    leading_version,
    parse_version,
    worker_version_errors,
)

# (property, value, the Kafka it needs, its KIP)
GATES = [
    ("config.providers.dir.param.allowed.paths", "/opt/kafka/external-configuration/connector-secrets", "3.8", "KIP-993"),
    ("plugin.discovery", "service_load", "3.6", "KIP-898"),
    ("config.providers.env.class", "org.apache.kafka.common.config.provider.EnvVarConfigProvider", "3.5", "KIP-887"),
    ("config.providers.dir.class", "org.apache.kafka.common.config.provider.DirectoryConfigProvider", "2.7", "KIP-632"),
    ("exactly.once.source.support", "enabled", "3.3", "KIP-618"),
    ("producer.sasl.oauthbearer.assertion.file", "/var/run/secrets/azure/tokens/azure-identity-token", "4.1", "KIP-1139"),
    ("sasl.oauthbearer.token.endpoint.url", "https://login.microsoftonline.com/t/oauth2/v2.0/token", "3.1", "KIP-768"),
]


def older(version: str) -> str:
    major, minor = (int(part) for part in version.split("."))
    return "%d.%d.0" % ((major, minor - 1) if minor else (major - 1, 9))


@pytest.mark.parametrize("key, value, minimum, kip", GATES)
def test_each_setting_is_refused_below_its_kafka_naming_setting_version_and_variable(key, value, minimum, kip):
    errors = worker_version_errors({key: value}, older(minimum))
    assert len(errors) == 1, errors
    assert kip in errors[0] and "needs Kafka %s or later" % minimum in errors[0]
    assert "kafka_connect_kafka_version=%s" % older(minimum) in errors[0] and key in errors[0]
    # a value is named only when it is the setting (a provider class), never a path or URL
    assert value not in errors[0] or value.startswith("org.apache.kafka.common.config.provider.")


@pytest.mark.parametrize("key, value, minimum, kip", GATES)
def test_each_setting_holds_from_its_kafka_on(key, value, minimum, kip):
    assert worker_version_errors({key: value}, minimum) == []
    assert worker_version_errors({key: value}, minimum + ".0") == []
    assert worker_version_errors({key: value}, "4.3.0") == []


def test_a_file_provider_and_plain_settings_need_nothing_new():
    properties = {"config.providers.file.class": "org.apache.kafka.common.config.provider.FileConfigProvider",
                  "bootstrap.servers": "ns.servicebus.windows.net:9093", "group.id": "kafka-connect"}
    assert worker_version_errors(properties, "2.0") == []


def test_a_bad_version_is_left_to_the_variables_input_rule():
    assert worker_version_errors({"plugin.discovery": "service_load"}, "four") == []


@pytest.mark.parametrize("text, parsed", [("4.3.0", (4, 3, 0)), ("3.9", (3, 9, 0)), ("10.0.12", (10, 0, 12)),
                                          ("4", None), ("4.3.0.1", None), ("v4.3", None), ("4.3\n", None), (4.3, None)])
def test_versions_are_x_y_or_x_y_z(text, parsed):
    assert parse_version(text) == parsed


def test_a_workers_release_string_may_carry_a_suffix():
    assert leading_version("3.9.0-cp1") == (3, 9, 0)
    assert leading_version("4.4.0-SNAPSHOT") == (4, 4, 0)
    assert leading_version(None) is None


def test_initial_state_needs_kafka_3_7():
    error = initial_state_error("inventory", "STOPPED", "3.6.2")
    assert error is not None
    assert "KIP-980" in error and "Kafka 3.7 or later" in error and "3.6.2" in error and "inventory" in error
    assert initial_state_error("inventory", "PAUSED", "3.7.0") is None
    assert initial_state_error("inventory", "PAUSED", "4.3.0") is None
    # a worker that answers no version is not refused on a guess
    assert initial_state_error("inventory", "PAUSED", None) is None
