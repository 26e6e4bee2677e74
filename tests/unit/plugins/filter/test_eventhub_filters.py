# SPDX-License-Identifier: GPL-3.0-or-later
"""The Event Hubs filters: the Python rules, reachable from Jinja, refusing what they cannot read."""

from __future__ import annotations

import os
import sys

import pytest
from ansible.errors import AnsibleFilterError

# `make setup` links the checkout as ansible_collections/streamops/eventhub_connect here
sys.path.insert(0, os.path.join(os.path.dirname(__file__), *[".."] * 3, "output", "collections"))

from ansible_collections.streamops.eventhub_connect.plugins.filter import (  # noqa: E402
    eventhub_connect_topics,
    eventhub_kafka_jaas,
    eventhub_topic_plan,
)

jaas = eventhub_kafka_jaas.FilterModule().filters()["eventhub_kafka_jaas"]
connect_topics = eventhub_connect_topics.FilterModule().filters()["eventhub_connect_topics"]
topic_plan = eventhub_topic_plan.FilterModule().filters()["eventhub_topic_plan"]


def test_jaas_filter_escapes_quotes_and_backslashes_once() -> None:
    assert jaas('Endpoint=sb://ns/;SharedAccessKey=k\\"ey') == (
        'org.apache.kafka.common.security.plain.PlainLoginModule required username="$ConnectionString" '
        'password="Endpoint=sb://ns/;SharedAccessKey=k\\\\\\"ey";')
    assert jaas("pw", username='a"b').startswith(
        'org.apache.kafka.common.security.plain.PlainLoginModule required username="a\\"b"')
    for bad in ("", None, 3):
        with pytest.raises(AnsibleFilterError, match="non-empty string"):
            jaas(bad)


def test_connect_topics_filter_fills_the_defaults() -> None:
    assert connect_topics({}) == {"config": "connect-configs", "offsets": "connect-offsets", "status": "connect-status"}
    assert connect_topics({"offsets": "team-offsets", "status": None})["offsets"] == "team-offsets"
    assert connect_topics(None)["status"] == "connect-status"
    with pytest.raises(AnsibleFilterError, match="unknown Connect topic keys configs"):
        connect_topics({"configs": "x"})
    with pytest.raises(AnsibleFilterError, match="mapping"):
        connect_topics(["connect-configs"])


def test_topic_plan_filter_returns_the_plan_and_refuses_what_is_not_a_list() -> None:
    plan = topic_plan([{"name": "lines", "config": {"connector.class": "FileStreamSource", "topic": "lines"}}],
                      namespace="contoso-ehns", application=[{"name": "orders"}])
    assert plan["errors"] == []
    assert plan["topics"] == ["connect-configs", "connect-offsets", "connect-status", "orders", "lines"]
    assert topic_plan(None)["topics"] == ["connect-configs", "connect-offsets", "connect-status"]
    for bad in ("lines", {"name": "lines"}, ["lines"]):
        with pytest.raises(AnsibleFilterError, match="list of connector entries"):
            topic_plan(bad)
