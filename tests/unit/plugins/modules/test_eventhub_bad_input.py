# SPDX-License-Identifier: GPL-3.0-or-later
"""Bad input to the Event Hubs modules: refused before any Azure client exists, naming the field and what is allowed."""

from __future__ import annotations

import os
import sys
from typing import Any, Dict, List, Tuple

import pytest

# `make setup` links the checkout as ansible_collections/streamops/eventhub_connect here
sys.path.insert(0, os.path.join(os.path.dirname(__file__), *[".."] * 3, "output", "collections"))

from ansible.module_utils import basic  # noqa: E402
from ansible.module_utils.testing import patch_module_args  # noqa: E402

from ansible_collections.streamops.eventhub_connect.plugins.module_utils import (  # noqa: E402
    _eventhub_namespace,
    _eventhub_rule,
)
from ansible_collections.streamops.eventhub_connect.plugins.modules import (  # noqa: E402
    eventhub,
    eventhub_authorization_rule,
    eventhub_info,
    eventhub_namespace,
    eventhub_role_assignment,
)

MODULES = {"eventhub": eventhub, "eventhub_namespace": eventhub_namespace,
           "eventhub_authorization_rule": eventhub_authorization_rule, "eventhub_info": eventhub_info,
           "eventhub_role_assignment": eventhub_role_assignment}
BASE: Dict[str, Dict[str, Any]] = {
    "eventhub": {"namespace_name": "contoso-ehns", "resource_group": "rg", "name": "orders"},
    "eventhub_namespace": {"name": "contoso-ehns", "resource_group": "rg", "location": "westeurope"},
    "eventhub_authorization_rule": {"name": "kafka", "namespace_name": "contoso-ehns", "resource_group": "rg"},
    "eventhub_info": {"namespace_name": "contoso-ehns", "resource_group": "rg"},
    "eventhub_role_assignment": {"namespace_name": "contoso-ehns", "resource_group": "rg",
                                 "principal_id": "6f1c3a7e-0d2b-4c55-9b7e-1a2b3c4d5e6f",
                                 "roles": ["Azure Event Hubs Data Sender"]},
}

# (module, options over BASE, words the message must hold: the field and what is allowed)
BAD_INPUTS: List[Tuple[str, Dict[str, Any], Tuple[str, ...]]] = [
    ("eventhub_namespace", {"name": "contoso-ehns\n"}, ("namespace name", "6-50 letters")),
    ("eventhub_namespace", {"name": "contoso-sb"}, ("namespace name", "-sb or -mgmt")),
    ("eventhub_namespace", {"name": "contoso-MGMT"}, ("namespace name", "-sb or -mgmt")),
    ("eventhub_namespace", {"name": "9contoso"}, ("namespace name", "starting with a letter")),
    ("eventhub_namespace", {"name": ""}, ("namespace name", "6-50")),
    ("eventhub_namespace", {"resource_group": ""}, ("resource_group", "1-90")),
    ("eventhub_namespace", {"resource_group": "rg."}, ("resource_group", "not ending with '.'")),
    ("eventhub_namespace", {"resource_group": "rg\n"}, ("resource_group", "1-90")),
    ("eventhub_namespace", {"wait_timeout": -1}, ("wait_timeout", "at least 0")),
    ("eventhub_namespace", {"polling_interval": 0}, ("polling_interval", "greater than 0")),
    ("eventhub_namespace", {"polling_interval": -5}, ("polling_interval", "greater than 0")),
    ("eventhub_namespace", {"auto_inflate": False, "maximum_throughput_units": 10},
     ("maximum_throughput_units", "auto_inflate=true")),
    ("eventhub_namespace", {"maximum_throughput_units": 10}, ("maximum_throughput_units", "auto_inflate=true")),
    ("eventhub_namespace", {"sku": "Premium", "auto_inflate": True, "maximum_throughput_units": 30},
     ("auto-inflate is only available on Standard",)),
    ("eventhub_namespace", {"sku": "Basic"}, ("Basic tier has no Kafka endpoint", "require_kafka=false")),
    ("eventhub_namespace", {"sku": "Premium", "capacity": 3}, ("capacity 3", "1, 2, 4, 8, 16")),
    ("eventhub_namespace", {"sku": "Standard", "capacity": 41}, ("capacity 41", "1-40")),
    ("eventhub_namespace", {"sku": "Standard", "auto_inflate": True, "capacity": 4, "maximum_throughput_units": 2},
     ("maximum_throughput_units 2", "between capacity (4) and 40")),
    ("eventhub", {"name": "orders\n"}, ("event hub name", "1-256 letters")),
    ("eventhub", {"name": "_orders"}, ("event hub name", "starting and ending with a letter or digit")),
    ("eventhub", {"name": ""}, ("event hub name", "1-256")),
    ("eventhub", {"namespace_name": ""}, ("namespace name", "6-50")),
    ("eventhub", {"namespace_name": "contoso-ehns\n"}, ("namespace name", "6-50")),
    ("eventhub", {"resource_group": ""}, ("resource_group", "1-90")),
    ("eventhub", {"partition_count": 0}, ("partition_count must be at least 1", "not 0")),
    ("eventhub", {"partition_count": -3}, ("partition_count must be at least 1",)),
    ("eventhub", {"retention_hours": 0}, ("retention_hours must be at least 1", "not 0")),
    ("eventhub", {"retention_days": 0}, ("retention_days must be at least 1",)),
    ("eventhub", {"cleanup_policy": "compact", "tombstone_retention_hours": -1},
     ("tombstone_retention_hours must be at least 0",)),
    ("eventhub", {"max_workers": 0}, ("max_workers must be at least 1",)),
    ("eventhub", {"name": None, "hubs": [{"name": "a"}, {"name": "A"}]}, ("listed twice",)),
    ("eventhub", {"cleanup_policy": "compact", "retention_hours": 24}, ("compacted hub has no time retention",)),
    ("eventhub", {"name": None, "hubs": [{"name": "ok", "partition_count": 0}, {"name": "bad\n"}]},
     ("'ok': partition_count must be at least 1", "event hub name 'bad\\n'")),
    ("eventhub_authorization_rule", {"name": "kafka\n"}, ("authorization rule name", "1-50 letters")),
    ("eventhub_authorization_rule", {"name": ""}, ("authorization rule name", "1-50")),
    ("eventhub_authorization_rule", {"namespace_name": ""}, ("namespace name", "6-50")),
    ("eventhub_authorization_rule", {"resource_group": ""}, ("resource_group", "1-90")),
    ("eventhub_authorization_rule", {"eventhub_name": ""}, ("event hub name", "1-256")),
    ("eventhub_authorization_rule", {"rights": []}, ("rights must name at least one of Listen, Send, Manage",)),
    ("eventhub_role_assignment", {"principal_id": "connect-app"}, ("principal_id must be the principal's object id", "GUID")),
    ("eventhub_role_assignment", {"roles": []}, ("roles must name at least one of", "Azure Event Hubs Data Owner")),
    ("eventhub_role_assignment", {"namespace_name": "x"}, ("namespace name", "6-50")),
    ("eventhub_authorization_rule", {"rights": ["Manage"]}, ("Manage right needs Listen and Send",)),
    ("eventhub", {"namespace": {"location": "westeurope", "sku": "Basic"}},
     ("Basic tier has no Kafka endpoint", "require_kafka=false")),
    ("eventhub", {"namespace": {"maximum_throughput_units": 10}}, ("maximum_throughput_units", "auto_inflate=true")),
    ("eventhub", {"namespace": {"polling_interval": 0}}, ("polling_interval", "greater than 0")),
    ("eventhub", {"namespace_name": "", "namespace": {}}, ("namespace name", "6-50")),
    ("eventhub", {"authorization_rule": {"name": "bad rule"}}, ("authorization rule name", "1-50 letters")),
    ("eventhub", {"authorization_rule": {"name": "kafka", "rights": ["Manage"]}},
     ("Manage right needs Listen and Send",)),
    ("eventhub", {"state": "absent", "namespace": {"location": "westeurope"}}, ("state=present only",)),
    ("eventhub", {"state": "absent", "authorization_rule": {"name": "kafka"}}, ("state=present only",)),
    ("eventhub_info", {"namespace_name": ""}, ("namespace name", "6-50")),
    ("eventhub_info", {"resource_group": "  "}, ("resource_group", "1-90")),
]


class ModuleExit(Exception):
    def __init__(self, failed: bool, result: Dict[str, Any]) -> None:
        super().__init__(result.get("msg", ""))
        self.failed = failed
        self.result = result


@pytest.fixture(autouse=True)
def no_azure(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every exit is captured; any attempt to build an Azure client (the first request) fails the test."""
    def exit_json(self: Any, **kwargs: Any) -> None:
        raise ModuleExit(False, kwargs)

    def fail_json(self: Any, msg: str, **kwargs: Any) -> None:
        raise ModuleExit(True, dict(kwargs, msg=msg))

    def no_client(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("an Azure client was built: the input reached Azure")

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
    # the namespace's and the rule's managers live in module_utils, shared with the eventhub module
    for module in list(MODULES.values()) + [_eventhub_namespace, _eventhub_rule]:
        for factory in ("eventhub_client", "authorization_client"):
            if hasattr(module, factory):
                monkeypatch.setattr(module, factory, no_client)
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", "00000000-0000-0000-0000-000000000000")


def run(module_name: str, options: Dict[str, Any]) -> ModuleExit:
    args = dict(BASE[module_name], **options)
    with patch_module_args({key: value for key, value in args.items() if value is not None}):
        with pytest.raises(ModuleExit) as caught:
            MODULES[module_name].main()
    return caught.value


@pytest.mark.parametrize("module_name,options,words", BAD_INPUTS,
                         ids=["%s-%s" % (row[0], "-".join("%s=%r" % kv for kv in row[1].items())) for row in BAD_INPUTS])
def test_bad_input_is_refused_before_any_request_naming_the_field(module_name: str, options: Dict[str, Any],
                                                                  words: Tuple[str, ...]) -> None:
    outcome = run(module_name, options)
    assert outcome.failed, outcome.result
    message = outcome.result["msg"]
    for word in words:
        assert word in message, message
    assert outcome.result.get("error_code") == "InvalidParameter"
    assert message.count("InvalidParameter") == 1


def test_the_namespace_name_is_refused_once_in_a_combined_call() -> None:
    message = run("eventhub", {"namespace_name": "9contoso", "namespace": {"location": "westeurope"},
                               "authorization_rule": {"name": "kafka"}}).result["msg"]
    assert message.count("starting with a letter") == 1, message


def test_premium_auto_inflate_refusal_is_one_message() -> None:
    message = run("eventhub_namespace", {"sku": "Premium", "auto_inflate": True,
                                         "maximum_throughput_units": 30})
    assert message.result["msg"] == "InvalidParameter: auto-inflate is only available on Standard, not Premium"
