# SPDX-License-Identifier: GPL-3.0-or-later
"""The testbed's Kafka broker authenticates like Azure Event Hubs.

Runs against a broker brought up by `python tests/testbed/kafka.py up`; skipped only when
`$TESTBED_STATE/kafka.env` is absent.
"""
from __future__ import annotations

import logging
import os
import time
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest

confluent_kafka = pytest.importorskip("confluent_kafka")
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
USERNAME = "$ConnectionString"
PODS_BOOTSTRAP = "198.19.255.1:9093"
ADVERTISED_PODS = "testbed.servicebus.windows.net:9093"
QUIET = logging.getLogger("test_kafka.librdkafka")
QUIET.addHandler(logging.NullHandler())
QUIET.propagate = False


def env_file() -> Path:
    state = Path(os.environ.get("TESTBED_STATE") or "tests/output/testbed")
    return (state if state.is_absolute() else REPO_ROOT / state) / "kafka.env"


@pytest.fixture(scope="module")
def kafka_env() -> dict[str, str]:
    path = env_file()
    if not path.is_file():
        pytest.skip(f"no Kafka testbed: {path} is absent (run `python tests/testbed/kafka.py up`)")
    pairs = (line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines() if "=" in line)
    return dict(pairs)


def client_config(kafka_env: dict[str, str], username: str, password: str, bootstrap: str | None = None,
                  **extra: Any) -> dict[str, Any]:
    config = {
        "bootstrap.servers": bootstrap or kafka_env["KAFKA_BOOTSTRAP_LOCAL"],
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "PLAIN",
        "sasl.username": username,
        "sasl.password": password,
        "ssl.ca.location": kafka_env["KAFKA_CA_FILE"],
        "logger": QUIET,
    }
    config.update(extra)
    return config


def fetch_metadata(config: dict[str, Any], timeout: float = 30.0) -> tuple[Any | None, list[Any]]:
    """Cluster metadata, or None and the client's errors once it reports a failure."""
    errors: list[Any] = []
    admin = AdminClient(dict(config, error_cb=errors.append))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return admin.list_topics(timeout=3), errors
        except KafkaException:
            admin.poll(0.2)
            if any(error.code() in (KafkaError._AUTHENTICATION, KafkaError._SSL) for error in errors):
                return None, errors
    return None, errors


def error_codes(errors: list[Any]) -> set[int]:
    return {error.code() for error in errors}


def test_accepts_the_testbed_connection_string(kafka_env: dict[str, str]) -> None:
    metadata, errors = fetch_metadata(client_config(kafka_env, USERNAME, kafka_env["KAFKA_TESTBED_CONNECTION_STRING"]))

    assert metadata is not None, f"errors: {errors}"
    assert [f"{b.host}:{b.port}" for b in metadata.brokers.values()] == [kafka_env["KAFKA_BOOTSTRAP_LOCAL"]]


def test_rejects_a_wrong_password(kafka_env: dict[str, str]) -> None:
    wrong = kafka_env["KAFKA_TESTBED_CONNECTION_STRING"].rsplit("=", 2)[0] + "=bm90LXRoZS1rZXk="
    metadata, errors = fetch_metadata(client_config(kafka_env, USERNAME, wrong))

    assert metadata is None
    assert KafkaError._AUTHENTICATION in error_codes(errors)


def test_rejects_a_wrong_username(kafka_env: dict[str, str]) -> None:
    metadata, errors = fetch_metadata(client_config(kafka_env, "connect", kafka_env["KAFKA_TESTBED_CONNECTION_STRING"]))

    assert metadata is None
    assert KafkaError._AUTHENTICATION in error_codes(errors)


def test_speaks_tls_with_the_testbed_ca_only(kafka_env: dict[str, str]) -> None:
    # The system CAs do not know the testbed CA: the handshake fails before any SASL exchange.
    config = client_config(kafka_env, USERNAME, kafka_env["KAFKA_TESTBED_CONNECTION_STRING"])
    del config["ssl.ca.location"]
    metadata, errors = fetch_metadata(config, timeout=15)

    assert metadata is None
    assert KafkaError._SSL in error_codes(errors) or KafkaError._TRANSPORT in error_codes(errors)


def test_pods_listener_authenticates_and_advertises_an_event_hubs_name(kafka_env: dict[str, str]) -> None:
    good = client_config(kafka_env, USERNAME, kafka_env["KAFKA_TESTBED_CONNECTION_STRING"], bootstrap=PODS_BOOTSTRAP)
    metadata, errors = fetch_metadata(good)
    assert metadata is not None, f"errors: {errors}"
    assert [f"{b.host}:{b.port}" for b in metadata.brokers.values()] == [ADVERTISED_PODS]

    bad, errors = fetch_metadata(dict(good, **{"sasl.password": "Endpoint=sb://x.servicebus.windows.net/;nope"}))
    assert bad is None
    assert KafkaError._AUTHENTICATION in error_codes(errors)


@pytest.fixture
def credentials_file(kafka_env: dict[str, str]) -> Iterator[Path]:
    path = Path(kafka_env["KAFKA_CREDENTIALS_FILE"])
    original = path.read_bytes() if path.exists() else None
    yield path
    if original is None:
        path.unlink(missing_ok=True)
    else:
        replace_atomically(path, original)


def replace_atomically(path: Path, content: bytes) -> None:
    # As the ARM double does: write a temporary file and rename it over the old one.
    scratch = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    scratch.write_bytes(content)
    scratch.chmod(0o600)
    os.replace(scratch, path)


def test_follows_the_credentials_file_when_keys_change(kafka_env: dict[str, str], credentials_file: Path) -> None:
    rotated = ("Endpoint=sb://rotated.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;"
               f"SharedAccessKey={uuid.uuid4().hex}=")
    config = client_config(kafka_env, USERNAME, rotated)
    before, errors = fetch_metadata(config)
    assert before is None
    assert KafkaError._AUTHENTICATION in error_codes(errors)

    current = credentials_file.read_bytes() if credentials_file.exists() else b""
    replace_atomically(credentials_file, current + f"{rotated}\n".encode())
    after, errors = fetch_metadata(config)
    assert after is not None, f"a connection string added to the credentials file was refused: {errors}"

    replace_atomically(credentials_file, current)
    revoked, errors = fetch_metadata(config)
    assert revoked is None
    assert KafkaError._AUTHENTICATION in error_codes(errors)


def create_topic(config: dict[str, Any], topic: str) -> None:
    """Nothing is auto-created: the testbed's operator string creates a plain topic (not an event hub) first."""
    admin = AdminClient(config)
    admin.create_topics([NewTopic(topic, 1, 1)], request_timeout=30)[topic].result()


def test_produce_and_consume_round_trip(kafka_env: dict[str, str]) -> None:
    topic = f"testbed-roundtrip-{uuid.uuid4().hex[:8]}"
    password = kafka_env["KAFKA_TESTBED_CONNECTION_STRING"]
    create_topic(client_config(kafka_env, USERNAME, password), topic)
    producer = Producer(client_config(kafka_env, USERNAME, password))
    delivered: list[Any] = []
    producer.produce(topic, key=b"k", value=b"hello event hubs", on_delivery=lambda err, msg: delivered.append(err))
    producer.flush(60)
    assert delivered == [None]

    settings = {"group.id": topic, "auto.offset.reset": "earliest"}
    consumer = Consumer(client_config(kafka_env, USERNAME, password, **settings))
    try:
        consumer.subscribe([topic])
        deadline = time.monotonic() + 60
        message = None
        while message is None and time.monotonic() < deadline:
            candidate = consumer.poll(1.0)
            if candidate is not None and candidate.error() is None:
                message = candidate
        assert message is not None, "nothing consumed within 60 s"
        assert (message.key(), message.value()) == (b"k", b"hello event hubs")
    finally:
        consumer.close()


def test_producing_to_an_unknown_topic_creates_nothing(kafka_env: dict[str, str]) -> None:
    topic = f"testbed-unknown-{uuid.uuid4().hex[:8]}"
    config = client_config(kafka_env, USERNAME, kafka_env["KAFKA_TESTBED_CONNECTION_STRING"])
    producer = Producer(dict(config, **{"message.timeout.ms": 5000}))
    delivered: list[Any] = []
    producer.produce(topic, value=b"lost", on_delivery=lambda err, msg: delivered.append(err))
    producer.flush(30)
    assert delivered and delivered[0] is not None, "a record to an unknown topic was accepted"
    metadata, errors = fetch_metadata(config)
    assert metadata is not None, f"errors: {errors}"
    assert topic not in metadata.topics, "auto.create.topics.enable is not false"


def test_a_namespace_connection_string_without_acls_sees_no_topics(kafka_env: dict[str, str], credentials_file: Path) -> None:
    """The principal is the connection string's rule; a rule the ARM double never granted anything gets nothing."""
    topic = f"testbed-private-{uuid.uuid4().hex[:8]}"
    operator = client_config(kafka_env, USERNAME, kafka_env["KAFKA_TESTBED_CONNECTION_STRING"])
    create_topic(operator, topic)
    stranger = ("Endpoint=sb://stranger.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;"
                f"SharedAccessKey={uuid.uuid4().hex}=")
    current = credentials_file.read_bytes() if credentials_file.exists() else b""
    replace_atomically(credentials_file, current + f"{stranger}\n".encode())
    metadata, errors = fetch_metadata(client_config(kafka_env, USERNAME, stranger))
    assert metadata is not None, f"errors: {errors}"
    assert topic not in metadata.topics
    producer = Producer(client_config(kafka_env, USERNAME, stranger, **{"message.timeout.ms": 5000}))
    delivered: list[Any] = []
    producer.produce(topic, value=b"denied", on_delivery=lambda err, msg: delivered.append(err))
    producer.flush(30)
    assert delivered and delivered[0] is not None and delivered[0].code() == KafkaError.TOPIC_AUTHORIZATION_FAILED
