# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is **PRIVATE** to the collection. It can change at any time.
"""The Kafka release each setting the collection renders needs, and the check against the workers' Kafka.

A worker ignores a property its Kafka does not know (it only logs it as unused), so a setting that needs a
newer Kafka than the image carries would silently not hold: an allowed.paths that confines nothing, an
assertion file never read. The kafka_connect role checks its rendered worker properties against
kafka_connect_kafka_version; the connector modules check what they send against the version GET / answers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Callable, List, NamedTuple, Optional, Tuple

VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")
# Kafka's own release strings may carry a suffix (4.3.0-SNAPSHOT, 3.9.0-cp1); the numbers come first.
_LEADING_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")
VERSION_VARIABLE = "kafka_connect_kafka_version"


class Requirement(NamedTuple):
    """A property (matched on key and value) and the first Kafka release that reads it."""

    what: str
    minimum: Tuple[int, int]
    source: str
    matches: Callable[[str, str], bool]


def parse_version(text: Any) -> Optional[Tuple[int, int, int]]:
    """(major, minor, patch) of "X.Y" or "X.Y.Z", or None."""
    match = VERSION.fullmatch(text) if isinstance(text, str) else None
    if not match:
        return None
    return int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)


def leading_version(text: Any) -> Optional[Tuple[int, int, int]]:
    """The version at the start of a release string as GET / answers it ("4.3.0", "3.9.0-cp1"), or None."""
    match = _LEADING_VERSION.match(text) if isinstance(text, str) else None
    if not match:
        return None
    return int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)


def _key(name: str) -> Callable[[str, str], bool]:
    return lambda key, value: key == name


def _suffix(name: str) -> Callable[[str, str], bool]:
    return lambda key, value: key == name or key.endswith("." + name)


def _provider_class(class_name: str) -> Callable[[str, str], bool]:
    return lambda key, value: key.startswith("config.providers.") and key.endswith(".class") and value == class_name


def _provider_param(param: str) -> Callable[[str, str], bool]:
    return lambda key, value: key.startswith("config.providers.") and key.endswith(".param." + param)


def _prefix(prefix: str) -> Callable[[str, str], bool]:
    return lambda key, value: key.startswith(prefix) or ("." + prefix) in key


# Worker properties the role renders (or a user may add) that an older Kafka would not read; Kafka's release notes
# and KIPs are the source of each line.
WORKER_REQUIREMENTS: Tuple[Requirement, ...] = (
    Requirement("config.providers.*.param.allowed.paths", (3, 8), "KIP-993", _provider_param("allowed.paths")),
    Requirement("plugin.discovery", (3, 6), "KIP-898", _key("plugin.discovery")),
    Requirement("org.apache.kafka.common.config.provider.EnvVarConfigProvider", (3, 5), "KIP-887",
                _provider_class("org.apache.kafka.common.config.provider.EnvVarConfigProvider")),
    Requirement("org.apache.kafka.common.config.provider.DirectoryConfigProvider", (2, 7), "KIP-632",
                _provider_class("org.apache.kafka.common.config.provider.DirectoryConfigProvider")),
    Requirement("exactly.once.source.support", (3, 3), "KIP-618", _key("exactly.once.source.support")),
    Requirement("sasl.oauthbearer.assertion.*", (4, 1), "KIP-1139", _prefix("sasl.oauthbearer.assertion.")),
    Requirement("sasl.oauthbearer.token.endpoint.url", (3, 1), "KIP-768", _suffix("sasl.oauthbearer.token.endpoint.url")),
)
# KIP-980: POST /connectors with initial_state (a connector created paused or stopped).
INITIAL_STATE_MINIMUM = (3, 7)


def _text(version: Tuple[int, ...]) -> str:
    return ".".join(str(part) for part in version)


def worker_version_errors(properties: Mapping, kafka_version: Any, variable: str = VERSION_VARIABLE) -> List[str]:
    """One message per rendered property the workers' Kafka (kafka_version) would not read; [] when all hold."""
    have = parse_version(kafka_version)
    if have is None:
        return []  # the input rule of the variable names a bad version
    errors = []
    for requirement in WORKER_REQUIREMENTS:
        keys = sorted(str(key) for key, value in properties.items()
                      if requirement.matches(str(key), "" if value is None else str(value)))
        if keys and have[:2] < requirement.minimum:
            message = "%s (%s) needs Kafka %s or later, but %s=%s; set %s to the image's Kafka version if it is newer, " \
                      "or leave out %s."
            errors.append(message % (requirement.what, requirement.source, _text(requirement.minimum), variable,
                                     kafka_version, variable, ", ".join(keys)))
    return errors


def initial_state_error(name: str, initial_state: str, worker_version: Any) -> Optional[str]:
    """Why connector name cannot be created in initial_state on a worker of worker_version (GET /), or None."""
    have = leading_version(worker_version)
    if have is None or have[:2] >= INITIAL_STATE_MINIMUM:
        return None
    return ("connector {0}: creating it {1} needs initial_state on POST /connectors (KIP-980, Kafka {2} or later), but "
            "the workers run Kafka {3}; create it running, or upgrade the workers' image".format(
                name, initial_state, _text(INITIAL_STATE_MINIMUM), worker_version))
