# SPDX-License-Identifier: GPL-3.0-or-later
"""The topic plan: every topic Kafka Connect and its connectors will write, known before any write.

Event Hubs refuses topic auto-creation without the Manage right and counts every topic against
the tier's budget, so the collection derives the topics from the connector configs the way
Kafka Connect and Debezium name them, and creates them as event hubs first.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Tuple

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connector_list import (
    connector_direction,
    connector_kind,
    connector_list_errors,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._eventhub_limits import (
    budget_error,
    hub_name_error,
    hub_tier_errors,
    namespace_name_error,
    namespace_tier,
    plan_topic_budget,
    rights_error,
    rule_name_error,
    tier_limits,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._eventhub_model import (
    hub_spec_from_options,
    merge_hub,
)


class ConnectTopic(NamedTuple):
    """One of Kafka Connect's internal topics (compacted, created before the workers start)."""

    key: str
    worker_setting: str
    name: str
    partitions: int


# Connect's defaults for a distributed worker, except the offsets/status partitions, which fit
# Standard's 32-partition limit; the config topic must have exactly one partition.
CONNECT_TOPICS: Tuple[ConnectTopic, ...] = (
    ConnectTopic("config", "config.storage.topic", "connect-configs", 1),
    ConnectTopic("offsets", "offset.storage.topic", "connect-offsets", 25),
    ConnectTopic("status", "status.storage.topic", "connect-status", 5),
)
CONNECT_TOMBSTONE_RETENTION_HOURS = 24

DEBEZIUM_HEARTBEAT_PREFIX = "__debezium-heartbeat"
DEBEZIUM_TRANSACTION_TOPIC = "transaction"
DEBEZIUM_DEFAULT_NAMING = "io.debezium.schema.DefaultTopicNamingStrategy"
KAFKA_SCHEMA_HISTORY = "io.debezium.storage.kafka.history.KafkaSchemaHistory"
# Debezium's Kafka signal channel reads <topic.prefix>-signal unless signal.kafka.topic names another (one partition).
KAFKA_SIGNAL_CHANNEL = "kafka"
DEBEZIUM_SIGNAL_SUFFIX = "-signal"
REGEX_ROUTER = "org.apache.kafka.connect.transforms.RegexRouter"
LOGICAL_TABLE_ROUTER = "io.debezium.transforms.ByLogicalTableRouter"
TOPIC_NAME_MATCHES = "org.apache.kafka.connect.transforms.predicates.TopicNameMatches"
# Transforms that name topics in ways a plan cannot know from the config alone.
UNPLANNABLE_TRANSFORMS = (
    "org.apache.kafka.connect.transforms.TimestampRouter",
    "io.debezium.transforms.outbox.EventRouter",
    "io.debezium.transforms.ContentBasedRouter",
)


class DebeziumSource(NamedTuple):
    """How one Debezium source connector names its data topics."""

    label: str
    include_parts: Tuple[str, ...]
    multi_database: bool
    schema_history: bool


# Keyed by the class name without package and "Connector", as Connect resolves aliases.
DEBEZIUM_SOURCES: Dict[str, DebeziumSource] = {
    "Postgres": DebeziumSource("PostgreSQL", ("schema", "table"), False, False),
    "MySql": DebeziumSource("MySQL", ("database", "table"), False, True),
    "MariaDb": DebeziumSource("MariaDB", ("database", "table"), False, True),
    "SqlServer": DebeziumSource("SQL Server", ("schema", "table"), True, True),
    "Oracle": DebeziumSource("Oracle", ("schema", "table"), False, True),
}
FILESTREAM_SOURCE = "FileStreamSource"
MIRROR_SOURCE = "MirrorSource"
MIRROR_DEFAULT_POLICY = "org.apache.kafka.connect.mirror.DefaultReplicationPolicy"
MIRROR_IDENTITY_POLICY = "org.apache.kafka.connect.mirror.IdentityReplicationPolicy"
# A topics entry of MirrorSourceConnector that names one topic: letters, digits, '_', '-', and dots (plain or \.)
_MIRROR_LITERAL = re.compile(r"[A-Za-z0-9_-]+(?:(?:\\\.|\.)[A-Za-z0-9_-]+)*")

_IDENTIFIER = re.compile(r"[A-Za-z0-9_-]+")


class PlannedTopic(NamedTuple):
    name: str
    kind: str  # data, heartbeat, transaction, schema-history, signal, dead-letter, file, listed


class ConnectorPlan(NamedTuple):
    name: str
    topics: Tuple[PlannedTopic, ...]
    errors: Tuple[str, ...]


# ---- Connect's internal topics --------------------------------------------------------------------

def connect_topic_names(names: Optional[Mapping[str, Optional[str]]] = None) -> Dict[str, str]:
    """{config, offsets, status} -> topic name, Connect's defaults filling what is unset."""
    names = names or {}
    unknown = sorted(set(names) - {topic.key for topic in CONNECT_TOPICS})
    if unknown:
        raise ValueError("unknown Connect topic keys %s; allowed: config, offsets, status" % ", ".join(unknown))
    return {topic.key: names.get(topic.key) or topic.name for topic in CONNECT_TOPICS}


def connect_hubs(names: Optional[Mapping[str, Optional[str]]] = None,
                 partitions: Optional[Mapping[str, Optional[int]]] = None,
                 tombstone_retention_hours: Optional[int] = None) -> List[Dict[str, Any]]:
    """Connect's internal topics as eventhub module entries: compacted, or Connect loses its configs."""
    resolved = connect_topic_names(names)
    partitions = partitions or {}
    tombstone = CONNECT_TOMBSTONE_RETENTION_HOURS if tombstone_retention_hours is None else tombstone_retention_hours
    hubs = []
    for topic in CONNECT_TOPICS:
        count = topic.partitions if topic.key == "config" or partitions.get(topic.key) is None \
            else partitions[topic.key]
        hubs.append({"name": resolved[topic.key], "partition_count": count, "cleanup_policy": "compact",
                     "tombstone_retention_hours": tombstone})
    return hubs


# ---- one connector ------------------------------------------------------------------------------

def _setting(config: Mapping[str, Any], key: str) -> Optional[str]:
    value = config.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(item) for item in value)
    text = str(value).strip()
    return text or None


def _split_list(value: Optional[str]) -> List[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def _literal_identifier(entry: str) -> Optional[List[str]]:
    """The parts of a table.include.list entry that names one table, or None for a real pattern."""
    parts = re.split(r"\\\.|\.", entry)
    if all(_IDENTIFIER.fullmatch(part) for part in parts):
        return parts
    return None


def _java_regex(pattern: str) -> "re.Pattern[str]":
    return re.compile(re.sub(r"\(\?<([A-Za-z][A-Za-z0-9]*)>", r"(?P<\1>", pattern))


def _java_replacement(match: "re.Match[str]", replacement: str) -> str:
    """Matcher.replaceFirst's replacement: $n and ${name} are groups, a backslash quotes the next character."""
    out = []
    index = 0
    while index < len(replacement):
        char = replacement[index]
        if char == "\\" and index + 1 < len(replacement):
            out.append(replacement[index + 1])
            index += 2
        elif char == "$" and replacement[index + 1:index + 2] == "{":
            end = replacement.index("}", index)
            out.append(match.group(replacement[index + 2:end]) or "")
            index = end + 1
        elif char == "$" and replacement[index + 1:index + 2].isdigit():
            digits = re.match(r"\d+", replacement[index + 1:]).group(0)  # type: ignore[union-attr]
            # Java takes the longest group number that exists.
            while len(digits) > 1 and int(digits) > (match.re.groups or 0):
                digits = digits[:-1]
            out.append(match.group(int(digits)) or "")
            index += 1 + len(digits)
        else:
            out.append(char)
            index += 1
    return "".join(out)


Router = Callable[[str], str]


def _routers(name: str, config: Mapping[str, Any]) -> Tuple[List[Router], List[str]]:
    """The topic renames of the connector's transform chain, in order."""
    routers: List[Router] = []
    errors: List[str] = []
    for alias in _split_list(_setting(config, "transforms")):
        prefix = "transforms.%s." % alias
        kind = _setting(config, prefix + "type") or ""
        if kind in (REGEX_ROUTER, LOGICAL_TABLE_ROUTER):
            regex_key, replacement_key = ("regex", "replacement") if kind == REGEX_ROUTER \
                else ("topic.regex", "topic.replacement")
            regex, replacement = _setting(config, prefix + regex_key), config.get(prefix + replacement_key)
            if regex is None or replacement is None:
                errors.append("connector '%s': transform '%s' (%s) needs %s%s and %s%s"
                              % (name, alias, kind.rsplit(".", 1)[-1], prefix, regex_key, prefix, replacement_key))
                continue
            try:
                pattern = _java_regex(regex)
            except re.error as exc:
                errors.append("connector '%s': %s%s '%s' is not a regular expression the plan can read (%s); "
                              "give the connector's topics: explicitly" % (name, prefix, regex_key, regex, exc))
                continue
            condition, error = _predicate(name, alias, config)
            if error:
                errors.append(error)
                continue
            routers.append(_router(pattern, str(replacement), condition))
        elif kind in UNPLANNABLE_TRANSFORMS:
            errors.append("connector '%s': transform '%s' (%s) names topics from the records, which the plan "
                          "cannot know; give the connector's topics: explicitly" % (name, alias, kind))
    return routers, errors


def _predicate(name: str, alias: str, config: Mapping[str, Any]) -> Tuple[Optional[Callable[[str], bool]], Optional[str]]:
    predicate = _setting(config, "transforms.%s.predicate" % alias)
    if predicate is None:
        return None, None
    kind = _setting(config, "predicates.%s.type" % predicate)
    pattern = _setting(config, "predicates.%s.pattern" % predicate)
    if kind != TOPIC_NAME_MATCHES or pattern is None:
        return None, ("connector '%s': transform '%s' applies under predicate '%s' (%s), which depends on the "
                      "records; give the connector's topics: explicitly" % (name, alias, predicate, kind))
    negate = _setting(config, "transforms.%s.negate" % alias) == "true"
    try:
        regex = _java_regex(pattern)
    except re.error as exc:
        return None, ("connector '%s': predicates.%s.pattern '%s' is not a regular expression the plan can read (%s)"
                      % (name, predicate, pattern, exc))
    return (lambda topic: bool(regex.fullmatch(topic)) != negate), None


def _router(pattern: "re.Pattern[str]", replacement: str, condition: Optional[Callable[[str], bool]]) -> Router:
    def route(topic: str) -> str:
        if condition is not None and not condition(topic):
            return topic
        match = pattern.fullmatch(topic)
        return _java_replacement(match, replacement) if match else topic
    return route


def _debezium_topics(name: str, config: Mapping[str, Any], source: DebeziumSource) -> Tuple[List[PlannedTopic], List[str]]:
    """Data, heartbeat, transaction and schema-history topics of a Debezium source connector."""
    errors: List[str] = []
    topics: List[PlannedTopic] = []
    prefix = _setting(config, "topic.prefix")
    if prefix is None:
        return [], ["connector '%s': config topic.prefix is required; Debezium names every topic after it" % name]
    delimiter = _setting(config, "topic.delimiter") or "."
    naming = _setting(config, "topic.naming.strategy")
    if naming not in (None, DEBEZIUM_DEFAULT_NAMING):
        errors.append("connector '%s': topic.naming.strategy %s names topics in its own way; give the connector's "
                      "topics: explicitly" % (name, naming))
    include = _split_list(_setting(config, "table.include.list"))
    if not include:
        errors.append("connector '%s': without table.include.list Debezium %s captures every table, which the plan "
                      "cannot know; list the tables in table.include.list (%s) or give topics: explicitly"
                      % (name, source.label, ".".join(source.include_parts)))
    databases = _split_list(_setting(config, "database.names")) if source.multi_database else []
    if source.multi_database and not databases:
        errors.append("connector '%s': config database.names is required; %s topics are "
                      "<topic.prefix>.<database>.<schema>.<table>" % (name, source.label))
    for entry in include:
        parts = _literal_identifier(entry)
        width = len(source.include_parts)
        if parts is None or len(parts) not in ((width, width + 1) if source.multi_database else (width,)):
            errors.append("connector '%s': table.include.list entry '%s' is not one %s table (%s) the plan can "
                          "expand; list the tables one by one or give the connector's topics: explicitly"
                          % (name, entry, source.label, ".".join(source.include_parts)))
            continue
        if source.multi_database and len(parts) == width + 1:
            qualified = [parts]
        elif source.multi_database:
            qualified = [[database] + parts for database in databases]
        else:
            qualified = [parts]
        for table in qualified:
            topics.append(PlannedTopic(delimiter.join([prefix] + table), "data"))
    try:
        heartbeat = int(_setting(config, "heartbeat.interval.ms") or 0)
    except ValueError:
        errors.append("connector '%s': heartbeat.interval.ms must be a number of milliseconds" % name)
        heartbeat = 0
    if heartbeat > 0:
        heartbeat_prefix = _setting(config, "topic.heartbeat.prefix") or DEBEZIUM_HEARTBEAT_PREFIX
        topics.append(PlannedTopic(heartbeat_prefix + delimiter + prefix, "heartbeat"))
    if _setting(config, "provide.transaction.metadata") == "true":
        topics.append(PlannedTopic(prefix + delimiter + (_setting(config, "topic.transaction")
                                                         or DEBEZIUM_TRANSACTION_TOPIC), "transaction"))
    return topics, errors


def _schema_history_topic(name: str, config: Mapping[str, Any], source: DebeziumSource) -> Tuple[List[PlannedTopic], List[str]]:
    if not source.schema_history or (_setting(config, "schema.history.internal") or KAFKA_SCHEMA_HISTORY) \
            != KAFKA_SCHEMA_HISTORY:
        return [], []
    topic = _setting(config, "schema.history.internal.kafka.topic")
    if topic is None:
        return [], ["connector '%s': config schema.history.internal.kafka.topic is required; Debezium %s keeps its "
                    "schema history in that topic (for example schemahistory.%s)"
                    % (name, source.label, _setting(config, "topic.prefix") or "<topic.prefix>")]
    return [PlannedTopic(topic, "schema-history")], []


def debezium_source(config: Mapping[str, Any]) -> Optional[DebeziumSource]:
    """The Debezium source connector a config runs, or None."""
    return DEBEZIUM_SOURCES.get(connector_kind(_setting(config, "connector.class") or ""))


def uses_kafka_schema_history(config: Mapping[str, Any]) -> bool:
    """Whether a Debezium connector keeps its schema history in Kafka (its default, for the connectors that have one)."""
    source = debezium_source(config)
    return bool(source and source.schema_history
                and (_setting(config, "schema.history.internal") or KAFKA_SCHEMA_HISTORY) == KAFKA_SCHEMA_HISTORY)


def uses_kafka_signals(config: Mapping[str, Any]) -> bool:
    """Whether a Debezium connector reads signals from a Kafka topic (signal.enabled.channels has kafka)."""
    return debezium_source(config) is not None and \
        KAFKA_SIGNAL_CHANNEL in _split_list(_setting(config, "signal.enabled.channels"))


def _signal_topic(config: Mapping[str, Any]) -> List[PlannedTopic]:
    if not uses_kafka_signals(config):
        return []
    topic = _setting(config, "signal.kafka.topic") or (_setting(config, "topic.prefix") or "") + DEBEZIUM_SIGNAL_SUFFIX
    return [PlannedTopic(topic, "signal")] if topic != DEBEZIUM_SIGNAL_SUFFIX else []


def _mirror_topics(name: str, config: Mapping[str, Any]) -> Tuple[List[PlannedTopic], List[str]]:
    """The remote topics a MirrorSourceConnector writes here: <source.cluster.alias>.<topic>, or <topic> (identity)."""
    policy = _setting(config, "replication.policy.class") or MIRROR_DEFAULT_POLICY
    if policy not in (MIRROR_DEFAULT_POLICY, MIRROR_IDENTITY_POLICY):
        return [], ["connector '%s': replication.policy.class %s names remote topics in its own way; give the "
                    "connector's topics: explicitly" % (name, policy)]
    listed = _split_list(_setting(config, "topics"))
    if not listed:
        return [], ["connector '%s': without topics MirrorSourceConnector replicates every topic of the source "
                    "cluster (topics=.*), which the plan cannot know; list them in topics or give the entry's "
                    "topics: explicitly" % name]
    errors = []
    topics = []
    alias = _setting(config, "source.cluster.alias") or "source"
    separator = _setting(config, "replication.policy.separator") or "."
    for entry in listed:
        if not _MIRROR_LITERAL.fullmatch(entry):
            errors.append("connector '%s': topics entry '%s' is a pattern, not one topic the plan can name; list "
                          "the topics one by one or give the entry's topics: explicitly" % (name, entry))
            continue
        topic = entry.replace("\\.", ".")
        topics.append(PlannedTopic(topic if policy == MIRROR_IDENTITY_POLICY else alias + separator + topic, "data"))
    return topics, errors


def plan_connector(entry: Mapping[str, Any]) -> ConnectorPlan:
    """Every topic one connectors_list entry writes; explicit topics: replace the derived list."""
    name = str(entry.get("name") or "")
    if entry.get("topics") is not None:
        listed = entry["topics"]
        if isinstance(listed, str) or not isinstance(listed, Sequence):
            return ConnectorPlan(name, (), ("connector '%s': topics must be a list of topic names" % name,))
        # a topic that is not a name is the connector list check's error (connector_list_errors)
        return ConnectorPlan(name, tuple(PlannedTopic(topic, "listed") for topic in listed
                                         if isinstance(topic, str) and topic.strip()), ())
    config = entry.get("config")
    if not config:
        return ConnectorPlan(name, (), ())
    if not isinstance(config, Mapping):
        return ConnectorPlan(name, (), ("connector '%s': config must be a mapping" % name,))
    connector_class = _setting(config, "connector.class") or ""
    kind = connector_kind(connector_class)
    errors: List[str] = []
    written: List[PlannedTopic] = []
    direct: List[PlannedTopic] = []
    if connector_direction(connector_class) == "sink":
        # A sink connector reads topics and writes none but its dead letter queue.
        if _setting(config, "topics") is None and _setting(config, "topics.regex") is None:
            errors.append("connector '%s': sink %s needs topics or topics.regex, the topics it reads"
                          % (name, connector_class))
    elif kind in DEBEZIUM_SOURCES:
        written, errors = _debezium_topics(name, config, DEBEZIUM_SOURCES[kind])
        direct, more = _schema_history_topic(name, config, DEBEZIUM_SOURCES[kind])
        errors.extend(more)
        direct.extend(_signal_topic(config))
    elif kind == FILESTREAM_SOURCE:
        topic = _setting(config, "topic")
        if topic is None:
            errors.append("connector '%s': config topic is required for FileStreamSource" % name)
        else:
            written = [PlannedTopic(topic, "file")]
    elif kind == MIRROR_SOURCE:
        written, errors = _mirror_topics(name, config)
    else:
        errors.append("connector '%s': the plan does not know which topics %s writes; list them in the entry's "
                      "topics: (an empty list if it writes none)" % (name, connector_class or "its connector.class"))
    routers, more = _routers(name, config)
    errors.extend(more)
    routed = []
    for topic in written:
        renamed = topic.name
        try:
            for route in routers:
                renamed = route(renamed)
        except (IndexError, ValueError, re.error) as exc:
            errors.append("connector '%s': a router's replacement does not fit its regex (%s); give the connector's "
                          "topics: explicitly" % (name, exc))
            break
        routed.append(PlannedTopic(renamed, topic.kind))
    dead_letter = _setting(config, "errors.deadletterqueue.topic.name")
    if dead_letter is not None:
        direct.append(PlannedTopic(dead_letter, "dead-letter"))
    return ConnectorPlan(name, tuple(_unique(routed + direct)), tuple(errors))


def _unique(topics: Iterable[PlannedTopic]) -> List[PlannedTopic]:
    seen = set()
    unique = []
    for topic in topics:
        if topic.name.lower() not in seen:
            seen.add(topic.name.lower())
            unique.append(topic)
    return unique


def topic_name_errors(connector: str, topic: PlannedTopic) -> List[str]:
    """Event Hubs' name rule applied to a planned topic, with the fix for the names Debezium makes."""
    if topic.name.startswith("_") and topic.kind == "heartbeat":
        return ["connector '%s': heartbeat topic '%s' starts with '_', which an event hub name may not; set "
                "topic.heartbeat.prefix=debezium-heartbeat" % (connector, topic.name)]
    error = hub_name_error(topic.name)
    if error:
        return ["connector '%s': %s topic %s" % (connector, topic.kind, error)]
    return []


# ---- the whole namespace ------------------------------------------------------------------------

def plan_namespace_topics(connectors: Sequence[Mapping[str, Any]], *, namespace: Optional[str], sku: str,
                          capacity: Optional[int], existing: Sequence[Mapping[str, Any]] = (),
                          cluster_arm_id: Optional[str] = None,
                          connect_names: Optional[Mapping[str, Optional[str]]] = None,
                          connect_partitions: Optional[Mapping[str, Optional[int]]] = None,
                          connect_tombstone_retention_hours: Optional[int] = None,
                          application: Sequence[Mapping[str, Any]] = (),
                          default_partitions: int = 1, default_retention_hours: int = 24,
                          rule_name: Optional[str] = None, rule_rights: Optional[Sequence[str]] = None,
                          include_absent: bool = False) -> Dict[str, Any]:
    """Connect's, the application's and the connectors' topics as event hubs, every rule checked.

    ``existing`` holds the namespace's hubs as eventhub_info returns them; nothing is written here,
    so a caller that refuses a plan with errors has written nothing either.
    """
    # the connector list check the connectors role and modules run too, before the first write of site.yml
    errors: List[str] = connector_list_errors(connectors, "connectors")
    if namespace is not None:
        errors.extend(filter(None, [namespace_name_error(namespace)]))
    if rule_name is not None:
        errors.extend(filter(None, [rule_name_error(rule_name)]))
    if rule_rights is not None:
        errors.extend(filter(None, [rights_error(rule_rights)]))
    try:
        tier = namespace_tier(sku, cluster_arm_id)
    except ValueError as exc:
        return {"errors": [str(exc)], "hubs": [], "topics": [], "connectors": [], "application": [],
                "connect_topics": connect_topic_names(connect_names), "budget": {}}

    internal = connect_hubs(connect_names, connect_partitions, connect_tombstone_retention_hours)
    hubs: List[Dict[str, Any]] = list(internal)
    owner: Dict[str, str] = {hub["name"].lower(): "Connect" for hub in internal}
    if len(owner) < len(internal):
        errors.append("Connect's internal topics need three different names: %s"
                      % ", ".join(hub["name"] for hub in internal))

    application_names = []
    for topic in application:
        name = str(topic.get("name") or "")
        if name.lower() in owner:
            errors.append("topic '%s' is listed twice (event hub names are case-insensitive), including "
                          "Connect's own: %s" % (name, ", ".join(hub["name"] for hub in hubs)))
            continue
        owner[name.lower()] = "application"
        application_names.append(name)
        hubs.append({"name": name, "cleanup_policy": "delete",
                     "partition_count": _default(topic.get("partitions"), default_partitions),
                     "retention_hours": _default(topic.get("retention_hours"), default_retention_hours)})

    max_retention = tier_limits(tier).max_retention_hours
    planned = []
    for entry in connectors:
        if entry.get("state") == "absent" and not include_absent:
            continue
        plan = plan_connector(entry)
        errors.extend(plan.errors)
        names = []
        for topic in plan.topics:
            name_errors = topic_name_errors(plan.name, topic)
            errors.extend(name_errors)
            if name_errors:
                continue
            names.append(topic.name)
            holder = owner.get(topic.name.lower())
            if holder == "Connect":
                errors.append("connector '%s': topic '%s' is one of Connect's internal topics" % (plan.name, topic.name))
            if holder:
                continue
            owner[topic.name.lower()] = plan.name
            if topic.kind == "schema-history":
                # Debezium needs one partition and the longest retention the tier has.
                partitions, retention = 1, max_retention
            elif topic.kind == "signal":
                # Debezium's Kafka signal channel reads one partition.
                partitions = 1
                retention = _default(entry.get("topic_retention_hours"), default_retention_hours)
            else:
                partitions = _default(entry.get("topic_partitions"), default_partitions)
                retention = _default(entry.get("topic_retention_hours"), default_retention_hours)
            hubs.append({"name": topic.name, "cleanup_policy": "delete", "partition_count": partitions,
                         "retention_hours": retention})
        planned.append({"name": plan.name, "topics": names})

    existing_by_name = {str(hub["name"]).lower(): hub for hub in existing}
    for hub in hubs:
        errors.extend(filter(None, [hub_name_error(hub["name"])]))
        number_errors = _whole_numbers(hub)
        errors.extend(number_errors)
        if number_errors:
            continue
        before = existing_by_name.get(hub["name"].lower())
        desired = merge_hub(hub["name"], before, hub_spec_from_options(hub))
        errors.extend(hub_tier_errors(tier, hub["name"], desired, before))

    wanted = [hub["name"] for hub in hubs]
    budget = plan_topic_budget(tier, capacity, existing_by_name, wanted)
    wanted_lower = {name.lower() for name in wanted}
    others = len([name for name in existing_by_name if name not in wanted_lower])
    demand: List[Tuple[str, Sequence[str]]] = [("Connect", [hub["name"] for hub in internal])]
    demand.append(("application", application_names))
    demand.extend(("connector '%s'" % plan["name"], plan["topics"]) for plan in planned)
    if not budget.fits:
        errors.insert(0, budget_error(namespace or "", budget, demand, others))
    budget_numbers = dict(budget.as_dict(), fits=budget.fits, connect=len(internal),
                          application=len(application_names), others=others,
                          connectors={plan["name"]: len(plan["topics"]) for plan in planned})
    return {"errors": errors, "hubs": hubs, "topics": wanted, "connectors": planned,
            "application": application_names, "connect_topics": connect_topic_names(connect_names),
            "budget": budget_numbers}


def _whole_numbers(hub: Dict[str, Any]) -> List[str]:
    """Numbers from Jinja may arrive as text; anything but a whole number is refused by name."""
    errors = []
    for field in ("partition_count", "retention_hours", "tombstone_retention_hours"):
        value = hub.get(field)
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            continue
        if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value.strip()):
            hub[field] = int(value)
            continue
        errors.append("event hub '%s': %s must be a whole number, got %r" % (hub["name"], field, value))
    return errors


def _default(value: Any, default: int) -> Any:
    """None takes the default; 0 and negatives stay, so the tier check refuses them."""
    return default if value is None else value
