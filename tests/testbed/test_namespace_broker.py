# SPDX-License-Identifier: GPL-3.0-or-later
"""The testbed's broker and the ARM test double are one Event Hubs namespace (README-kafka.md, "Event Hubs
behaviour"): real confluent-kafka clients against the real broker, the double driven by azure-mgmt-eventhub,
and both read back (the double's state and the broker's metadata).

Needs the testbed's double and broker (`$TESTBED_STATE/arm.env` and `kafka.env`); skipped without them.
"""
from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import urlsplit

import pytest

confluent_kafka = pytest.importorskip("confluent_kafka")
from azure.core.exceptions import ResourceNotFoundError  # noqa: E402
from azure.identity import ClientSecretCredential  # noqa: E402
from azure.mgmt.eventhub import EventHubManagementClient  # noqa: E402
from azure.mgmt.eventhub.models import (  # noqa: E402
    AccessRights, AuthorizationRule, EHNamespace, Eventhub, RegenerateAccessKeyParameters, RetentionDescription, Sku)
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import (  # noqa: E402
    AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, NewTopic)

from arm_double.fixtures import ArmDouble  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
SCOPE = "https://management.azure.com/.default"
SYNC_DEADLINE = 2.0
QUIET = logging.getLogger("test_namespace_broker.librdkafka")
QUIET.addHandler(logging.NullHandler())
QUIET.propagate = False


def state_dir() -> Path:
    state = Path(os.environ.get("TESTBED_STATE") or "tests/output/testbed")
    return state if state.is_absolute() else REPO_ROOT / state


@pytest.fixture(scope="module")
def kafka_env() -> dict[str, str]:
    path = state_dir() / "kafka.env"
    if not (path.is_file() and (state_dir() / "arm.env").is_file()):
        pytest.skip(f"no testbed: {path} or arm.env is absent (run `make testbed-up`)")
    return dict(line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines() if "=" in line)


@pytest.fixture(scope="module")
def double(kafka_env: dict[str, str]) -> ArmDouble:  # pylint: disable=unused-argument,redefined-outer-name
    return ArmDouble(state_dir(), None)


@pytest.fixture(scope="module")
def arm(double: ArmDouble) -> EventHubManagementClient:  # pylint: disable=redefined-outer-name
    credential = ClientSecretCredential(double.tenant, double.client_id, double.client_secret, authority=double.url,
                                        disable_instance_discovery=True, connection_verify=str(double.ca_file))
    return EventHubManagementClient(credential, double.subscription_id, base_url=double.url, credential_scopes=[SCOPE],
                                    connection_verify=str(double.ca_file))


class Namespace:
    """A fresh namespace of the double, its connection strings and clients for them."""

    def __init__(self, arm: EventHubManagementClient, double: ArmDouble, kafka_env: dict[str, str], tier: str,
                 name: str | None = None) -> None:
        self.arm, self.double, self.kafka_env = arm, double, kafka_env
        self.group = double.resource_group
        self.tag = uuid.uuid4().hex[:10]
        self.name = name or f"nsb-{self.tag}"
        created = arm.namespaces.begin_create_or_update(
            self.group, self.name, EHNamespace(location="westeurope", sku=Sku(name=tier, tier=tier, capacity=1))).result()
        # As a Kafka client finds it: the namespace's own endpoint, port 9093.
        self.bootstrap = f"{urlsplit(created.service_bus_endpoint).hostname}:9093"
        self.operator = AdminClient(self.config(kafka_env["KAFKA_TESTBED_CONNECTION_STRING"]))

    def hub(self, name: str, partitions: int = 2, policy: str = "Delete", hours: int | None = 24) -> None:
        retention = RetentionDescription(cleanup_policy=policy, retention_time_in_hours=hours)
        self.arm.event_hubs.create_or_update(self.group, self.name, name, Eventhub(partition_count=partitions,
                                                                                   retention_description=retention))

    def hub_names(self) -> set[str]:
        return {hub.name for hub in self.arm.event_hubs.list_by_namespace(self.group, self.name)}

    def rule(self, name: str, *rights: str) -> str:
        """The primary connection string of a namespace rule with these rights (created when it is not the root rule)."""
        if name != "RootManageSharedAccessKey":
            self.arm.namespaces.create_or_update_authorization_rule(
                self.group, self.name, name, AuthorizationRule(rights=[AccessRights(r) for r in rights]))
        return self.arm.namespaces.list_keys(self.group, self.name, name).primary_connection_string

    def config(self, connection_string: str, **extra: Any) -> dict[str, Any]:
        return {"bootstrap.servers": self.bootstrap, "security.protocol": "SASL_SSL",
                "sasl.mechanism": "PLAIN", "sasl.username": "$ConnectionString", "sasl.password": connection_string,
                "ssl.ca.location": self.kafka_env["KAFKA_CA_FILE"], "logger": QUIET, **extra}

    def delete(self) -> None:
        try:
            self.arm.namespaces.begin_delete(self.group, self.name).result()
        except ResourceNotFoundError:
            pass


@pytest.fixture
def namespace_factory(arm: EventHubManagementClient, double: ArmDouble,  # pylint: disable=redefined-outer-name
                      kafka_env: dict[str, str]) -> Iterator[Callable[..., Namespace]]:
    made: list[Namespace] = []

    def make(tier: str = "Standard", name: str | None = None) -> Namespace:
        made.append(Namespace(arm, double, kafka_env, tier, name))
        return made[-1]

    yield make
    for namespace in made:
        namespace.delete()


@pytest.fixture(scope="module")
def namespace(arm: EventHubManagementClient, double: ArmDouble,  # pylint: disable=redefined-outer-name
              kafka_env: dict[str, str]) -> Iterator[Namespace]:
    """One namespace (one Kafka cluster, a broker start) for the tests that each use hubs and rules of their own
    in it, as one team's applications share a namespace."""
    shared = Namespace(arm, double, kafka_env, "Standard")
    yield shared
    shared.delete()


def retry(call: Callable[[], Any], done: Callable[[Any], bool], timeout: float) -> Any:
    """call() until done(answer) or the time is up; the last answer."""
    deadline = time.monotonic() + timeout
    answer = call()
    while not done(answer) and time.monotonic() < deadline:
        time.sleep(0.05)
        answer = call()
    return answer


def wait_for(check: Callable[[], Any], timeout: float, what: str) -> Any:
    result = retry(check, bool, timeout)
    assert result, f"not within {timeout:.1f} s: {what}"
    return result


def topics(admin: AdminClient) -> dict[str, int]:
    return {name: len(topic.partitions) for name, topic in admin.list_topics(timeout=10).topics.items() if not topic.error}


def topic_configs(admin: AdminClient, topic: str) -> dict[str, str]:
    resource = ConfigResource("TOPIC", topic)
    entries = admin.describe_configs([resource], request_timeout=10)[resource].result()
    return {key: entry.value for key, entry in entries.items()}


def kafka_error(future: Any) -> KafkaError | None:
    try:
        future.result()
    except KafkaException as error:
        return error.args[0]
    return None


def authentication_refused(config: dict[str, Any], timeout: float = 20.0) -> bool:
    errors: list[Any] = []
    admin = AdminClient(dict(config, error_cb=errors.append))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            admin.list_topics(timeout=2)
            return False
        except KafkaException:
            admin.poll(0.2)
            if KafkaError._AUTHENTICATION in {error.code() for error in errors}:
                return True
    return False


def once_authorized(call: Callable[[], KafkaError | None]) -> KafkaError | None:
    """A new hub's ACLs follow within one sync round (~0.3 s): retry while the answer is not authorized."""
    return retry(call, lambda error: error is None or error.code() != KafkaError.TOPIC_AUTHORIZATION_FAILED, SYNC_DEADLINE)


def produce(config: dict[str, Any], topic: str, value: bytes = b"event", **extra: Any) -> KafkaError | None:
    producer = Producer(dict(config, **extra))
    delivered: list[Any] = []
    producer.produce(topic, key=b"k", value=value, on_delivery=lambda err, msg: delivered.append(err))
    producer.flush(30)
    assert delivered, f"no delivery report for {topic} within 30 s"
    return delivered[0]


def consume_one(config: dict[str, Any], topic: str, group: str, timeout: float = 30.0) -> Any:
    """The first message or the first error the consumer reports, then commits synchronously."""
    consumer = Consumer(dict(config, **{"group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": False}))
    try:
        consumer.subscribe([topic])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None:
                continue
            if message.error() is not None:
                return message.error()
            consumer.commit(message=message, asynchronous=False)
            committed = consumer.committed([TopicPartition(topic, message.partition())], timeout=10)
            assert committed[0].offset == message.offset() + 1
            return message
        return None
    finally:
        consumer.close()


def test_a_hub_created_updated_deleted_through_arm_is_a_topic_within_2_s(namespace: Namespace) -> None:
    started = time.monotonic()
    namespace.hub("orders", partitions=3, policy="Delete", hours=48)
    wait_for(lambda: topics(namespace.operator).get("orders") == 3, SYNC_DEADLINE, "topic orders with 3 partitions")
    print(f"hub → topic in {time.monotonic() - started:.2f} s")
    configs = topic_configs(namespace.operator, "orders")
    assert (configs["cleanup.policy"], configs["retention.ms"]) == ("delete", str(48 * 3600 * 1000))

    namespace.hub("orders", partitions=3, policy="Delete", hours=72)
    wait_for(lambda: topic_configs(namespace.operator, "orders")["retention.ms"] == str(72 * 3600 * 1000), SYNC_DEADLINE,
             "retention.ms follows the hub's update")

    namespace.hub("connect-configs", partitions=1, policy="Compact", hours=None)
    wait_for(lambda: "connect-configs" in topics(namespace.operator), SYNC_DEADLINE, "compacted hub as a topic")
    compacted = topic_configs(namespace.operator, "connect-configs")
    assert (compacted["cleanup.policy"], compacted["retention.ms"]) == ("compact", "-1")

    namespace.arm.event_hubs.delete(namespace.group, namespace.name, "orders")
    wait_for(lambda: "orders" not in topics(namespace.operator), SYNC_DEADLINE, "topic deleted with its hub")


def test_deleting_the_namespace_deletes_its_cluster_and_its_data(namespace_factory: Callable[..., Namespace]) -> None:
    first = namespace_factory()
    first.hub("first")
    first.hub("second")
    wait_for(lambda: {"first", "second"} <= set(topics(first.operator)), SYNC_DEADLINE, "both hubs as topics")
    send = first.config(first.rule("sender", "Send"))
    wait_for(lambda: produce(send, "first") is None, 10, "a record on topic first")
    first.delete()
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo(first.bootstrap.split(":")[0], 9093)
    # The same name again is a new, empty cluster: nothing of the old one's topics or records is left.
    again = namespace_factory(name=first.name)
    assert again.bootstrap == first.bootstrap
    assert not {"first", "second"} & set(topics(again.operator))
    again.hub("first")
    wait_for(lambda: "first" in topics(again.operator), SYNC_DEADLINE, "topic first in the new cluster")
    low, high = Consumer(again.config(again.kafka_env["KAFKA_TESTBED_CONNECTION_STRING"], **{"group.id": "probe"})
                         ).get_watermark_offsets(TopicPartition("first", 0), timeout=10)
    assert (low, high) == (0, 0), "the new namespace's topic holds the deleted namespace's records"


def test_manage_create_topics_is_an_event_hub_and_delete_topics_deletes_it(namespace: Namespace, double: ArmDouble) -> None:
    manage = AdminClient(namespace.config(namespace.rule("RootManageSharedAccessKey")))
    new = NewTopic("from-kafka", 3, 1, config={"cleanup.policy": "compact"})
    assert once_authorized(lambda: kafka_error(manage.create_topics([new], request_timeout=15)[new.topic])) is None
    hub = namespace.arm.event_hubs.get(namespace.group, namespace.name, "from-kafka")
    assert (hub.partition_count, hub.retention_description.cleanup_policy) == (3, "Compact")
    assert "from-kafka" in {h["name"] for h in double.namespace(namespace.name)["eventhubs"]}
    assert topics(namespace.operator)["from-kafka"] == 3

    deleted = once_authorized(lambda: kafka_error(manage.delete_topics(["from-kafka"], request_timeout=15)[
        "from-kafka"]))
    assert deleted is None
    wait_for(lambda: "from-kafka" not in namespace.hub_names(), SYNC_DEADLINE, "hub deleted with its topic")
    time.sleep(1)
    assert "from-kafka" not in topics(namespace.operator), "the sync re-created a topic deleted through Kafka"


def test_create_topics_past_the_tier_limits_is_refused_naming_the_limit(namespace_factory: Callable[..., Namespace]) -> None:
    namespace = namespace_factory()
    for index in range(9):
        namespace.hub(f"hub-{index}", partitions=1)
    manage = AdminClient(namespace.config(namespace.rule("RootManageSharedAccessKey")))

    too_wide = once_authorized(lambda: kafka_error(manage.create_topics([NewTopic("wide", 33, 1)],
                                                                        request_timeout=15)["wide"]))
    assert too_wide is not None and too_wide.code() == KafkaError.POLICY_VIOLATION
    assert "It must be between 1 and 32" in too_wide.str()
    too_long = kafka_error(manage.create_topics([NewTopic("long", 1, 1, config={"retention.ms": str(8 * 24 * 3600 * 1000)})],
                                                request_timeout=15)["long"])
    assert too_long is not None and "can't exceed 7 day(s)" in too_long.str()

    assert kafka_error(manage.create_topics([NewTopic("tenth", 1, 1)], request_timeout=15)["tenth"]) is None
    eleventh = kafka_error(manage.create_topics([NewTopic("eleventh", 1, 1)], request_timeout=15)["eleventh"])
    assert eleventh is not None and eleventh.code() == KafkaError.POLICY_VIOLATION
    assert "Actual: 10, Max allowed: 10" in eleventh.str()
    assert len(namespace.hub_names()) == 10
    assert not {"wide", "long", "eleventh"} & set(topics(namespace.operator))

    wait_for(lambda: "tenth" in topics(namespace.operator), SYNC_DEADLINE, "tenth topic")
    resource = ConfigResource("TOPIC", "tenth", incremental_configs=[
        ConfigEntry("retention.ms", str(8 * 24 * 3600 * 1000), incremental_operation=AlterConfigOpType.SET)])
    refused = once_authorized(lambda: kafka_error(manage.incremental_alter_configs([resource], request_timeout=15)[resource]))
    assert refused is not None and refused.code() == KafkaError.POLICY_VIOLATION and "can't exceed 7 day(s)" in refused.str()
    resource = ConfigResource("TOPIC", "tenth", incremental_configs=[
        ConfigEntry("retention.ms", str(48 * 3600 * 1000), incremental_operation=AlterConfigOpType.SET)])
    assert kafka_error(manage.incremental_alter_configs([resource], request_timeout=15)[resource]) is None
    hub = namespace.arm.event_hubs.get(namespace.group, namespace.name, "tenth")
    assert hub.retention_description.retention_time_in_hours == 48


def test_nothing_is_auto_created_without_manage(namespace: Namespace) -> None:
    config = namespace.config(namespace.rule("app", "Listen", "Send"))
    error = produce(config, "not-a-hub", **{"message.timeout.ms": 5000})
    assert error is not None and error.code() in (KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError.TOPIC_AUTHORIZATION_FAILED,
                                                  KafkaError._MSG_TIMED_OUT, KafkaError._UNKNOWN_TOPIC)
    failure = consume_one(config, "not-a-hub", "probe", timeout=10)
    assert failure is None or failure.code() in (KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError.TOPIC_AUTHORIZATION_FAILED,
                                                 KafkaError.GROUP_AUTHORIZATION_FAILED)
    assert "not-a-hub" not in topics(namespace.operator)
    assert "not-a-hub" not in namespace.hub_names()


def test_send_listen_manage_rights_are_the_acls(namespace: Namespace) -> None:
    namespace.hub("events")
    send = namespace.config(namespace.rule("sender", "Send"))
    listen = namespace.config(namespace.rule("listener", "Listen"))
    manage = namespace.config(namespace.rule("RootManageSharedAccessKey"))
    wait_for(lambda: produce(send, "events", **{"enable.idempotence": True}) is None, 10, "idempotent produce with Send")

    message = consume_one(listen, "events", "listeners")
    assert message is not None and message.error() is None and message.value() == b"event"

    denied = produce(listen, "events", **{"message.timeout.ms": 5000})
    assert denied is not None and denied.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED
    denied = consume_one(send, "events", "senders", timeout=15)
    assert denied is not None and denied.code() in (KafkaError.TOPIC_AUTHORIZATION_FAILED, KafkaError.GROUP_AUTHORIZATION_FAILED)

    for rule in (send, listen):
        admin = AdminClient(rule)
        refused = kafka_error(admin.create_topics([NewTopic("by-a-client", 1, 1)], request_timeout=15)[
            "by-a-client"])
        assert refused is not None and refused.code() in (KafkaError.TOPIC_AUTHORIZATION_FAILED,
                                                          KafkaError.CLUSTER_AUTHORIZATION_FAILED)
        resource = ConfigResource("TOPIC", "events")
        assert kafka_error(admin.describe_configs([resource], request_timeout=15)[resource]) is not None
    resource = ConfigResource("TOPIC", "events")
    admin = AdminClient(manage)
    assert kafka_error(admin.describe_configs([resource], request_timeout=15)[resource]) is None
    assert "by-a-client" not in namespace.hub_names()


def test_regenerated_key_and_changed_rights_hold_on_the_next_connection(namespace: Namespace) -> None:
    namespace.hub("rotation-events")
    old = namespace.rule("rotating", "Send")
    wait_for(lambda: produce(namespace.config(old), "rotation-events") is None, 10, "produce with the Send rule")
    namespace.arm.namespaces.regenerate_keys(namespace.group, namespace.name, "rotating", RegenerateAccessKeyParameters(key_type="PrimaryKey"))
    assert authentication_refused(namespace.config(old)), "a regenerated key still logs in"

    current = namespace.arm.namespaces.list_keys(namespace.group, namespace.name, "rotating").primary_connection_string
    assert produce(namespace.config(current), "rotation-events") is None
    namespace.rule("rotating", "Listen")
    wait_for(lambda: produce(namespace.config(current), "rotation-events", **{"message.timeout.ms": 5000}) is not None, 10,
             "produce refused once the rule lost Send")


CONNECT_TOPICS = ("connect-configs", "connect-offsets", "connect-status")


def test_two_namespaces_hold_the_same_topic_names_and_never_see_each_other(
        namespace_factory: Callable[..., Namespace]) -> None:
    mine, theirs = namespace_factory(), namespace_factory()
    for namespace in (mine, theirs):
        for name in CONNECT_TOPICS:
            namespace.hub(name, partitions=1, policy="Compact", hours=None)
        namespace.hub("orders")
    assert mine.bootstrap != theirs.bootstrap
    for namespace in (mine, theirs):
        wait_for(lambda n=namespace: {*CONNECT_TOPICS, "orders"} <= set(topics(n.operator)), SYNC_DEADLINE,
                 f"Connect's topics and orders in {namespace.name}")
    my_send, their_listen = mine.config(mine.rule("app", "Send")), theirs.config(theirs.rule("reader", "Listen"))
    wait_for(lambda: produce(my_send, "orders", value=b"mine") is None, 10, "produce to my orders")
    # Their orders is another topic of the same name, in another cluster: my record is not there.
    low, high = Consumer(theirs.config(theirs.kafka_env["KAFKA_TESTBED_CONNECTION_STRING"], **{"group.id": "probe"})
                         ).get_watermark_offsets(TopicPartition("orders", 0), timeout=10)
    assert high == 0, "a record produced to one namespace's orders landed in the other's"
    assert consume_one(their_listen, "orders", "readers", timeout=5) is None

    # My connection string on their endpoint: refused at login, as an Event Hubs endpoint takes only its own.
    my_manage = mine.rule("RootManageSharedAccessKey")
    assert authentication_refused(theirs.config(my_manage)), "one namespace's connection string logs in to another"
    # Still mine works on mine, and their topics are nowhere in my cluster's metadata.
    admin = AdminClient(mine.config(my_manage))
    assert once_authorized(lambda: kafka_error(admin.delete_topics(["their-only"], request_timeout=15)["their-only"])) is not None
    theirs.hub("their-only")
    wait_for(lambda: "their-only" in topics(theirs.operator), SYNC_DEADLINE, "their-only in their cluster")
    assert "their-only" not in topics(admin) and "their-only" not in topics(mine.operator)
    assert "their-only" not in mine.hub_names()


def test_records_over_1_mb_are_refused(namespace: Namespace) -> None:
    namespace.hub("big")
    config = namespace.config(namespace.rule("sender", "Send"))
    wait_for(lambda: produce(config, "big") is None, 10, "produce a small record")
    oversized = {"message.max.bytes": 4 * 1024 * 1024, "compression.type": "none"}
    error = produce(config, "big", value=b"x" * (1024 * 1024 + 1024), **oversized)
    assert error is not None and error.code() == KafkaError.MSG_SIZE_TOO_LARGE


def test_premium_partition_growth_through_arm_grows_the_topic(
        namespace_factory: Callable[..., Namespace]) -> None:
    premium = namespace_factory("Premium")
    premium.hub("growing", partitions=2)
    wait_for(lambda: topics(premium.operator).get("growing") == 2, SYNC_DEADLINE, "topic with 2 partitions")
    premium.hub("growing", partitions=4)
    wait_for(lambda: topics(premium.operator).get("growing") == 4, SYNC_DEADLINE, "topic grown to 4 partitions")
