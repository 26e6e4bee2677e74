# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is **PRIVATE** to the collection. It can change at any time.
"""The Kafka client settings of the namespace's login, rendered once for every client that needs them.

The workers' own clients (the worker's group member and its producer., consumer. and admin. prefixes) and the
clients Debezium builds itself, which inherit nothing from the worker: a Kafka schema history
(schema.history.internal.producer. / .consumer.) and a Kafka signal channel (signal.consumer.). Each gets the same
security protocol, SASL mechanism, JAAS line (for connectors a config-provider placeholder, never the secret),
OAUTHBEARER handler settings and the client settings Microsoft recommends for Event Hubs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Dict, List, Optional, Sequence, Tuple

# Microsoft's recommended client settings for Event Hubs (Azure drops idle connections after 240 s; FACTS.md), by the
# kind of client: every client, producers, group members.
EVENTHUBS_COMMON = {"metadata.max.age.ms": 180000, "connections.max.idle.ms": 180000, "request.timeout.ms": 60000}
EVENTHUBS_BY_KIND = {
    "producer": {"max.request.size": 1000000},
    "consumer": {"session.timeout.ms": 30000},
    "member": {"session.timeout.ms": 30000},
    "admin": {},
}
# The login's settings in eventhub_kafka_connection (the eventhub role's output) -> the Kafka property
OAUTHBEARER_SETTINGS = (
    ("sasl_login_callback_handler_class", "sasl.login.callback.handler.class"),
    ("sasl_oauthbearer_token_endpoint_url", "sasl.oauthbearer.token.endpoint.url"),
    ("sasl_oauthbearer_assertion_file", "sasl.oauthbearer.assertion.file"),
)
SASL_PROTOCOLS = ("SASL_SSL", "SASL_PLAINTEXT")
JAAS_KEY = "sasl.jaas.config"

# The worker's clients: the worker itself is a group member (session.timeout.ms), then its three prefixes.
WORKER_CLIENTS: Tuple[Tuple[str, str], ...] = (("", "member"), ("producer.", "producer"), ("consumer.", "consumer"),
                                               ("admin.", "admin"))
# Debezium's own clients: (channel, bootstrap servers property, ((prefix, kind), ...))
SCHEMA_HISTORY_CLIENTS = ("schema.history.internal.kafka.bootstrap.servers",
                          (("schema.history.internal.producer.", "producer"),
                           ("schema.history.internal.consumer.", "consumer")))
SIGNAL_CLIENTS = ("signal.kafka.bootstrap.servers", (("signal.consumer.", "consumer"),))


def client_properties(prefix: str, kind: str, login: Mapping[str, Any], eventhubs_settings: bool = True) -> Dict[str, Any]:
    """One client's login (and Event Hubs settings) under prefix; the JAAS line as the login holds it."""
    protocol = login.get("security_protocol") or "SASL_SSL"
    props: Dict[str, Any] = {prefix + "security.protocol": protocol}
    if protocol in SASL_PROTOCOLS:
        mechanism = login.get("sasl_mechanism") or "PLAIN"
        props[prefix + "sasl.mechanism"] = mechanism
        if login.get("sasl_jaas_config"):
            props[prefix + JAAS_KEY] = login["sasl_jaas_config"]
        if mechanism == "OAUTHBEARER":
            for option, key in OAUTHBEARER_SETTINGS:
                if login.get(option):
                    props[prefix + key] = login[option]
    if eventhubs_settings:
        for key, value in dict(EVENTHUBS_COMMON, **EVENTHUBS_BY_KIND[kind]).items():
            props[prefix + key] = value
    return props


def clients_properties(clients: Sequence[Tuple[str, str]], login: Mapping[str, Any],
                       eventhubs_settings: bool = True) -> Dict[str, Any]:
    props: Dict[str, Any] = {}
    for prefix, kind in clients:
        props.update(client_properties(prefix, kind, login, eventhubs_settings))
    return props


def worker_client_properties(login: Mapping[str, Any], eventhubs_settings: bool = True) -> Dict[str, Any]:
    """The worker's own clients: plain, producer., consumer. and admin. (the JAAS lines included, as given)."""
    return clients_properties(WORKER_CLIENTS, login, eventhubs_settings)


def debezium_client_properties(config: Mapping[str, Any], login: Mapping[str, Any], schema_history: bool,
                               signal: bool) -> Dict[str, Any]:
    """What a Debezium connector's own Kafka clients need, without what config already sets (the user's wins).

    login is the connectors' copy of the namespace's login: bootstrap_servers, security_protocol, sasl_mechanism, a
    sasl_jaas_config placeholder, the OAUTHBEARER settings, and eventhubs_client_settings (default true).
    """
    if not login or not login.get("bootstrap_servers"):
        return {}
    channels: List[Tuple[str, Tuple[Tuple[str, str], ...]]] = []
    if schema_history:
        channels.append(SCHEMA_HISTORY_CLIENTS)
    if signal:
        channels.append(SIGNAL_CLIENTS)
    eventhubs = login.get("eventhubs_client_settings", True) not in (False, "false", "False")
    added: Dict[str, Any] = {}
    for bootstrap_key, clients in channels:
        added[bootstrap_key] = login["bootstrap_servers"]
        added.update(clients_properties(clients, login, eventhubs))
    return dict((key, value) for key, value in added.items() if config.get(key) is None)


def connector_login(connection: Mapping[str, Any], placeholder: Optional[str],
                    eventhubs_settings: bool = True) -> Dict[str, Any]:
    """The namespace's login for connectors: the connection's non-secret settings, the JAAS line as placeholder."""
    login = dict((key, connection[key]) for key in
                 ("bootstrap_servers", "security_protocol", "sasl_mechanism") + tuple(o for o, _k in OAUTHBEARER_SETTINGS)
                 if connection.get(key))
    if login.get("security_protocol", "SASL_SSL") in SASL_PROTOCOLS and placeholder:
        login["sasl_jaas_config"] = placeholder
    login["eventhubs_client_settings"] = bool(eventhubs_settings)
    return login
