# SPDX-License-Identifier: GPL-3.0-or-later
"""Entra ID (eventhub_kafka_auth=entra) against the ARM test double: eventhub_role_assignment in its two modes,
and the eventhub role switching from SAS to Entra ID, read back from the double."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import FQCN, run_tasks, unique
from test_eventhub_role import rules, run_role

SENDER, RECEIVER, OWNER = "Azure Event Hubs Data Sender", "Azure Event Hubs Data Receiver", "Azure Event Hubs Data Owner"
ROLE_IDS = {SENDER: "2b629674-e913-4c01-ae53-ef4638d8f975", RECEIVER: "a638d3c7-ab3a-418d-83e6-5f17a39d4fde",
            OWNER: "f526a384-b230-433a-b45c-95f59c4a2dec"}


def assignment_task(double: Any, namespace: str, **options: Any) -> dict:
    options = {"namespace_name": namespace, "principal_id": double.connect_object_id, "roles": [SENDER, RECEIVER], **options}
    return {"name": "roles", FQCN + "eventhub_role_assignment": options}


def held(double: Any, namespace: str) -> set:
    names = {role_id: name for name, role_id in ROLE_IDS.items()}
    return {names[a["roleDefinitionId"].rsplit("/", 1)[-1]] for a in double.state()["roleAssignments"]
            if a["scope"].lower().endswith("/namespaces/" + namespace) and a["principalId"] == double.connect_object_id}


def test_assign_in_check_mode_then_for_real_then_idempotent_then_absent(arm_double: Any, standard_namespace: str,
                                                                        tmp_path: Path) -> None:
    arm_double.clear_requests()
    check = run_tasks(arm_double, tmp_path, [assignment_task(arm_double, standard_namespace)], "--check", "--diff")
    assert check.returncode == 0, check.output
    result = check.task("roles")
    assert result["changed"] is True and result["missing"] == [RECEIVER, SENDER]
    assert result["diff"] == {"before": {"roles": []}, "after": {"roles": [RECEIVER, SENDER]}}
    assert arm_double.writes() == [] and held(arm_double, standard_namespace) == set()

    made = run_tasks(arm_double, tmp_path, [assignment_task(arm_double, standard_namespace)])
    assert made.returncode == 0, made.output
    assert made.task("roles")["changed"] is True and held(arm_double, standard_namespace) == {SENDER, RECEIVER}

    arm_double.clear_requests()
    again = run_tasks(arm_double, tmp_path, [assignment_task(arm_double, standard_namespace)])
    assert again.task("roles")["changed"] is False and again.task("roles")["missing"] == []
    assert arm_double.writes() == []

    gone = run_tasks(arm_double, tmp_path, [assignment_task(arm_double, standard_namespace, state="absent")])
    assert gone.returncode == 0, gone.output
    assert gone.task("roles")["changed"] is True and held(arm_double, standard_namespace) == set()


def test_report_mode_names_what_is_missing_and_a_403_says_so(arm_double: Any, standard_namespace: str,
                                                             tmp_path: Path) -> None:
    arm_double.allow_role_assignment_writes(False)
    try:
        arm_double.clear_requests()
        report = run_tasks(arm_double, tmp_path, [assignment_task(arm_double, standard_namespace, roles=[OWNER], mode="report",
                                                                  fail_on_missing=False)])
        assert report.returncode == 0, report.output
        result = report.task("roles")
        assert result["changed"] is False and result["missing"] == [OWNER]
        assert result["commands"] == ['az role assignment create --assignee-object-id %s --assignee-principal-type '
                                      'ServicePrincipal --role "%s" --scope %s' % (arm_double.connect_object_id, OWNER,
                                                                                   result["scope"])]
        strict = run_tasks(arm_double, tmp_path, [assignment_task(arm_double, standard_namespace, roles=[OWNER], mode="report")])
        assert strict.returncode != 0 and strict.task("roles")["error_code"] == "RoleAssignmentMissing"
        assert OWNER in strict.task("roles")["msg"] and "az role assignment create" in strict.task("roles")["msg"]
        assert arm_double.writes() == []

        refused = run_tasks(arm_double, tmp_path, [assignment_task(arm_double, standard_namespace, roles=[OWNER])])
        assert refused.returncode != 0 and refused.task("roles")["error_code"] == "AuthorizationFailed"
        assert "mode=report" in refused.task("roles")["msg"] and OWNER in refused.task("roles")["msg"]
    finally:
        arm_double.allow_role_assignment_writes(True)


def test_bad_principal_is_refused_before_any_call(arm_double: Any, standard_namespace: str, tmp_path: Path) -> None:
    arm_double.clear_requests()
    run = run_tasks(arm_double, tmp_path, [assignment_task(arm_double, standard_namespace, principal_id=arm_double.connect_client_id[:8])])
    assert run.returncode != 0 and "principal_id must be the principal's object id" in run.task("roles")["msg"]
    assert [r for r in arm_double.requests() if "roleAssignments" in r["path"]] == []


def entra_vars(double: Any, **extra: Any) -> dict:
    return {"eventhub_kafka_auth": "entra", "eventhub_entra_client_id": double.connect_client_id,
            "eventhub_entra_client_secret": double.connect_client_secret, "eventhub_entra_object_id": double.connect_object_id,
            **extra}


def test_switch_from_sas_to_entra_keeps_the_rule_until_asked_and_turns_local_auth_off(arm_double: Any, tmp_path: Path) -> None:
    namespace = unique("ehentra-")
    changed, failed, output = run_role(arm_double, tmp_path, namespace)
    assert failed == 0 and "kafka-connect" in rules(arm_double, namespace), output

    changed, failed, output = run_role(arm_double, tmp_path, namespace, "main", "-vvvv",
                                       **entra_vars(arm_double, eventhub_local_auth_enabled=False))
    assert failed == 0 and changed > 0, output
    assert arm_double.connect_client_secret not in output
    assert arm_double.namespace(namespace)["properties"]["disableLocalAuth"] is True
    assert held(arm_double, namespace) == {SENDER, RECEIVER}
    assert "kafka-connect" in rules(arm_double, namespace), "the SAS rule stays unless eventhub_remove_sas_rule"

    arm_double.clear_requests()
    changed, failed, output = run_role(arm_double, tmp_path, namespace, **entra_vars(arm_double, eventhub_local_auth_enabled=False))
    assert (changed, failed) == (0, 0), output
    assert arm_double.writes() == []

    changed, failed, output = run_role(arm_double, tmp_path, namespace, **entra_vars(
        arm_double, eventhub_local_auth_enabled=False, eventhub_remove_sas_rule=True, eventhub_topic_auto_create=True))
    assert failed == 0, output
    assert "kafka-connect" not in rules(arm_double, namespace)
    assert held(arm_double, namespace) == {SENDER, RECEIVER, OWNER}


def test_the_published_connection_carries_kafkas_oauth_settings(arm_double: Any, standard_namespace: str, tmp_path: Path) -> None:
    saved = tmp_path / "connection.json"
    role = {"name": "role", "ansible.builtin.include_role": {"name": "streamops.eventhub_connect.eventhub"},
            "vars": {"eventhub_namespace_name": standard_namespace, "eventhub_resource_group": arm_double.resource_group,
                     "eventhub_connect_offsets_partitions": 2, "eventhub_connect_status_partitions": 1,
                     **entra_vars(arm_double, eventhub_entra_authority=arm_double.url)}}
    keep = {"name": "keep", "no_log": True, "ansible.builtin.copy": {"content": "{{ eventhub_kafka_connection | to_json }}",
                                                                     "dest": str(saved), "mode": "0600"}}
    run = run_tasks(arm_double, tmp_path, [role, keep])
    assert run.returncode == 0, run.output
    assert arm_double.connect_client_secret not in run.output
    connection = json.loads(saved.read_text(encoding="utf-8"))
    url = "%s/%s/oauth2/v2.0/token" % (arm_double.url, arm_double.tenant)
    assert connection["sasl_mechanism"] == "OAUTHBEARER" and connection["sasl_oauthbearer_token_endpoint_url"] == url
    assert connection["sasl_oauthbearer_scope"] == "https://%s.servicebus.windows.net/.default" % standard_namespace
    assert 'clientSecret="%s"' % arm_double.connect_client_secret in connection["sasl_jaas_config"]
    assert connection["jvm_options"] == "-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=" + url


def test_sas_with_local_auth_off_is_refused_before_any_write(arm_double: Any, tmp_path: Path) -> None:
    arm_double.clear_requests()
    changed, failed, output = run_role(arm_double, tmp_path, unique("ehsas-"), eventhub_local_auth_enabled=False)
    assert failed == 1 and "eventhub_kafka_auth=sas cannot log in" in output
    assert arm_double.writes() == []


# Each refused by the role's input rules (plugins/module_utils/_eventhub_inputs.py) before the namespace is written.
REFUSED_BEFORE_ANY_WRITE = {
    "object id with a newline": ({"eventhub_entra_object_id": "{object_id}\n"}, "eventhub_entra_object_id="),
    "application id as object id": ({"eventhub_entra_object_id": "app-{object_id}"}, "not the application id"),
    "client id with a newline": ({"eventhub_entra_client_id": "{client_id}\n"}, "eventhub_entra_client_id must be"),
    "tenant with a newline": ({"eventhub_entra_tenant_id": "contoso.onmicrosoft.com\n"}, "eventhub_entra_tenant_id must be"),
    "removing the root rule": ({"eventhub_remove_sas_rule": True, "eventhub_connect_rule_name": "RootManageSharedAccessKey"},
                               "would delete the namespace's own rule"),
    "removing the rule sas logs in with": ({"eventhub_kafka_auth": "sas", "eventhub_remove_sas_rule": True},
                                           "eventhub_kafka_auth=sas logs in with that rule"),
}


@pytest.mark.parametrize("case", list(REFUSED_BEFORE_ANY_WRITE))
def test_bad_entra_input_is_refused_before_any_write(arm_double: Any, tmp_path: Path, case: str) -> None:
    overrides, message = REFUSED_BEFORE_ANY_WRITE[case]
    values = {key: value.format(object_id=arm_double.connect_object_id, client_id=arm_double.connect_client_id)
              if isinstance(value, str) else value for key, value in overrides.items()}
    arm_double.clear_requests()
    changed, failed, output = run_role(arm_double, tmp_path, unique("ehbad-"), **entra_vars(arm_double, **values))
    assert failed == 1 and message in output, output
    assert arm_double.connect_client_secret not in output
    assert arm_double.writes() == []
