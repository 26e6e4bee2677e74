# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is **PRIVATE** to the collection. It can change at any time.
"""The one list that decides which Kafka and Connect settings are secret.

Connector masking and diffs (connect_connector, connect_connector_info) and the kafka_connect
role's ConfigMap guard (through the ``secret_keys`` filter) all ask this module.
"""

from __future__ import annotations

import re
from typing import Any, List, Mapping

# Fragments of a property name whose value is a credential, matched anywhere in the name:
# database.password, sasl.jaas.config, ssl.keystore.key (a PEM private key), *.basic.auth.user.info
# (user:password), aws.secret.access.key, azure.account.key, *.connection.string, *.token, ...
SECRET_KEY_FRAGMENTS = (
    r"password",
    r"passwd",
    r"passphrase",
    r"secret",
    r"jaas",
    r"token",
    r"credential",
    r"api[._-]?key",
    r"private[._-]?key",
    r"account[._-]?key",
    r"access[._-]?key",
    r"connection[._-]?string",
    r"user[._-]?info",
    r"keystore[._-]key",
    r"sas[._-]?key",
)
SECRET_KEY_PATTERN = re.compile("|".join(SECRET_KEY_FRAGMENTS), re.IGNORECASE)
# Names a fragment matches but whose value is a public address, not a credential: the OAUTHBEARER token and JWKS
# endpoints (KIP-768), which every client of an Entra login carries, connectors' own Kafka clients too.
NOT_SECRET_KEY_SUFFIXES = ("sasl.oauthbearer.token.endpoint.url", "sasl.oauthbearer.jwks.endpoint.url")

# user:password@ in a URL (jdbc:postgresql://u:p@host/db); user/password@ after a scheme, as Oracle's
# thin and OCI URLs carry it (jdbc:oracle:thin:scott/tiger@host:1521/orcl); password=... inside a query.
# A Kerberos principal (kafka/host@REALM) has no scheme before it, so it is no user/password@.
URL_USERINFO_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^/:@\s]*:)(?P<secret>[^@/\s]+)(?=@)", re.IGNORECASE)
URL_SLASH_PASSWORD = re.compile(r"(?P<head>(?<![\w/.:@-])[a-z][a-z0-9+.-]*:(?:[a-z][a-z0-9+.-]*:)*[^\s/:@;?&=]+/)(?P<secret>[^@/\s]+)(?=@)",
                                re.IGNORECASE)
URL_QUERY_PASSWORD = re.compile(r"(?P<head>[?&;](?:password|pwd|passwd|secret|token|key)=)(?P<secret>[^&;\s]+)",
                                re.IGNORECASE)
URL_SECRET_PATTERNS = (URL_USERINFO_PASSWORD, URL_SLASH_PASSWORD, URL_QUERY_PASSWORD)


def is_secret_key(key: str) -> bool:
    """True when the value of the property ``key`` is a credential."""
    return bool(SECRET_KEY_PATTERN.search(key)) and not key.lower().endswith(NOT_SECRET_KEY_SUFFIXES)


def secret_keys(mapping: Mapping[str, Any]) -> List[str]:
    """The keys of mapping whose values are credentials, sorted."""
    return sorted(str(key) for key in mapping if is_secret_key(str(key)))


def secrets_in_value(value: str) -> List[str]:
    """Credentials embedded in a non-secret value: a URL's user:password@, user/password@ or ?password=..."""
    return [match.group("secret") for pattern in URL_SECRET_PATTERNS for match in pattern.finditer(value)]


def mask_value(value: str, replacement: str) -> str:
    """value with every embedded credential replaced."""
    for pattern in URL_SECRET_PATTERNS:
        value = pattern.sub(lambda m: m.group("head") + replacement, value)
    return value
