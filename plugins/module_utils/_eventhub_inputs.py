# SPDX-License-Identifier: GPL-3.0-or-later
"""The eventhub role's input rules for its own variables: authentication, Entra ID identity, the SAS rule's removal.

Every option of the role's meta/argument_specs.yml is in RULES or in NO_RULE (a unit test holds the two together).
The role asserts, before its first write, that these rules and then the topic plan (names, partitions, retention,
tier limits: plugins/module_utils/_topic_plan.py) find nothing. A message names only the option that fails, its
value unless it is secret, and what is allowed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Callable, Dict, List

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._entra import (
    is_guid,
    oauthbearer_errors,
)

# The namespace's own SAS rule: every namespace has it, and deleting it locks out whoever manages the namespace by key.
ROOT_RULE = "RootManageSharedAccessKey"
ABSOLUTE_PATH = re.compile(r"/[^\s]*")

Values = Mapping
Rule = Callable[[Values], List[str]]


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on", "y", "t")
    return bool(value)


def _entra(values: Values) -> bool:
    return values.get("eventhub_kafka_auth", "sas") == "entra"


def _local_auth(values: Values) -> List[str]:
    local = values.get("eventhub_local_auth_enabled")
    if local is None or _bool(local) or _entra(values):
        return []
    return ["eventhub_local_auth_enabled=false turns SAS keys off, so eventhub_kafka_auth=sas cannot log in: use "
            "eventhub_kafka_auth=entra or leave local auth on."]


def _identity(values: Values) -> List[str]:
    """Tenant, client id, secret, credential and authority, by the rules the Entra ID Kafka settings are built with."""
    if not _entra(values):
        return []
    return [error + "." for error in oauthbearer_errors(
        values.get("eventhub__entra_tenant") or values.get("eventhub_entra_tenant_id"),
        values.get("eventhub_entra_client_id"), values.get("eventhub_entra_client_secret"),
        values.get("eventhub_entra_credential", "client_secret"), values.get("eventhub_entra_authority"))]


def _object_id(values: Values) -> List[str]:
    if not _entra(values) or values.get("eventhub_entra_role_assignment", "assign") == "skip":
        return []
    value = values.get("eventhub_entra_object_id")
    if is_guid(value):
        return []
    return ["eventhub_entra_object_id=%s must be the object id of Connect's service principal, a GUID (not the "
            "application id), for the role assignments; or set eventhub_entra_role_assignment=skip."
            % json.dumps(value)]


def _assertion_file(values: Values) -> List[str]:
    if not _entra(values) or values.get("eventhub_entra_credential") != "workload_identity":
        return []
    value = values.get("eventhub_entra_assertion_file")
    if isinstance(value, str) and ABSOLUTE_PATH.fullmatch(value):
        return []
    return ["eventhub_entra_assertion_file=%s must be an absolute path without spaces (the federated token file)."
            % json.dumps(value)]


def _remove_sas_rule(values: Values) -> List[str]:
    if not _bool(values.get("eventhub_remove_sas_rule")):
        return []
    if not _entra(values):
        return ["eventhub_remove_sas_rule=true deletes Connect's SAS rule after a switch to Entra ID, but "
                "eventhub_kafka_auth=%s logs in with that rule: set eventhub_kafka_auth=entra or "
                "eventhub_remove_sas_rule=false." % values.get("eventhub_kafka_auth", "sas")]
    name = values.get("eventhub_connect_rule_name")
    if isinstance(name, str) and name.lower() == ROOT_RULE.lower():
        return ["eventhub_remove_sas_rule=true with eventhub_connect_rule_name=%s would delete the namespace's own "
                "rule; the role removes only a rule it created for Connect." % json.dumps(name)]
    return []


RULES: Dict[str, Rule] = {
    "eventhub_local_auth_enabled": _local_auth,
    "eventhub_entra_tenant_id": _identity,
    "eventhub_entra_object_id": _object_id,
    "eventhub_entra_assertion_file": _assertion_file,
    "eventhub_remove_sas_rule": _remove_sas_rule,
}

NO_RULE: Dict[str, str] = {
    "eventhub_namespace_name": "checked by the topic plan (namespace_name_error) before any write",
    "eventhub_resource_group": "checked by the eventhub module before its first call",
    "eventhub_location": "any Azure region; Azure names a wrong one",
    "eventhub_sku": "choices",
    "eventhub_capacity": "checked by the topic plan (the tier's limits)",
    "eventhub_tags": "a dict, passed as given",
    "eventhub_connect_config_topic": "checked by the topic plan (hub_name_error)",
    "eventhub_connect_offsets_topic": "checked by the topic plan (hub_name_error)",
    "eventhub_connect_offsets_partitions": "checked by the topic plan (the tier's partition limits)",
    "eventhub_connect_status_topic": "checked by the topic plan (hub_name_error)",
    "eventhub_connect_status_partitions": "checked by the topic plan (the tier's partition limits)",
    "eventhub_connect_tombstone_retention_hours": "checked by the topic plan (the tier's retention limits)",
    "eventhub_topics": "checked by the topic plan (names, partitions, retention)",
    "eventhub_connectors": "checked by the topic plan and the connector-list rules",
    "eventhub_topic_default_partitions": "checked by the topic plan (the tier's partition limits)",
    "eventhub_topic_default_retention_hours": "checked by the topic plan (the tier's retention limits)",
    "eventhub_connect_rule_name": "checked by the topic plan (rule_name_error); with eventhub_remove_sas_rule",
    "eventhub_topic_auto_create": "a bool",
    "eventhub_kafka_auth": "choices; its rules are the Entra ID options'",
    "eventhub_entra_client_id": "checked with eventhub_entra_tenant_id",
    "eventhub_entra_client_secret": "checked with eventhub_entra_tenant_id",
    "eventhub_entra_credential": "choices; checked with eventhub_entra_tenant_id",
    "eventhub_entra_authority": "checked with eventhub_entra_tenant_id",
    "eventhub_entra_role_assignment": "choices; checked with eventhub_entra_object_id",
    "eventhub_teardown_delete_namespace": "a bool",
}


def eventhub_input_errors(values: Values) -> List[str]:
    """What is wrong with the role's own variables, one message per failing rule."""
    errors: List[str] = []
    for rule in RULES.values():
        errors += rule(values)
    return errors
