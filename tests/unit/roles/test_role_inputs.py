# SPDX-License-Identifier: GPL-3.0-or-later
"""The roles' input rules (plugins/module_utils/_*_inputs.py), option by option, bounds included.

Every option of a role's meta/argument_specs.yml has a rule or an explicit "no rule needed" entry, and every
rule has bad values here: a new option cannot arrive without both. A bad value of one option yields one
message, which names that option (and never a secret's value); the role's defaults yield none.
"""
from __future__ import annotations

import functools
import os
import re
import sys
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(__file__), *[".."] * 2, "output", "collections"))

from ansible_collections.streamops.eventhub_connect.plugins.filter.eventhub_input_errors import (  # noqa: E402
    eventhub_input_errors)
from ansible_collections.streamops.eventhub_connect.plugins.filter.kafka_connect_input_errors import (  # noqa: E402
    kafka_connect_input_errors)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils import (  # noqa: E402
    _eventhub_inputs, _kafka_connect_inputs)

REPO = Path(__file__).resolve().parents[3]
GUID = "6f1c3a7e-0d2b-4c55-9b7e-1a2b3c4d5e6f"
SECRET = "s3cr3t-value-never-printed"


@functools.lru_cache(maxsize=None)
def options(role: str) -> frozenset:
    specs = yaml.safe_load((REPO / "roles" / role / "meta" / "argument_specs.yml").read_text(encoding="utf-8"))
    return frozenset(name for entry in specs["argument_specs"].values() for name in entry["options"])


def defaults(role: str) -> Dict[str, Any]:
    values = yaml.safe_load((REPO / "roles" / role / "defaults" / "main.yml").read_text(encoding="utf-8"))
    return {key: value.replace("{{ kafka_connect_name }}", "kafka-connect") if isinstance(value, str) else value
            for key, value in values.items()}


KAFKA_CONNECT_BASE = dict(defaults("kafka_connect"), kafka_connect_bootstrap_servers="broker:9093",
                          kafka_connect_sasl_password=SECRET)
ENTRA = {"eventhub_kafka_auth": "entra", "eventhub_entra_tenant_id": GUID, "eventhub_entra_client_id": GUID,
         "eventhub_entra_client_secret": SECRET, "eventhub_entra_object_id": GUID}
EVENTHUB_BASE = dict(defaults("eventhub"), eventhub_namespace_name="contoso-ehns", eventhub_resource_group="rg")

METRICS = {"kafka_connect_metrics_enabled": True, "kafka_connect_metrics_agent_path": "/opt/jmx/jmx_prometheus_javaagent.jar"}
OAUTH = {"bootstrap_servers": "ns.servicebus.windows.net:9093", "sasl_mechanism": "OAUTHBEARER",
         "sasl_jaas_config": "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required clientSecret=\"%s\";"
                             % SECRET,
         "sasl_oauthbearer_token_endpoint_url": "https://login.microsoftonline.com/t/oauth2/v2.0/token",
         "sasl_login_callback_handler_class": "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler"}


def probe_cases(name: str, liveness: bool) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
    good = [{name: {"period_seconds": 1, "failure_threshold": 1, "initial_delay_seconds": 0, "timeout_seconds": 1}},
            {name: {"path": "/connectors", "success_threshold": 1}}]
    bad = [{name: {key: value}} for key, value in [
        ("period_seconds", 0), ("period_seconds", -1), ("timeout_seconds", 0), ("failure_threshold", 0),
        ("failure_threshold", -3), ("success_threshold", 0), ("initial_delay_seconds", -1), ("path", "connectors"),
        ("path", "/a b")]]
    if liveness:
        good.append({name: {"termination_grace_period_seconds": None}})
        bad += [{name: {"termination_grace_period_seconds": 0}}, {name: {"success_threshold": 2}}]
    elif name == "kafka_connect_startup_probe":
        bad.append({name: {"success_threshold": 2}})
    else:
        good.append({name: {"success_threshold": 2}})
    return good, bad


def names(option: str, maximum: int, label_1035: bool = False) -> Tuple[List[Any], List[Any]]:
    good = ["kc", "a" * maximum] + ([] if maximum == 63 else ["a.b-c"])
    bad = ["Kc", "kc\n", "kc_1", "-kc", "kc-", "a" * (maximum + 1), ""] + (["a.b"] if maximum == 63 else [])
    if label_1035:
        bad.append("1kc")
    return [{option: v} for v in good], [{option: v} for v in bad]


def bounds(option: str, low: int, high: int | None = None) -> Tuple[List[Any], List[Any]]:
    good = [low, low + 1] + ([high] if high is not None else [10 ** 6])
    bad = [low - 1, -(10 ** 6), "three", None] + ([high + 1] if high is not None else [])
    return [{option: v} for v in good], [{option: v} for v in bad]


# option -> (good overrides, bad overrides); each bad override must yield one message naming the option.
KAFKA_CONNECT_CASES: Dict[str, Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]] = {
    "kafka_connect_name": names("kafka_connect_name", 63, label_1035=True),
    "kafka_connect_namespace": names("kafka_connect_namespace", 63),
    "kafka_connect_configmap_name": names("kafka_connect_configmap_name", 253),
    "kafka_connect_secret_name": names("kafka_connect_secret_name", 253),
    "kafka_connect_service_account_name": names("kafka_connect_service_account_name", 253),
    "kafka_connect_connector_secrets_secret": names("kafka_connect_connector_secrets_secret", 253),
    "kafka_connect_image": ([{"kafka_connect_image": "quay.io/debezium/connect:3.6.1.Final"}],
                            [{"kafka_connect_image": v} for v in ("", " ", "a b", "img:1\n", None)]),
    "kafka_connect_connector_kafka_login": (
        [{"kafka_connect_connector_kafka_login": True}, {"kafka_connect_connector_kafka_login": False,
                                                         "kafka_connect_connector_secrets_secret": "db"},
         {"kafka_connect_connector_kafka_login": True, "kafka_connect_connector_secrets": {"db": "x"}}],
        [{"kafka_connect_connector_kafka_login": True, "kafka_connect_connector_secrets_secret": "db"}]),
    "kafka_connect_kafka_version": ([{"kafka_connect_kafka_version": v} for v in ("4.3.0", "3.9", "10.0.12")],
                                    [{"kafka_connect_kafka_version": v}
                                     for v in ("4", "4.3.0.1", "v4.3.0", "4.3.0-SNAPSHOT", "4.3\n", "", None, 4.3)]),
    "kafka_connect_replicas": bounds("kafka_connect_replicas", 1),
    "kafka_connect_port": bounds("kafka_connect_port", 1, 65535),
    "kafka_connect_heap_percent": tuple([dict(case, kafka_connect_memory_limit="2Gi") for case in cases]
                                        for cases in bounds("kafka_connect_heap_percent", 10, 90)),
    "kafka_connect_pdb_max_unavailable": bounds("kafka_connect_pdb_max_unavailable", 1),
    "kafka_connect_rollout_timeout": bounds("kafka_connect_rollout_timeout", 0),
    "kafka_connect_rollout_poll": bounds("kafka_connect_rollout_poll", 1),
    "kafka_connect_ready_timeout": bounds("kafka_connect_ready_timeout", 0),
    "kafka_connect_termination_grace_period_seconds": (
        [{"kafka_connect_termination_grace_period_seconds": v, "kafka_connect_pre_stop_sleep_seconds": 0}
         for v in (0, 1, 3600)],
        [{"kafka_connect_termination_grace_period_seconds": v, "kafka_connect_pre_stop_sleep_seconds": 0}
         for v in (-1, "x", None)]),
    "kafka_connect_pre_stop_sleep_seconds": (
        [{"kafka_connect_pre_stop_sleep_seconds": v} for v in (0, 1, 59)],
        [{"kafka_connect_pre_stop_sleep_seconds": v} for v in (-1, 60, 61, None)]
        + [{"kafka_connect_pre_stop_sleep_seconds": 5, "kafka_connect_termination_grace_period_seconds": 5}]),
    "kafka_connect_scheduled_rebalance_max_delay_ms": bounds("kafka_connect_scheduled_rebalance_max_delay_ms", 0,
                                                             2 ** 31 - 1),
    "kafka_connect_storage_replication_factor": (
        [{"kafka_connect_storage_replication_factor": v} for v in (-1, 1, 3)],
        [{"kafka_connect_storage_replication_factor": v} for v in (0, -2, None)]),
    "kafka_connect_run_as_user": (
        [{"kafka_connect_run_as_user": v} for v in (None, 1, 1001)]
        + [{"kafka_connect_run_as_user": 0, "kafka_connect_restricted_security_context": False,
            "kafka_connect_namespace_pod_security": False}],
        [{"kafka_connect_run_as_user": v} for v in (0, -1, 2 ** 31)]),
    "kafka_connect_cpu_limit": ([{"kafka_connect_cpu_limit": v} for v in ("400m", "2", None)],
                                [{"kafka_connect_cpu_limit": v} for v in ("400mm", "two", " 1", "1\n")]),
    "kafka_connect_memory_limit": ([{"kafka_connect_memory_limit": v} for v in ("512Mi", "1G", "1.5Gi")],
                                   [{"kafka_connect_memory_limit": v} for v in ("512MB", "", "lots")]),
    "kafka_connect_cpu_request": ([{"kafka_connect_cpu_request": v} for v in ("100m", None)],
                                  [{"kafka_connect_cpu_request": "1 core"}]),
    "kafka_connect_memory_request": ([{"kafka_connect_memory_request": v} for v in ("256Mi", None)],
                                     [{"kafka_connect_memory_request": "256 MiB"}]),
    "kafka_connect_heap_opts": (
        [{"kafka_connect_memory_limit": "256Mi", "kafka_connect_heap_percent": 50},
         {"kafka_connect_memory_limit": "128Mi", "kafka_connect_heap_opts": "-Xmx100m"}],
        [{"kafka_connect_memory_limit": "200Mi", "kafka_connect_heap_percent": 50}]),
    "kafka_connect_kafka_connection": (
        [{"kafka_connect_kafka_connection": OAUTH}, {"kafka_connect_security_protocol": "SSL",
                                                     "kafka_connect_sasl_password": None}],
        [{"kafka_connect_bootstrap_servers": ""}, {"kafka_connect_bootstrap_servers": "a:1, b:2"},
         {"kafka_connect_sasl_password": None},
         {"kafka_connect_kafka_connection": dict(OAUTH, sasl_oauthbearer_token_endpoint_url="http://x/token")},
         {"kafka_connect_kafka_connection": dict(OAUTH, sasl_oauthbearer_token_endpoint_url="https://x/t\n")},
         {"kafka_connect_kafka_connection": dict(OAUTH, sasl_login_callback_handler_class="")},
         {"kafka_connect_kafka_connection": dict(OAUTH, sasl_jaas_config="PlainLoginModule password=\"%s\";" % SECRET)}]),
    "kafka_connect_ready_url": ([{"kafka_connect_ready_url": v} for v in (None, "", "http://kc:8083", "https://kc/x")],
                                [{"kafka_connect_ready_url": v} for v in ("kc:8083", "ftp://kc", "http://kc:8083\n")]),
    "kafka_connect_ready_path": ([{"kafka_connect_ready_path": v} for v in ("/", "/connectors")],
                                 [{"kafka_connect_ready_path": v} for v in ("connectors", "/a b", "/x\n", None)]),
    "kafka_connect_worker_settings": (
        [{"kafka_connect_worker_settings": {"offset.flush.interval.ms": 1000}}],
        [{"kafka_connect_worker_settings": {"ssl.keystore.key": SECRET}},
         {"kafka_connect_worker_settings": {"producer.sasl.jaas.config": SECRET}},
         {"kafka_connect_worker_settings": {"offset_flush": 1}}]),
    "kafka_connect_secret_settings": (
        [{"kafka_connect_secret_settings": {"ssl.key.password": SECRET}},
         {"kafka_connect_secret_settings": {"a_b": SECRET}, "kafka_connect_image_convention": "confluent"}],
        [{"kafka_connect_secret_settings": {"a-b": SECRET}}]),
    "kafka_connect_connector_secrets": (
        [{"kafka_connect_connector_secrets": {"postgres-password": SECRET, "a.b_C-1": SECRET, "k" * 253: 1}}],
        [{"kafka_connect_connector_secrets": {key: SECRET}} for key in (".", "..", "a/b", "k" * 254, "a b", "é", "")]
        + [{"kafka_connect_connector_secrets": {"k": value}} for value in ({"nested": SECRET}, [SECRET], None)]
        + [{"kafka_connect_connector_secrets": {"big": "x" * (2 ** 20)}},
           {"kafka_connect_connector_secrets": {"a": SECRET}, "kafka_connect_connector_secrets_secret": "other"}]),
    "kafka_connect_startup_probe": probe_cases("kafka_connect_startup_probe", liveness=False),
    "kafka_connect_liveness_probe": probe_cases("kafka_connect_liveness_probe", liveness=True),
    "kafka_connect_readiness_probe": probe_cases("kafka_connect_readiness_probe", liveness=False),
    "kafka_connect_network_policy": (
        [{"kafka_connect_network_policy": True, "kafka_connect_network_policy_api_server_from": [{"ipBlock": {}}]},
         {"kafka_connect_network_policy": True, "kafka_connect_wait": False},
         {"kafka_connect_network_policy": True, "kafka_connect_ready_url": "http://kc:8083"}],
        [{"kafka_connect_network_policy": True}]),
    "kafka_connect_namespace_pod_security": (
        [{"kafka_connect_namespace_pod_security": False, "kafka_connect_restricted_security_context": False}],
        [{"kafka_connect_restricted_security_context": False}]),
    "kafka_connect_connect_topics": (
        [{"kafka_connect_connect_topics": {"config": "c", "offsets": "o", "status": "s"}}],
        [{"kafka_connect_connect_topics": {"config": "a b"}}, {"kafka_connect_connect_topics": {"status": "t" * 250}}]),
    "kafka_connect_config_storage_topic": ([{"kafka_connect_config_storage_topic": "connect-configs"}],
                                           [{"kafka_connect_config_storage_topic": v} for v in ("", "a/b", "c\n")]),
    "kafka_connect_offset_storage_topic": ([{"kafka_connect_offset_storage_topic": "o.1"}],
                                           [{"kafka_connect_offset_storage_topic": "a b"}]),
    "kafka_connect_status_storage_topic": ([{"kafka_connect_status_storage_topic": "s_1"}],
                                           [{"kafka_connect_status_storage_topic": "a:b"}]),
    "kafka_connect_metrics_port": (
        bounds("kafka_connect_metrics_port", 1, 65535)[0] + [dict(METRICS, kafka_connect_metrics_port=9405)],
        bounds("kafka_connect_metrics_port", 1, 65535)[1] + [dict(METRICS, kafka_connect_metrics_port=8083)]),
    "kafka_connect_metrics_agent_path": (
        [METRICS, {"kafka_connect_metrics_agent_path": None}, {"kafka_connect_metrics_agent_path": "relative.jar"}],
        [dict(METRICS, kafka_connect_metrics_agent_path=v)
         for v in (None, "", "agent.jar", "/opt/a b.jar", "/opt/a=b.jar", "/opt/agent", "/opt/agent.jar\n")]),
    "kafka_connect_metrics_from": (
        [dict(METRICS, kafka_connect_network_policy=True, kafka_connect_network_policy_api_server_from=[{"ipBlock": {}}],
              kafka_connect_metrics_from=[{"namespaceSelector": {}}]),
         {"kafka_connect_network_policy": True, "kafka_connect_wait": False}],
        [dict(METRICS, kafka_connect_network_policy=True, kafka_connect_network_policy_api_server_from=[{"ipBlock": {}}])]),
    "kafka_connect_metrics_pod_monitor": (
        [dict(METRICS, kafka_connect_metrics_pod_monitor=True), {"kafka_connect_metrics_pod_monitor": False}],
        [{"kafka_connect_metrics_pod_monitor": True}]),
}

EVENTHUB_CASES: Dict[str, Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]] = {
    "eventhub_local_auth_enabled": (
        [{"eventhub_local_auth_enabled": v} for v in (None, True)] + [dict(ENTRA, eventhub_local_auth_enabled=False)],
        [{"eventhub_local_auth_enabled": False}]),
    "eventhub_entra_tenant_id": (
        [dict(ENTRA, eventhub_entra_tenant_id=v) for v in (GUID, "contoso.onmicrosoft.com")]
        + [dict(ENTRA, eventhub_entra_tenant_id=None, eventhub__entra_tenant=GUID),
           dict(ENTRA, eventhub_entra_credential="workload_identity", eventhub_entra_client_secret=None),
           dict(ENTRA, eventhub_entra_authority="https://login.microsoftonline.us/")],
        [dict(ENTRA, eventhub_entra_tenant_id=v) for v in (None, "", GUID + "\n", "contoso\n.com", "contoso.com\n", "x")]
        + [dict(ENTRA, eventhub_entra_client_id=v) for v in (None, "", GUID + "\n", "app-name", GUID[:-1])]
        + [dict(ENTRA, eventhub_entra_client_secret=v) for v in (None, "")]
        + [dict(ENTRA, eventhub_entra_authority=v) for v in ("http://login", "https://login.microsoftonline.com\n")]),
    "eventhub_entra_object_id": (
        [dict(ENTRA, eventhub_entra_object_id=None, eventhub_entra_role_assignment="skip"),
         dict(ENTRA, eventhub_entra_role_assignment="report")],
        [dict(ENTRA, eventhub_entra_object_id=v) for v in (None, "", GUID + "\n", "principal", GUID.upper() + "0")]
        + [dict(ENTRA, eventhub_entra_object_id=None, eventhub_entra_role_assignment="report")]),
    "eventhub_entra_assertion_file": (
        [dict(ENTRA, eventhub_entra_credential="workload_identity", eventhub_entra_assertion_file="/var/token")],
        [dict(ENTRA, eventhub_entra_credential="workload_identity", eventhub_entra_assertion_file=v)
         for v in ("token", "/a b", "/t\n", None)]),
    "eventhub_remove_sas_rule": (
        [dict(ENTRA, eventhub_remove_sas_rule=True), dict(ENTRA, eventhub_remove_sas_rule=False)],
        [{"eventhub_remove_sas_rule": True}, {"eventhub_remove_sas_rule": "yes"}]
        + [dict(ENTRA, eventhub_remove_sas_rule=True, eventhub_connect_rule_name=v)
           for v in ("RootManageSharedAccessKey", "rootmanagesharedaccesskey")]),
}

ROLES = {
    "kafka_connect": (_kafka_connect_inputs, KAFKA_CONNECT_CASES, KAFKA_CONNECT_BASE, kafka_connect_input_errors),
    "eventhub": (_eventhub_inputs, EVENTHUB_CASES, EVENTHUB_BASE, eventhub_input_errors),
}
SECRET_OPTIONS = {"kafka_connect_kafka_connection", "kafka_connect_sasl_password", "kafka_connect_sasl_jaas_config",
                  "kafka_connect_secret_settings", "kafka_connect_connector_secrets", "eventhub_entra_client_secret"}


def cases(kind: int) -> List[Any]:
    return [pytest.param(role, option, overrides, id="%s-%s-%d" % (role, option, index))
            for role, (_rules, table, _base, _check) in ROLES.items()
            for option, pair in table.items() for index, overrides in enumerate(pair[kind])]


@pytest.mark.parametrize("role", list(ROLES))
def test_every_option_has_a_rule_or_says_it_needs_none(role):
    rules, table, _base, _check = ROLES[role]
    assert not set(rules.RULES) & set(rules.NO_RULE), "an option is both ruled and unruled"
    assert sorted(options(role) - set(rules.RULES) - set(rules.NO_RULE)) == [], "options without a rule or a reason"
    assert sorted(set(rules.RULES) | set(rules.NO_RULE)) == sorted(options(role)), "rules for options the role lacks"
    assert sorted(set(rules.RULES) - set(table)) == [], "rules without bad values in this test"


@pytest.mark.parametrize("role", list(ROLES))
def test_the_defaults_pass(role):
    _rules, _table, base, check = ROLES[role]
    assert check(base) == []


@pytest.mark.parametrize("role, option, overrides", cases(0))
def test_a_good_value_passes(role, option, overrides):
    _rules, _table, base, check = ROLES[role]
    assert check(dict(base, **overrides)) == []


@pytest.mark.parametrize("role, option, overrides", cases(1))
def test_a_bad_value_is_refused_naming_only_what_fails(role, option, overrides):
    _rules, _table, base, check = ROLES[role]
    errors = check(dict(base, **overrides))
    assert len(errors) == 1, errors
    named = [key.split(".")[0] for key in overrides] + [option]
    assert any(name in errors[0] for name in named), errors
    assert SECRET not in errors[0]
    assert len(errors[0]) < 700, "a refusal names what fails, not every rule"
    # the failing option and at most the one it conflicts with, not every option of a group with its value
    mentioned = {name for name in options(role) if re.search(r"\b%s=" % re.escape(name), errors[0])}
    assert len(mentioned) <= 2, "values of options that pass: %s" % mentioned


def test_a_negative_rollout_timeout_names_that_option_alone():
    errors = kafka_connect_input_errors(dict(KAFKA_CONNECT_BASE, kafka_connect_rollout_timeout=-1))
    assert errors == ["kafka_connect_rollout_timeout=-1 must be 0 or more seconds."]


def test_a_bad_name_is_named_once_not_in_every_name_derived_from_it():
    errors = kafka_connect_input_errors(dict(KAFKA_CONNECT_BASE, kafka_connect_name="Kc", kafka_connect_configmap_name="Kc-config",
                                             kafka_connect_secret_name="Kc-secret", kafka_connect_service_account_name="Kc"))
    assert len(errors) == 1 and errors[0].startswith('kafka_connect_name="Kc"'), errors


def test_secret_values_never_reach_a_message():
    bad = dict(KAFKA_CONNECT_BASE, kafka_connect_bootstrap_servers="", kafka_connect_connector_secrets={"..": SECRET},
               kafka_connect_worker_settings={"database.password": SECRET})
    errors = kafka_connect_input_errors(bad)
    assert len(errors) == 3 and SECRET not in " ".join(errors)
    errors = eventhub_input_errors(dict(EVENTHUB_BASE, **dict(ENTRA, eventhub_entra_client_id="x", eventhub_entra_object_id="y")))
    assert len(errors) == 2 and SECRET not in " ".join(errors)


# A '$' that ends a pattern also matches before a trailing newline; full matches (re.fullmatch, '\Z') do not.
PYTHON_PATTERN = re.compile(r"""re\.(?:compile|match|search|fullmatch)\(\s*[rbu]*(["'])(?P<pattern>.*?)(?<!\\)\1""")
JINJA_PATTERN = re.compile(r"""\b(?:match|search|regex_search|regex_findall)\(\s*(?:[\w.]+\s*~\s*)?(["'])(?P<pattern>.*?)\1""")
END_ANCHOR = re.compile(r"(?<!\\)\$(?=$|[)|])")


def sources() -> List[Path]:
    return sorted([*(REPO / "plugins").rglob("*.py"), *(REPO / "roles").rglob("*.yml"), *(REPO / "roles").rglob("*.j2")])


def anchored(path: Path) -> List[str]:
    text = path.read_text(encoding="utf-8")
    finder = PYTHON_PATTERN if path.suffix == ".py" else JINJA_PATTERN
    return [match.group("pattern") for match in finder.finditer(text) if END_ANCHOR.search(match.group("pattern"))]


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(REPO)))
def test_no_validation_pattern_is_dollar_anchored(path):
    assert anchored(path) == []


@pytest.mark.parametrize("text", ['re.compile(r"^[a-z]+$")', "x is match('[a-z]+$')", "re.match(r'(-|$)', s)",
                                  "x | regex_search(name ~ '(-|$)')"])
def test_the_scan_finds_a_dollar_anchor(tmp_path, text):
    path = tmp_path / ("f.py" if text.startswith("re.") else "f.yml")
    path.write_text(text, encoding="utf-8")
    assert anchored(path)
