# SPDX-License-Identifier: GPL-3.0-or-later
"""The kafka_connect role's input rules: bounds, patterns and cross-field rules argument_specs cannot express.

Every option of the role's meta/argument_specs.yml is either in RULES or in NO_RULE (a unit test holds the two
together), so a new option cannot arrive without its rule. A rule names only the option that fails, its value
unless the option is secret, and what is allowed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Callable, Dict, List, Optional

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._kafka_versions import parse_version
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._secrets import secret_keys

DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
SECRET_KEY = re.compile(r"[-._a-zA-Z0-9]+")
HTTP_URL = re.compile(r"https?://[^\s/]+(/\S*)?")
HTTPS_URL = re.compile(r"https://\S+")
# What one Secret holds (etcd's request limit): keys and values together.
SECRET_MAX_BYTES = 1024 * 1024
INT32_MAX = 2 ** 31 - 1
PROBES = ("kafka_connect_startup_probe", "kafka_connect_liveness_probe", "kafka_connect_readiness_probe")

Values = Mapping
Rule = Callable[[Values], List[str]]


def _show(value: Any) -> str:
    return json.dumps(value) if isinstance(value, (str, int, float, bool, type(None))) else repr(value)


def _int(value: Any) -> Optional[int]:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on", "y", "t")
    return bool(value)


def at_least(name: str, low: int, unit: str = "", high: Optional[int] = None) -> Rule:
    def rule(values: Values) -> List[str]:
        value = values.get(name)
        number = _int(value)
        if number is not None and number >= low and (high is None or number <= high):
            return []
        allowed = ("between %d and %d" % (low, high)) if high is not None else ("%d or more" % low)
        return ["%s=%s must be %s%s." % (name, _show(value), allowed, unit)]
    return rule


def optional(rule: Rule, name: str) -> Rule:
    def check(values: Values) -> List[str]:
        return [] if values.get(name) is None else rule(values)
    return check


def named(name: str, pattern: re.Pattern, maximum: int, what: str, optional_value: bool = True) -> Rule:
    def rule(values: Values) -> List[str]:
        value = values.get(name)
        if value is None and optional_value:
            return []
        # the defaults of the other names derive from kafka_connect_name: a bad one is named once, as itself
        base = values.get("kafka_connect_name")
        if (name != "kafka_connect_name" and isinstance(value, str) and isinstance(base, str) and value.startswith(base)
                and RULES["kafka_connect_name"](values)):
            return []
        if isinstance(value, str) and len(value) <= maximum and pattern.fullmatch(value):
            return []
        return ["%s=%s is not %s (at most %d characters)." % (name, _show(value), what, maximum)]
    return rule


LABEL_1035 = "a DNS-1035 label (it names the Service): lower-case letters, digits and '-', starting with a letter, ending alphanumeric"
LABEL_1123 = "a DNS-1123 label: lower-case letters, digits and '-', starting and ending alphanumeric"
SUBDOMAIN = "a DNS-1123 subdomain: DNS-1123 labels joined by '.'"


def _image(values: Values) -> List[str]:
    value = values.get("kafka_connect_image")
    if isinstance(value, str) and value.strip() and not re.search(r"\s", value):
        return []
    return ["kafka_connect_image=%s must be a non-empty image reference without spaces." % _show(value)]


def _kafka_version(values: Values) -> List[str]:
    value = values.get("kafka_connect_kafka_version")
    if parse_version(value) is not None:
        return []
    return ["kafka_connect_kafka_version=%s must be the image's Kafka version as X.Y or X.Y.Z (for example 4.3.0)."
            % _show(value)]


def _quantity(name: str) -> Rule:
    def rule(values: Values) -> List[str]:
        value = values.get(name)
        if value is None or values.get("quantity", lambda v: 0)(value) is not None:
            return []
        return ["%s=%s is not a Kubernetes quantity such as 400m, 2, 512Mi or 1G." % (name, _show(value))]
    return rule


def _heap(values: Values) -> List[str]:
    if values.get("kafka_connect_heap_opts"):
        return []
    limit_mib = values.get("quantity", lambda v, u=None: None)(values.get("kafka_connect_memory_limit"), "Mi")
    percent = _int(values.get("kafka_connect_heap_percent"))
    if limit_mib is None or percent is None or not 10 <= percent <= 90:
        return []
    heap = int(limit_mib * percent / 100)
    if heap >= 128:
        return []
    return ["kafka_connect_memory_limit=%s gives a %d MiB heap; Kafka Connect needs at least 128 MiB. Raise the limit "
            "or set kafka_connect_heap_opts." % (_show(values.get("kafka_connect_memory_limit")), heap)]


def _connection(values: Values) -> List[str]:
    """The Kafka connection: kafka_connect_kafka_connection wins over the single options (all secret-bearing)."""
    connection = values.get("kafka_connect_kafka_connection") or {}
    if not isinstance(connection, Mapping):
        return ["kafka_connect_kafka_connection must be a dict shaped like the eventhub role's eventhub_kafka_connection."]
    bootstrap = str(connection.get("bootstrap_servers") or values.get("kafka_connect_bootstrap_servers") or "").strip()
    protocol = connection.get("security_protocol") or values.get("kafka_connect_security_protocol") or "SASL_SSL"
    mechanism = connection.get("sasl_mechanism") or values.get("kafka_connect_sasl_mechanism") or "PLAIN"
    jaas = connection.get("sasl_jaas_config") or values.get("kafka_connect_sasl_jaas_config") or ""
    sasl = protocol in ("SASL_SSL", "SASL_PLAINTEXT")
    errors = []
    if not bootstrap or re.search(r"\s", bootstrap):
        errors.append("Kafka Connect needs kafka_connect_kafka_connection.bootstrap_servers or "
                      "kafka_connect_bootstrap_servers (host:port[,host:port], no spaces; for Event Hubs "
                      "<namespace>.servicebus.windows.net:9093).")
    if sasl and not jaas and not values.get("kafka_connect_sasl_password"):
        errors.append("With security protocol %s Kafka Connect needs a sasl_jaas_config "
                      "(kafka_connect_kafka_connection.sasl_jaas_config or kafka_connect_sasl_jaas_config) or "
                      "kafka_connect_sasl_password (for Event Hubs: the namespace connection string)." % protocol)
    if sasl and mechanism == "OAUTHBEARER":
        missing = []
        if not HTTPS_URL.fullmatch(str(connection.get("sasl_oauthbearer_token_endpoint_url") or "")):
            missing.append("sasl_oauthbearer_token_endpoint_url (https://<authority>/<tenant>/oauth2/v2.0/token)")
        if not connection.get("sasl_login_callback_handler_class"):
            missing.append("sasl_login_callback_handler_class "
                           "(org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler)")
        if "OAuthBearerLoginModule" not in str(jaas):
            missing.append("an OAuthBearerLoginModule sasl_jaas_config")
        if missing:
            errors.append("With sasl_mechanism OAUTHBEARER, kafka_connect_kafka_connection needs %s: the eventhub role "
                          "publishes all three with eventhub_kafka_auth=entra." % ", ".join(missing))
    return errors


def _ready_url(values: Values) -> List[str]:
    value = values.get("kafka_connect_ready_url")
    if not value or (isinstance(value, str) and HTTP_URL.fullmatch(value)):
        return []
    return ["kafka_connect_ready_url=%s must be an http:// or https:// URL such as "
            "http://kafka-connect.kafka-connect.svc:8083." % _show(value)]


def _ready_path(values: Values) -> List[str]:
    value = values.get("kafka_connect_ready_path")
    if isinstance(value, str) and re.fullmatch(r"/\S*", value):
        return []
    return ["kafka_connect_ready_path=%s must be an HTTP path starting with '/', without spaces." % _show(value)]


def _settings_names(settings: Any) -> List[str]:
    return list(settings.keys()) if isinstance(settings, Mapping) else []


def _worker_settings(values: Values) -> List[str]:
    settings = values.get("kafka_connect_worker_settings") or {}
    errors = []
    found = secret_keys(settings)
    if found:
        errors.append("kafka_connect_worker_settings go to a ConfigMap; put %s in kafka_connect_secret_settings instead."
                      % ", ".join(found))
    errors += _debezium_names("kafka_connect_worker_settings", settings, values)
    return errors


def _debezium_names(name: str, settings: Any, values: Values) -> List[str]:
    if values.get("kafka_connect_image_convention", "debezium") != "debezium":
        return []
    bad = [key for key in _settings_names(settings) if re.search(r"[_-]", str(key))]
    if not bad:
        return []
    return ["The Debezium image cannot express '_' or '-' in a property name (%s of %s); use "
            "kafka_connect_image_convention=confluent for these settings." % (", ".join(map(str, bad)), name)]


def _secret_settings(values: Values) -> List[str]:
    return _debezium_names("kafka_connect_secret_settings", values.get("kafka_connect_secret_settings") or {}, values)


def _connector_secrets(values: Values) -> List[str]:
    secrets = values.get("kafka_connect_connector_secrets") or {}
    errors = []
    if secrets and values.get("kafka_connect_connector_secrets_secret"):
        errors.append("Give kafka_connect_connector_secrets (the role creates Secret %s-connector-secrets) or "
                      "kafka_connect_connector_secrets_secret (an existing Secret), not both."
                      % values.get("kafka_connect_name"))
    size = 0
    for key, value in secrets.items():
        text_key = str(key)
        if text_key in (".", "..") or len(text_key) > 253 or not SECRET_KEY.fullmatch(text_key):
            errors.append("kafka_connect_connector_secrets key %s is not a Secret key: a file name of letters, digits, "
                          "'-', '_' and '.', at most 253 characters, neither '.' nor '..'." % _show(text_key))
        if isinstance(value, (Mapping, list, tuple, set)) or value is None:
            kind = "null" if value is None else "dict" if isinstance(value, Mapping) else "list"
            errors.append("kafka_connect_connector_secrets key %s holds a %s; each value is one file's content, "
                          "a string." % (_show(text_key), kind))
            continue
        size += len(text_key.encode("utf-8")) + len(str(value).encode("utf-8"))
    if size > SECRET_MAX_BYTES:
        errors.append("kafka_connect_connector_secrets hold %d bytes; one Secret holds at most %d (1 MiB)."
                      % (size, SECRET_MAX_BYTES))
    return errors


def _connector_kafka_login(values: Values) -> List[str]:
    if _bool(values.get("kafka_connect_connector_kafka_login")) and values.get("kafka_connect_connector_secrets_secret"):
        return ["kafka_connect_connector_kafka_login=true puts the namespace's JAAS line into the connector secrets the "
                "role creates, but kafka_connect_connector_secrets_secret names an existing Secret the role does not "
                "write: add the line to that Secret under key kafka-sasl-jaas-config yourself, or give the secrets as "
                "kafka_connect_connector_secrets."]
    return []


def _probe(name: str) -> Rule:
    def rule(values: Values) -> List[str]:
        probe = values.get(name)
        if probe is None:
            return []
        if not isinstance(probe, Mapping):
            return ["%s must be a dict." % name]
        errors = []
        lows = {"initial_delay_seconds": 0, "period_seconds": 1, "timeout_seconds": 1, "success_threshold": 1,
                "failure_threshold": 1, "termination_grace_period_seconds": 1}
        for key, low in lows.items():
            if key in probe and not (key == "termination_grace_period_seconds" and probe[key] is None):
                errors += at_least("%s.%s" % (name, key), low)({"%s.%s" % (name, key): probe[key]})
        # Kubernetes: liveness and startup probes must have successThreshold 1
        if name != "kafka_connect_readiness_probe" and "success_threshold" in probe and _int(probe["success_threshold"]) not in (None, 1):
            if _int(probe["success_threshold"]) >= 1:
                errors.append("%s.success_threshold=%s must be 1 (Kubernetes allows no other value for this probe)."
                              % (name, _show(probe["success_threshold"])))
        if "path" in probe and not (isinstance(probe["path"], str) and re.fullmatch(r"/\S*", probe["path"])):
            errors.append("%s.path=%s must be an HTTP path starting with '/', without spaces." % (name, _show(probe["path"])))
        return errors
    return rule


def _pre_stop(values: Values) -> List[str]:
    errors = at_least("kafka_connect_pre_stop_sleep_seconds", 0, " seconds")(values)
    sleep = _int(values.get("kafka_connect_pre_stop_sleep_seconds"))
    grace = _int(values.get("kafka_connect_termination_grace_period_seconds"))
    if not errors and sleep and grace is not None and grace >= 0 and sleep >= grace:
        errors.append("kafka_connect_pre_stop_sleep_seconds=%d must be shorter than "
                      "kafka_connect_termination_grace_period_seconds=%d, or the worker is killed before it leaves "
                      "the group." % (sleep, grace))
    return errors


def _network_policy(values: Values) -> List[str]:
    if (not _bool(values.get("kafka_connect_network_policy")) or values.get("kafka_connect_network_policy_api_server_from")
            or values.get("kafka_connect_ready_url") or not _bool(values.get("kafka_connect_wait", True))):
        return []
    return ["kafka_connect_network_policy admits only the listed peers, but the role (connect_ready) and the connectors "
            "role reach Connect through the API server's service proxy, which is neither a pod nor a namespace: on a "
            "CNI that enforces policies the role would block its own readiness check. Set "
            "kafka_connect_network_policy_api_server_from to the peers the proxy connects from (on AKS: the "
            "konnectivity-agent pods, or the API server subnet with API Server VNet Integration; see the role's "
            "README), or kafka_connect_ready_url to an address the policy admits. Nothing was applied."]


def _pod_security(values: Values) -> List[str]:
    if not _bool(values.get("kafka_connect_namespace_pod_security", True)) or _bool(
            values.get("kafka_connect_restricted_security_context", True)):
        return []
    return ["kafka_connect_namespace_pod_security labels the namespace it creates "
            "pod-security.kubernetes.io/enforce=restricted, which refuses pods without the restricted security "
            "context; keep kafka_connect_restricted_security_context true or set "
            "kafka_connect_namespace_pod_security false."]


def _topic(name: str) -> Rule:
    def rule(values: Values) -> List[str]:
        value = values.get(name)
        if value is None or (isinstance(value, str) and re.fullmatch(r"[a-zA-Z0-9._-]{1,249}", value)):
            return []
        return ["%s=%s is not a Kafka topic name: 1 to 249 letters, digits, '.', '_' and '-'." % (name, _show(value))]
    return rule


def _connect_topics(values: Values) -> List[str]:
    topics = values.get("kafka_connect_connect_topics") or {}
    errors = []
    for key in ("config", "offsets", "status"):
        if topics.get(key) is not None:
            errors += _topic("kafka_connect_connect_topics.%s" % key)({"kafka_connect_connect_topics.%s" % key: topics[key]})
    return errors


def _replication_factor(values: Values) -> List[str]:
    value = values.get("kafka_connect_storage_replication_factor")
    number = _int(value)
    if number is not None and (number == -1 or number >= 1):
        return []
    return ["kafka_connect_storage_replication_factor=%s must be 1 or more, or -1 (the broker's default)." % _show(value)]


def _run_as_user(values: Values) -> List[str]:
    if values.get("kafka_connect_run_as_user") is None:
        return []
    restricted = _bool(values.get("kafka_connect_restricted_security_context", True))
    return at_least("kafka_connect_run_as_user", 1 if restricted else 0, " (runAsNonRoot refuses 0)" if restricted else "",
                    high=INT32_MAX)(values)


def _metrics_port(values: Values) -> List[str]:
    errors = at_least("kafka_connect_metrics_port", 1, high=65535)(values)
    port = _int(values.get("kafka_connect_metrics_port"))
    if not errors and _bool(values.get("kafka_connect_metrics_enabled")) and port == _int(values.get("kafka_connect_port")):
        errors.append("kafka_connect_metrics_port=%d is the REST port kafka_connect_port; the exporter needs a port of its "
                      "own." % port)
    return errors


def _metrics_agent_path(values: Values) -> List[str]:
    if not _bool(values.get("kafka_connect_metrics_enabled")):
        return []
    value = values.get("kafka_connect_metrics_agent_path")
    # the agent's argument is path=port:rules, so '=' would end the path early
    if isinstance(value, str) and re.fullmatch(r"/[^\s=]+\.jar", value):
        return []
    return ["kafka_connect_metrics_enabled needs kafka_connect_metrics_agent_path=%s to be the absolute path of the "
            "JMX exporter agent jar in the image (such as /opt/jmx-exporter/jmx_prometheus_javaagent.jar), without "
            "spaces or '='." % _show(value)]


def _metrics_from(values: Values) -> List[str]:
    if (not _bool(values.get("kafka_connect_metrics_enabled")) or not _bool(values.get("kafka_connect_network_policy"))
            or values.get("kafka_connect_metrics_from")):
        return []
    return ["kafka_connect_network_policy with kafka_connect_metrics_enabled needs kafka_connect_metrics_from, the peers "
            "that scrape the metrics port (such as a namespaceSelector of the Prometheus namespace): a NetworkPolicy "
            "rule without peers would admit every source. Nothing was applied."]


def _pod_monitor(values: Values) -> List[str]:
    if not _bool(values.get("kafka_connect_metrics_pod_monitor")) or _bool(values.get("kafka_connect_metrics_enabled")):
        return []
    return ["kafka_connect_metrics_pod_monitor needs kafka_connect_metrics_enabled: without the exporter the PodMonitor "
            "would scrape a port nobody serves."]


RULES: Dict[str, Rule] = {
    "kafka_connect_name": named("kafka_connect_name", DNS1035_LABEL, 63, LABEL_1035, optional_value=False),
    "kafka_connect_namespace": named("kafka_connect_namespace", DNS1123_LABEL, 63, LABEL_1123, optional_value=False),
    "kafka_connect_configmap_name": named("kafka_connect_configmap_name", DNS1123_SUBDOMAIN, 253, SUBDOMAIN),
    "kafka_connect_secret_name": named("kafka_connect_secret_name", DNS1123_SUBDOMAIN, 253, SUBDOMAIN),
    "kafka_connect_service_account_name": named("kafka_connect_service_account_name", DNS1123_SUBDOMAIN, 253, SUBDOMAIN),
    "kafka_connect_connector_secrets_secret": named("kafka_connect_connector_secrets_secret", DNS1123_SUBDOMAIN, 253,
                                                    SUBDOMAIN),
    "kafka_connect_image": _image,
    "kafka_connect_kafka_version": _kafka_version,
    "kafka_connect_replicas": at_least("kafka_connect_replicas", 1),
    "kafka_connect_port": at_least("kafka_connect_port", 1, high=65535),
    "kafka_connect_heap_percent": at_least("kafka_connect_heap_percent", 10, " percent", high=90),
    "kafka_connect_pdb_max_unavailable": at_least("kafka_connect_pdb_max_unavailable", 1),
    "kafka_connect_rollout_timeout": at_least("kafka_connect_rollout_timeout", 0, " seconds"),
    "kafka_connect_rollout_poll": at_least("kafka_connect_rollout_poll", 1, " seconds"),
    "kafka_connect_ready_timeout": at_least("kafka_connect_ready_timeout", 0, " seconds"),
    "kafka_connect_cpu_limit": _quantity("kafka_connect_cpu_limit"),
    "kafka_connect_memory_limit": _quantity("kafka_connect_memory_limit"),
    "kafka_connect_cpu_request": _quantity("kafka_connect_cpu_request"),
    "kafka_connect_memory_request": _quantity("kafka_connect_memory_request"),
    "kafka_connect_heap_opts": _heap,
    "kafka_connect_kafka_connection": _connection,
    "kafka_connect_ready_url": _ready_url,
    "kafka_connect_ready_path": _ready_path,
    "kafka_connect_worker_settings": _worker_settings,
    "kafka_connect_secret_settings": _secret_settings,
    "kafka_connect_connector_secrets": _connector_secrets,
    "kafka_connect_connector_kafka_login": _connector_kafka_login,
    **{probe: _probe(probe) for probe in PROBES},
    "kafka_connect_termination_grace_period_seconds": at_least("kafka_connect_termination_grace_period_seconds", 0,
                                                               " seconds"),
    "kafka_connect_pre_stop_sleep_seconds": _pre_stop,
    "kafka_connect_scheduled_rebalance_max_delay_ms": at_least("kafka_connect_scheduled_rebalance_max_delay_ms", 0,
                                                               " milliseconds", high=INT32_MAX),
    "kafka_connect_storage_replication_factor": _replication_factor,
    "kafka_connect_network_policy": _network_policy,
    "kafka_connect_namespace_pod_security": _pod_security,
    "kafka_connect_run_as_user": _run_as_user,
    "kafka_connect_connect_topics": _connect_topics,
    "kafka_connect_config_storage_topic": _topic("kafka_connect_config_storage_topic"),
    "kafka_connect_offset_storage_topic": _topic("kafka_connect_offset_storage_topic"),
    "kafka_connect_status_storage_topic": _topic("kafka_connect_status_storage_topic"),
    "kafka_connect_metrics_port": _metrics_port,
    "kafka_connect_metrics_agent_path": _metrics_agent_path,
    "kafka_connect_metrics_from": _metrics_from,
    "kafka_connect_metrics_pod_monitor": _pod_monitor,
}

# Options whose type and choices (argument_specs) are their whole rule, or whose rule lives under another option.
NO_RULE: Dict[str, str] = {
    "kafka_connect_create_namespace": "a bool",
    "kafka_connect_service_type": "choices",
    "kafka_connect_image_pull_policy": "choices",
    "kafka_connect_image_convention": "choices; its rule on property names is kafka_connect_worker_settings'",
    "kafka_connect_bootstrap_servers": "checked with kafka_connect_kafka_connection",
    "kafka_connect_security_protocol": "choices; checked with kafka_connect_kafka_connection",
    "kafka_connect_sasl_mechanism": "choices; checked with kafka_connect_kafka_connection",
    "kafka_connect_sasl_username": "any string (JSON-quoted into the JAAS line)",
    "kafka_connect_sasl_password": "checked with kafka_connect_kafka_connection",
    "kafka_connect_sasl_jaas_config": "checked with kafka_connect_kafka_connection",
    "kafka_connect_credentials_from": "choices",
    "kafka_connect_group_id": "any string Kafka takes as a group id",
    "kafka_connect_eventhubs_client_settings": "a bool",
    "kafka_connect_extra_env": "Kubernetes EnvVar objects, passed as given",
    "kafka_connect_anti_affinity": "choices",
    "kafka_connect_topology_spread_by_zone": "a bool",
    "kafka_connect_workload_kind": "choices",
    "kafka_connect_plugin_discovery": "choices",
    "kafka_connect_node_selector": "a dict of labels, passed as given",
    "kafka_connect_tolerations": "Kubernetes Toleration objects, passed as given",
    "kafka_connect_pod_annotations": "a dict, passed as given",
    "kafka_connect_pod_labels": "a dict, passed as given",
    "kafka_connect_restricted_security_context": "a bool; checked with kafka_connect_namespace_pod_security",
    "kafka_connect_network_policy_from": "Kubernetes NetworkPolicyPeer objects; checked with kafka_connect_network_policy",
    "kafka_connect_network_policy_api_server_from": "checked with kafka_connect_network_policy",
    "kafka_connect_k8s_auth": "kubernetes.core's connection options, checked by the client",
    "kafka_connect_wait": "a bool; checked with kafka_connect_network_policy",
    "kafka_connect_wait_deferred": "a bool",
    "kafka_connect_metrics_enabled": "a bool; its rules are those of the metrics options it needs",
    "kafka_connect_metrics_pod_monitor_labels": "a dict of labels, passed as given",
}


def kafka_connect_input_errors(values: Values, quantity: Optional[Callable[..., Any]] = None) -> List[str]:
    """What is wrong with the role's variables, one message per failing rule, in argument_specs' order of RULES."""
    given = dict(values)
    if quantity is not None:
        given["quantity"] = quantity
    errors: List[str] = []
    for rule in RULES.values():
        errors += rule(given)
    return errors
