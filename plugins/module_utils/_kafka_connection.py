# SPDX-License-Identifier: GPL-3.0-or-later
"""The Kafka connection settings of an Event Hubs namespace, built once for SAS and Entra ID, real and predicted.

Every host comes from the endpoint Azure answers for the namespace (its ``serviceBusEndpoint``,
``https://<ns>.servicebus.windows.net:443/``, or a connection string's ``Endpoint=sb://<ns>.../``), so a sovereign
cloud's suffix (``servicebus.chinacloudapi.cn``, ``servicebus.usgovcloudapi.net``) is never guessed. Only a
prediction for a namespace that does not exist yet (check mode) builds that endpoint, from the cloud's suffix.
"""

from __future__ import annotations

from typing import Dict, Optional
from urllib.parse import urlparse

# Event Hubs' Kafka endpoint (Microsoft's Kafka Connect tutorial).
KAFKA_PORT = 9093
SECURITY_PROTOCOL = "SASL_SSL"
# Event Hubs takes the literal user name $ConnectionString and the connection string as password.
EVENTHUB_KAFKA_USERNAME = "$ConnectionString"

# The namespace host suffix of each named cloud (the clouds _azure.KNOWN_CLOUDS resolves).
SERVICE_BUS_SUFFIXES: Dict[str, str] = {
    "AzureCloud": "servicebus.windows.net",
    "AzureChinaCloud": "servicebus.chinacloudapi.cn",
    "AzureUSGovernment": "servicebus.usgovcloudapi.net",
}
PUBLIC_SERVICE_BUS_SUFFIX = SERVICE_BUS_SUFFIXES["AzureCloud"]


def namespace_host(endpoint: str) -> str:
    """The host of a namespace endpoint (https://, sb:// or a bare host), lower case as Azure's connection strings
    write it."""
    if not isinstance(endpoint, str) or not endpoint.strip():
        raise ValueError("the namespace endpoint is empty")
    text = endpoint.strip()
    host = urlparse(text if "://" in text else "//" + text).hostname
    if not host or "." not in host:
        raise ValueError("%r is not a namespace endpoint such as https://<namespace>.servicebus.windows.net:443/"
                         % endpoint)
    return host.lower()


def bootstrap_servers(endpoint: str) -> str:
    """<host>:9093 for the namespace endpoint Azure answered."""
    return "%s:%d" % (namespace_host(endpoint), KAFKA_PORT)


def service_bus_endpoint(namespace: str, suffix: str) -> str:
    """The serviceBusEndpoint Azure gives a namespace in a cloud with this host suffix (a prediction)."""
    return "https://%s.%s:443/" % (namespace.lower(), suffix.strip(".").lower())


def given_endpoint(value: object) -> str:
    """A filter's input: the namespace endpoint Azure answered, or a bare namespace name in the public cloud (the
    input of the filters before they took the endpoint)."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected the namespace's service_bus_endpoint, got %r" % (value,))
    endpoint = value if "." in value or "://" in value else service_bus_endpoint(value, PUBLIC_SERVICE_BUS_SUFFIX)
    namespace_host(endpoint)
    return endpoint


def connection_string_endpoint(connection_string: str) -> str:
    """The Endpoint=sb://.../ part of a SAS connection string."""
    for item in connection_string.split(";"):
        key, sep, value = item.partition("=")
        if sep and key.strip() == "Endpoint" and value.strip():
            return value.strip()
    raise ValueError("the connection string has no Endpoint")


def jaas_quote(value: str) -> str:
    """A JAAS option value in double quotes; Kafka's JAAS parser reads backslash escapes inside them."""
    return '"%s"' % value.replace("\\", "\\\\").replace('"', '\\"')


def plain_jaas_config(username: str, password: str) -> str:
    """The SASL PLAIN login line (sasl.jaas.config), each value escaped once."""
    return ("org.apache.kafka.common.security.plain.PlainLoginModule required username=%s password=%s;"
            % (jaas_quote(username), jaas_quote(password)))


def kafka_connection(endpoint: str, sasl_mechanism: str, sasl_jaas_config: str,
                     extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """eventhub_kafka_connection: the settings every Event Hubs Kafka client needs, then the mechanism's own."""
    settings = {
        "bootstrap_servers": bootstrap_servers(endpoint),
        "security_protocol": SECURITY_PROTOCOL,
        "sasl_mechanism": sasl_mechanism,
        "sasl_jaas_config": sasl_jaas_config,
    }
    settings.update(extra or {})
    return settings


def sas_kafka_connection(endpoint: str, connection_string: str) -> Dict[str, str]:
    """SASL PLAIN with a namespace-level connection string as password (sasl_jaas_config holds it)."""
    return kafka_connection(endpoint, "PLAIN", plain_jaas_config(EVENTHUB_KAFKA_USERNAME, connection_string))


def oauthbearer_scope(endpoint: str) -> str:
    """The scope a Kafka client asks Entra ID for: the namespace's host as resource (Event Hubs for Kafka docs)."""
    return "https://%s/.default" % namespace_host(endpoint)
