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

# user:password@ in a URL (jdbc:postgresql://u:p@host/db), and password=... inside a URL's query
URL_USERINFO_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^/:@\s]*:)(?P<secret>[^@/\s]+)(?=@)", re.IGNORECASE)
URL_QUERY_PASSWORD = re.compile(r"(?P<head>[?&;](?:password|pwd|passwd|secret|token|key)=)(?P<secret>[^&;\s]+)",
                                re.IGNORECASE)


def is_secret_key(key: str) -> bool:
    """True when the value of the property ``key`` is a credential."""
    return bool(SECRET_KEY_PATTERN.search(key))


def secret_keys(mapping: Mapping[str, Any]) -> List[str]:
    """The keys of mapping whose values are credentials, sorted."""
    return sorted(str(key) for key in mapping if is_secret_key(str(key)))


def secrets_in_value(value: str) -> List[str]:
    """Credentials embedded in a non-secret value: a URL's user:password@ or its ?password=..."""
    found = [m.group("secret") for m in URL_USERINFO_PASSWORD.finditer(value)]
    found.extend(m.group("secret") for m in URL_QUERY_PASSWORD.finditer(value))
    return found


def mask_value(value: str, replacement: str) -> str:
    """value with every embedded credential replaced."""
    value = URL_USERINFO_PASSWORD.sub(lambda m: m.group("head") + replacement, value)
    return URL_QUERY_PASSWORD.sub(lambda m: m.group("head") + replacement, value)
