# SPDX-License-Identifier: GPL-3.0-or-later
"""The topic plan: the topics Connect and each connector write, derived the way Connect and Debezium name them."""

from __future__ import annotations

import os
import sys
from typing import Any, Dict, List

# `make setup` links the checkout as ansible_collections/streamops/eventhub_connect here
sys.path.insert(0, os.path.join(os.path.dirname(__file__), *[".."] * 3, "output", "collections"))

from ansible_collections.streamops.eventhub_connect.plugins.module_utils import _topic_plan as plan  # noqa: E402

POSTGRES = "io.debezium.connector.postgresql.PostgresConnector"


def entry(config: Dict[str, Any], **extra: Any) -> Dict[str, Any]:
    return dict({"name": "inv", "config": config}, **extra)


def topics(config: Dict[str, Any], **extra: Any) -> List[str]:
    result = plan.plan_connector(entry(config, **extra))
    assert result.errors == (), result.errors
    return [topic.name for topic in result.topics]


def errors(config: Dict[str, Any], **extra: Any) -> List[str]:
    return list(plan.plan_connector(entry(config, **extra)).errors)


def pg(**config: Any) -> Dict[str, Any]:
    return dict({"connector.class": POSTGRES, "topic.prefix": "inventory",
                 "table.include.list": "public.customers,public.orders"}, **config)


def test_postgres_writes_one_topic_per_listed_table() -> None:
    assert topics(pg()) == ["inventory.public.customers", "inventory.public.orders"]
    assert topics(pg(**{"table.include.list": ["public\\.customers", " inv.items "]})) == [
        "inventory.public.customers", "inventory.inv.items"]
    assert topics(pg(**{"connector.class": "PostgresConnector"})) == topics(pg())


def test_a_table_pattern_is_refused_with_the_fix() -> None:
    for pattern in ("public.*", "public.cust(omers|s)", "customers", "public.orders$"):
        found = errors(pg(**{"table.include.list": pattern}))
        assert len(found) == 1 and "'%s'" % pattern in found[0], found
        assert "list the tables one by one or give the connector's topics: explicitly" in found[0]
    assert "captures every table" in errors(pg(**{"table.include.list": ""}))[0]
    assert "topic.prefix is required" in errors({"connector.class": POSTGRES, "table.include.list": "a.b"})[0]


def test_heartbeat_topic_and_its_underscore_fix() -> None:
    assert topics(pg(**{"heartbeat.interval.ms": "0"})) == ["inventory.public.customers", "inventory.public.orders"]
    result = plan.plan_connector(entry(pg(**{"heartbeat.interval.ms": 10000})))
    heartbeat = result.topics[-1]
    assert heartbeat == plan.PlannedTopic("__debezium-heartbeat.inventory", "heartbeat")
    assert plan.topic_name_errors("inv", heartbeat) == [
        "connector 'inv': heartbeat topic '__debezium-heartbeat.inventory' starts with '_', which an event hub name "
        "may not; set topic.heartbeat.prefix=debezium-heartbeat"]
    fixed = topics(pg(**{"heartbeat.interval.ms": 10000, "topic.heartbeat.prefix": "debezium-heartbeat"}))
    assert fixed[-1] == "debezium-heartbeat.inventory"
    assert "heartbeat.interval.ms must be a number" in errors(pg(**{"heartbeat.interval.ms": "soon"}))[0]


def test_transaction_and_dead_letter_topics() -> None:
    found = topics(pg(**{"provide.transaction.metadata": True, "errors.deadletterqueue.topic.name": "inv-dlq"}))
    assert found[-2:] == ["inventory.transaction", "inv-dlq"]
    assert topics(pg(**{"provide.transaction.metadata": "true", "topic.transaction": "tx"}))[-1] == "inventory.tx"


def test_regex_router_renames_with_java_groups() -> None:
    config = pg(**{"transforms": "route", "transforms.route.type": plan.REGEX_ROUTER,
                   "transforms.route.regex": "([^.]+)\\.public\\.(.*)", "transforms.route.replacement": "$1-$2"})
    assert topics(config) == ["inventory-customers", "inventory-orders"]
    merged = pg(**{"transforms": "unwrap, all", "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
                   "transforms.all.type": plan.LOGICAL_TABLE_ROUTER,
                   "transforms.all.topic.regex": "(?<prefix>[^.]+)\\..*",
                   "transforms.all.topic.replacement": "${prefix}.all\\$"})
    assert topics(merged) == ["inventory.all$"]


def test_a_router_that_cannot_be_read_is_refused_not_raised() -> None:
    router = {"transforms": "route", "transforms.route.type": plan.REGEX_ROUTER}
    for regex, replacement, expected in (("(.*", "x", "not a regular expression"),
                                         ("(.*)", "$2", "does not fit its regex"),
                                         ("(.*)", "${nope}", "does not fit its regex"),
                                         ("(.*)", "${open", "does not fit its regex")):
        found = errors(pg(**dict(router, **{"transforms.route.regex": regex,
                                            "transforms.route.replacement": replacement})))
        assert len(found) == 1 and expected in found[0], found
    assert "needs transforms.route.regex" in errors(pg(**router))[0]


def test_router_under_a_topic_name_predicate() -> None:
    config = pg(**{"transforms": "route", "transforms.route.type": plan.REGEX_ROUTER,
                   "transforms.route.regex": ".*", "transforms.route.replacement": "orders-all",
                   "transforms.route.predicate": "isOrders", "predicates": "isOrders",
                   "predicates.isOrders.type": plan.TOPIC_NAME_MATCHES, "predicates.isOrders.pattern": ".*orders"})
    assert topics(config) == ["inventory.public.customers", "orders-all"]
    config["transforms.route.negate"] = "true"
    assert topics(config) == ["orders-all", "inventory.public.orders"]
    config["predicates.isOrders.type"] = "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone"
    assert "depends on the records" in errors(config)[0]


def test_record_based_routers_and_unknown_connectors_are_refused() -> None:
    outbox = pg(**{"transforms": "outbox", "transforms.outbox.type": "io.debezium.transforms.outbox.EventRouter"})
    assert "names topics from the records" in errors(outbox)[0]
    found = errors({"connector.class": "com.example.MagicSource"})
    assert found == ["connector 'inv': the plan does not know which topics com.example.MagicSource writes; list them "
                     "in the entry's topics: (an empty list if it writes none)"]
    assert topics({"connector.class": "com.example.MagicSource"}, topics=[]) == []


def test_explicit_topics_replace_the_derived_list() -> None:
    assert topics(pg(**{"heartbeat.interval.ms": 5}), topics=["a", "b"]) == ["a", "b"]
    assert errors(pg(), topics="a,b") == ["connector 'inv': topics must be a list of topic names"]


def test_mysql_sqlserver_oracle_naming_and_schema_history() -> None:
    mysql = {"connector.class": "io.debezium.connector.mysql.MySqlConnector", "topic.prefix": "shop",
             "table.include.list": "inventory.orders", "schema.history.internal.kafka.topic": "schemahistory.shop"}
    assert topics(mysql) == ["shop.inventory.orders", "schemahistory.shop"]
    history = plan.plan_connector(entry(mysql)).topics[-1]
    assert history.kind == "schema-history"
    del mysql["schema.history.internal.kafka.topic"]
    assert "schema.history.internal.kafka.topic is required" in errors(mysql)[0]
    mysql["schema.history.internal"] = "io.debezium.storage.file.history.FileSchemaHistory"
    assert topics(mysql) == ["shop.inventory.orders"]

    sqlserver = {"connector.class": "io.debezium.connector.sqlserver.SqlServerConnector", "topic.prefix": "erp",
                 "database.names": "sales,hr", "table.include.list": "dbo.orders,hr.dbo.people",
                 "schema.history.internal.kafka.topic": "erp-history"}
    assert topics(sqlserver) == ["erp.sales.dbo.orders", "erp.hr.dbo.orders", "erp.hr.dbo.people", "erp-history"]
    del sqlserver["database.names"]
    assert "database.names is required" in errors(sqlserver)[0]

    oracle = {"connector.class": "io.debezium.connector.oracle.OracleConnector", "topic.prefix": "ora",
              "table.include.list": "INVENTORY.CUSTOMERS", "schema.history.internal.kafka.topic": "ora-history"}
    assert topics(oracle) == ["ora.INVENTORY.CUSTOMERS", "ora-history"]


def test_filestream_source_and_sinks() -> None:
    assert topics({"connector.class": "FileStreamSource", "file": "/tmp/in", "topic": "lines"}) == ["lines"]
    assert topics({"connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector", "topics": "lines"}) == []
    assert topics({"connector.class": "io.debezium.connector.jdbc.JdbcSinkConnector", "topics.regex": "inv.*",
                   "errors.deadletterqueue.topic.name": "sink-dlq"}) == ["sink-dlq"]


def namespace_plan(connectors: List[Dict[str, Any]], **options: Any) -> Dict[str, Any]:
    options.setdefault("namespace", "contoso-ehns")
    options.setdefault("sku", "Standard")
    options.setdefault("capacity", 1)
    return plan.plan_namespace_topics(connectors, **options)


def tables(count: int) -> Dict[str, Any]:
    return entry(pg(**{"table.include.list": ",".join("public.t%d" % i for i in range(count))}))


def test_seven_tables_fit_a_standard_namespace_and_the_eighth_does_not() -> None:
    fits = namespace_plan([tables(7)])
    assert fits["errors"] == []
    assert fits["budget"] == {"tier": "Standard", "limit": 10, "used": 0, "requested": 10, "free": 10, "fits": True,
                              "connect": 3, "application": 0, "others": 0, "connectors": {"inv": 7}}
    assert fits["connect_topics"] == {"config": "connect-configs", "offsets": "connect-offsets",
                                      "status": "connect-status"}
    assert fits["hubs"][:3] == [
        {"name": "connect-configs", "partition_count": 1, "cleanup_policy": "compact", "tombstone_retention_hours": 24},
        {"name": "connect-offsets", "partition_count": 25, "cleanup_policy": "compact", "tombstone_retention_hours": 24},
        {"name": "connect-status", "partition_count": 5, "cleanup_policy": "compact", "tombstone_retention_hours": 24}]
    assert fits["hubs"][3] == {"name": "inventory.public.t0", "cleanup_policy": "delete", "partition_count": 1,
                               "retention_hours": 24}

    over = namespace_plan([tables(8)], existing=[{"name": "legacy"}])
    assert over["budget"]["fits"] is False
    assert over["errors"] == [
        "Topic budget exceeded on the Standard namespace 'contoso-ehns': limit 10 event hubs, used 1, requested 11 new, "
        "free 9; wanted: Connect 3, application 0, connector 'inv' 8 (%s), other event hubs 1. Ways out: the Premium "
        "tier (100 event hubs per processing unit), fewer topics (fewer tables in table.include.list), a router "
        "(RegexRouter or ByLogicalTableRouter) that merges topics, a second namespace."
        % ", ".join("inventory.public.t%d" % i for i in range(8))]
    assert namespace_plan([tables(8)], sku="Premium")["errors"] == []


def test_every_topic_is_checked_against_the_tier_before_any_write() -> None:
    found = namespace_plan([entry(pg(), topic_partitions=0, topic_retention_hours=200)],
                           application=[{"name": "app", "partitions": 40, "retention_hours": 0},
                                        {"name": "bad name"}],
                           connect_partitions={"offsets": 33}, rule_name="-rule", rule_rights=["Read"])["errors"]
    assert "invalid authorization rule name '-rule'" in found[0]
    assert found[1].startswith("unknown rights Read")
    joined = "\n".join(found)
    for expected in ("event hub 'connect-offsets': partition_count 33 is outside 1-32 allowed on Standard",
                     "event hub 'app': partition_count 40 is outside 1-32 allowed on Standard",
                     "event hub 'app': retention 0 hours is outside 1-168 allowed on Standard",
                     "invalid event hub name 'bad name'",
                     "event hub 'inventory.public.customers': partition_count 0 is outside 1-32 allowed on Standard",
                     "event hub 'inventory.public.orders': retention 200 hours is outside 1-168 allowed on Standard"):
        assert expected in joined, joined
    assert "invalid namespace name 'x'" in namespace_plan([], namespace="x")["errors"][0]
    existing = [{"name": "inventory.public.orders", "partition_count": 2, "cleanup_policy": "delete",
                 "retention_hours": 24, "tombstone_retention_hours": None, "status": "Active"}]
    assert namespace_plan([entry(pg(), topic_partitions=3)], existing=existing)["errors"] == [
        "event hub 'inventory.public.orders': partition_count cannot change on Standard (2 -> 3); create a new event "
        "hub instead"]


def test_names_used_twice_and_shared_topics() -> None:
    found = namespace_plan([], application=[{"name": "Connect-Status"}])["errors"]
    assert found[0].startswith("topic 'Connect-Status' is listed twice")
    clash = namespace_plan([entry({"connector.class": "FileStreamSource", "topic": "connect-configs"})])["errors"]
    assert clash == ["connector 'inv': topic 'connect-configs' is one of Connect's internal topics"]
    shared = namespace_plan([entry({"connector.class": "FileStreamSource", "topic": "lines"}),
                             {"name": "two", "config": {"connector.class": "FileStreamSource", "topic": "LINES"}}],
                            application=[{"name": "lines", "partitions": 3}])
    assert shared["errors"] == [] and shared["topics"] == ["connect-configs", "connect-offsets", "connect-status",
                                                           "lines"]
    assert shared["connectors"] == [{"name": "inv", "topics": ["lines"]}, {"name": "two", "topics": ["LINES"]}]
    assert shared["hubs"][3]["partition_count"] == 3


def test_schema_history_gets_one_partition_and_the_longest_retention() -> None:
    mysql = {"connector.class": "MySqlConnector", "topic.prefix": "shop", "table.include.list": "inventory.orders",
             "schema.history.internal.kafka.topic": "schemahistory.shop"}
    hubs = namespace_plan([entry(mysql, topic_partitions=4)])["hubs"]
    assert hubs[-1] == {"name": "schemahistory.shop", "cleanup_policy": "delete", "partition_count": 1,
                        "retention_hours": 168}
    assert hubs[-2]["partition_count"] == 4


def test_absent_connectors_plan_nothing_unless_asked_and_numbers_from_text() -> None:
    gone = [entry(pg(), state="absent")]
    assert namespace_plan(gone)["topics"] == ["connect-configs", "connect-offsets", "connect-status"]
    assert len(namespace_plan(gone, include_absent=True)["topics"]) == 5
    assert namespace_plan([entry(pg(), topic_partitions="4")])["hubs"][-1]["partition_count"] == 4
    assert "partition_count must be a whole number, got 'four'" in namespace_plan(
        [entry(pg(), topic_partitions="four")])["errors"][0]
    assert namespace_plan([], sku="Gold")["errors"] == ["unknown Event Hubs SKU 'Gold'"]
