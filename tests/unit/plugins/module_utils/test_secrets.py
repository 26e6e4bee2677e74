# SPDX-License-Identifier: GPL-3.0-or-later
"""The one list of secret settings: names and credentials inside values."""

from __future__ import annotations

import os
import sys

import pytest

# `make setup` links the checkout as ansible_collections/streamops/eventhub_connect here
sys.path.insert(0, os.path.join(os.path.dirname(__file__), *[".."] * 3, "output", "collections"))

from ansible_collections.streamops.eventhub_connect.plugins.module_utils import _secrets  # noqa: E402


@pytest.mark.parametrize("key", [
    "database.password", "sasl.jaas.config", "admin.sasl.jaas.config", "ssl.keystore.key",
    "ssl.key.password", "ssl.truststore.password", "schema.registry.basic.auth.user.info",
    "value.converter.basic.auth.user.info", "aws.secret.access.key", "azure.account.key",
    "eventhub.connection.string", "github.access.token", "api.key", "sasl.oauthbearer.client.credentials.client.secret",
    "sasl.oauthbearer.token.endpoint.url.password", "producer.sasl.login.token",
])
def test_credentials_are_secret(key):
    assert _secrets.is_secret_key(key)


@pytest.mark.parametrize("key", [
    "database.user", "database.hostname", "topic.prefix", "connection.url", "ssl.keystore.location",
    "ssl.keystore.type", "key.converter", "tasks.max", "table.include.list", "ssl.key.store.type",
    # public OAUTHBEARER endpoints that a fragment (token) matches
    "sasl.oauthbearer.token.endpoint.url", "signal.consumer.sasl.oauthbearer.token.endpoint.url",
    "sasl.oauthbearer.jwks.endpoint.url",
])
def test_ordinary_settings_are_not_secret(key):
    assert not _secrets.is_secret_key(key)


def test_secret_keys_lists_the_secret_ones_sorted():
    assert _secrets.secret_keys({"b.password": 1, "a.token": 2, "topic": 3}) == ["a.token", "b.password"]


@pytest.mark.parametrize("value, secret", [
    ("jdbc:postgresql://debezium:s3cr%t@db:5432/inventory", "s3cr%t"),
    ("mongodb://user:pa55@mongo/db", "pa55"),
    ("jdbc:sqlserver://db;user=sa;password=Hunter2;encrypt=true", "Hunter2"),
    ("https://host/path?token=abc123&x=1", "abc123"),
])
def test_credentials_inside_values_are_found_and_masked(value, secret):
    assert _secrets.secrets_in_value(value) == [secret]
    masked = _secrets.mask_value(value, "********")
    assert secret not in masked and "********" in masked


def test_a_url_without_credentials_is_left_alone():
    value = "jdbc:postgresql://db:5432/inventory"
    assert _secrets.secrets_in_value(value) == []
    assert _secrets.mask_value(value, "********") == value
