# SPDX-License-Identifier: GPL-3.0-or-later
"""eventhub_authorization_rule against the ARM test double: rights, Kafka settings, and keys never printed."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import FQCN, run_tasks, unique


def rule_task(namespace: str, name: str, **options: Any) -> dict:
    return {"name": "rule", FQCN + "eventhub_authorization_rule": dict(namespace_name=namespace, name=name, **options)}


def stored_rights(double: Any, namespace: str, rule: str) -> list:
    rules = {r["name"]: r for r in double.namespace(namespace).get("authorizationRules", [])}
    return sorted(rules[rule]["properties"]["rights"]) if rule in rules else []


def test_rule_created_then_idempotent_then_rights_diff_then_absent(arm_double: Any, standard_namespace: str,
                                                                   tmp_path: Path) -> None:
    rule = unique("kc-")
    created = run_tasks(arm_double, tmp_path, [rule_task(standard_namespace, rule, rights=["Listen", "Send"])])
    assert created.returncode == 0, created.output
    assert created.task("rule")["changed"] is True
    assert stored_rights(arm_double, standard_namespace, rule) == ["Listen", "Send"]

    arm_double.clear_requests()
    again = run_tasks(arm_double, tmp_path, [rule_task(standard_namespace, rule, rights=["Send", "Listen"])])
    assert again.task("rule")["changed"] is False
    assert arm_double.writes() == []

    more = run_tasks(arm_double, tmp_path, [rule_task(standard_namespace, rule, rights=["Listen", "Send", "Manage"])],
                     "--diff")
    assert more.returncode == 0, more.output
    diff = more.task("rule")["diff"]
    assert (diff["before"]["rights"], diff["after"]["rights"]) == (["Listen", "Send"], ["Listen", "Manage", "Send"])
    assert stored_rights(arm_double, standard_namespace, rule) == ["Listen", "Manage", "Send"]

    gone = run_tasks(arm_double, tmp_path, [rule_task(standard_namespace, rule, state="absent")])
    assert gone.task("rule")["changed"] is True
    assert stored_rights(arm_double, standard_namespace, rule) == []


def test_manage_without_listen_and_send_is_refused(arm_double: Any, standard_namespace: str, tmp_path: Path) -> None:
    arm_double.clear_requests()
    run = run_tasks(arm_double, tmp_path, [rule_task(standard_namespace, unique("bad-"), rights=["Manage"])])
    assert run.returncode != 0
    assert "the Manage right needs Listen and Send" in run.task("rule")["msg"]
    assert arm_double.writes() == []


def test_check_mode_on_a_fresh_rule_writes_nothing(arm_double: Any, standard_namespace: str, tmp_path: Path) -> None:
    arm_double.clear_requests()
    run = run_tasks(arm_double, tmp_path, [rule_task(standard_namespace, unique("chk-"), return_keys=True)], "--check")
    assert run.returncode == 0, run.output
    assert run.task("rule")["changed"] is True
    assert arm_double.writes() == []


def test_keys_reach_the_registered_variable_but_never_the_output_at_vvvv(
        arm_double: Any, standard_namespace: str, tmp_path: Path) -> None:
    rule = unique("kafka-")
    saved = tmp_path / "registered.json"
    tasks = [
        dict(rule_task(standard_namespace, rule, rights=["Listen", "Send"], return_keys=True), register="sas"),
        {"name": "keep what was registered", "no_log": True,
         "ansible.builtin.copy": {"content": "{{ sas | to_json }}", "dest": str(saved), "mode": "0600"}},
        {"name": "hub-level rule", FQCN + "eventhub_authorization_rule": {
            "namespace_name": standard_namespace, "name": rule, "eventhub_name": unique("hub-"), "return_keys": True},
         "ignore_errors": True},
    ]
    run = run_tasks(arm_double, tmp_path, tasks, "-vvvv", callback="ansible.builtin.default")
    assert "ok=2" in run.output or "changed=2" in run.output, run.output
    registered = json.loads(saved.read_text(encoding="utf-8"))
    keys = registered["keys"]
    kafka = registered["kafka"]
    assert kafka["bootstrap_servers"] == "%s.servicebus.windows.net:9093" % standard_namespace
    assert (kafka["security_protocol"], kafka["sasl_mechanism"]) == ("SASL_SSL", "PLAIN")
    assert kafka["sasl_jaas_config"] == (
        'org.apache.kafka.common.security.plain.PlainLoginModule required username="$ConnectionString" '
        'password="%s";' % keys["primary_connection_string"])
    assert "EntityPath" not in keys["primary_connection_string"]
    secrets = [keys["primary_connection_string"], keys["secondary_connection_string"], keys["primary_key"],
               keys["secondary_key"], arm_double.client_secret]
    assert all(secrets)
    for secret in secrets:
        assert secret not in run.output
    # Any connection string, including the event-hub-level rule's, would carry this.
    assert "SharedAccessKey=" not in run.output
    assert run.output.count("the output has been hidden") >= 2
    assert keys["primary_connection_string"] in arm_double.kafka_passwords()
