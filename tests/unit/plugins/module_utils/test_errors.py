# SPDX-License-Identifier: GPL-3.0-or-later
"""The one exception base: a code shows once in the message."""

from __future__ import annotations

import os
import sys
from typing import Any

# `make setup` links the checkout as ansible_collections/streamops/eventhub_connect here
sys.path.insert(0, os.path.join(os.path.dirname(__file__), *[".."] * 3, "output", "collections"))

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._azure import AzureApiError  # noqa: E402
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._errors import ModuleError  # noqa: E402


def test_the_code_prefixes_the_message():
    assert str(ModuleError("event hub 'x' exists", code="Conflict")) == "Conflict: event hub 'x' exists"


def test_a_message_that_already_starts_with_its_code_is_not_prefixed_again():
    assert str(AzureApiError("Conflict: SubCode=40900", code="Conflict")) == "Conflict: SubCode=40900"


def test_a_message_without_code_stands_alone():
    assert str(ModuleError("name must not be empty")) == "name must not be empty"


# --- the fail path: handled failures carry no traceback, unexpected ones keep theirs --------------------------
import json  # noqa: E402

import pytest  # noqa: E402
from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible.module_utils.testing import patch_module_args  # noqa: E402

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._errors import (  # noqa: E402
    InvalidInput,
    run_module,
)


@pytest.fixture(autouse=True)
def fresh_traceback_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """ansible-core caches the module's traceback settings once per process, and a test that loads the controller's
    display replaces the module's check with the controller's: each test gets the module's, with its own settings."""
    from ansible.module_utils._internal import _traceback  # pylint: disable=import-outside-toplevel

    monkeypatch.setattr(_traceback, "_module_tracebacks_enabled_events", None)
    monkeypatch.setattr(_traceback, "_is_traceback_enabled", _traceback._is_module_traceback_enabled)


def fail_through_run_module(capsys: Any, error: Exception, tracebacks: list) -> dict:
    def run() -> dict:
        try:
            raise KeyError("inner")  # a chained cause, as azure_call raises AzureApiError from the SDK's error
        except KeyError:
            raise error  # pylint: disable=raise-missing-from

    with patch_module_args({"_ansible_tracebacks_for": tracebacks}):
        module = AnsibleModule(argument_spec={})
        with pytest.raises(SystemExit):
            run_module(module, run)
    return json.loads(capsys.readouterr().out)


HANDLED = [ModuleError("namespace is being deleted", code="Conflict", details={"state": "Deleting"}),
           InvalidInput("name must not be empty", code="InvalidParameter"),
           AzureApiError("The client does not have authorization", code="AuthorizationFailed", status=403)]


@pytest.mark.parametrize("tracebacks", [["error"], []], ids=["tracebacks-on", "tracebacks-off"])
@pytest.mark.parametrize("error", HANDLED, ids=lambda e: type(e).__name__)
def test_a_handled_failure_carries_no_traceback(capsys: Any, error: ModuleError, tracebacks: list) -> None:
    result = fail_through_run_module(capsys, error, tracebacks)
    assert result["failed"] is True and result["msg"] == str(error) and result["error_code"] == error.code
    assert "exception" not in result
    for key, value in error.details.items():
        assert result[key] == value


def test_an_unexpected_exception_keeps_its_traceback(capsys: Any) -> None:
    result = fail_through_run_module(capsys, ValueError("no JSON object could be decoded"), ["error"])
    assert result["msg"].startswith("unexpected ValueError: no JSON object could be decoded")
    assert "Traceback" in result["exception"] and "ValueError" in result["exception"]
