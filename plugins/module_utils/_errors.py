# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is **PRIVATE** to the collection. It can change at any time.
"""The one exception base every module reports, and the one way a module exits."""

from __future__ import annotations

import inspect
import traceback
from typing import Any, Callable, Dict, Optional

from ansible.module_utils.basic import AnsibleModule


class ModuleError(Exception):
    """A failure to report to the user: a message, an optional code, and result fields.

    Local refusals (bad input) and answers of a peer (Azure, Kafka Connect) both end here, so a
    module translates one exception type and every failure reads the same. These failures are
    expected: the message says what happened, and no traceback goes with it.
    """

    def __init__(self, message: str, code: Optional[str] = None,
                 details: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = details or {}

    def __str__(self) -> str:
        # the code once: a message that already starts with it is not prefixed again
        if self.code and not self.message.startswith(self.code):
            return "%s: %s" % (self.code, self.message)
        return self.message


class InvalidInput(ModuleError):
    """Bad input, refused before anything is changed."""


def without_traceback(module: AnsibleModule) -> Dict[str, Any]:
    """fail_json keywords that keep a traceback out of the result of a handled failure.

    ansible-core 2.19+ (fail_json with an `exception` keyword) records the pending exception's traceback, or the
    call stack, whenever tracebacks are on (ANSIBLE_DISPLAY_TRACEBACK), unless `exception` is an empty string;
    older releases record one only when the key is present, or at -vvv from inside an `except` block, which
    run_module leaves before it fails.
    """
    try:
        takes_exception = "exception" in inspect.signature(module.fail_json).parameters
    except (TypeError, ValueError):
        takes_exception = False
    return {"exception": ""} if takes_exception else {}


def unexpected_failure(exc: Exception) -> str:
    return ("unexpected %s: %s (a bug of the collection, or an answer it does not know; the traceback is in the "
            "result's exception, shown with -vvv or ANSIBLE_DISPLAY_TRACEBACK=error)" % (type(exc).__name__, exc))


def run_module(module: AnsibleModule, run: Callable[[], Dict[str, Any]]) -> None:
    """Exit with the manager's result, or fail with the error's message and fields.

    A ModuleError is an expected failure and carries no traceback; any other exception is unexpected and keeps
    its traceback, for the bug report.
    """
    failure: Optional[ModuleError] = None
    result: Dict[str, Any] = {}
    try:
        result = run()
    except ModuleError as exc:
        failure = exc
    except Exception as exc:  # pylint: disable=broad-exception-caught
        module.fail_json(msg=unexpected_failure(exc), exception=traceback.format_exc())
    if failure is None:
        module.exit_json(**result)
        return
    # outside the except block: nothing is pending for fail_json to pick a traceback from
    extra: Dict[str, Any] = {"error_code": failure.code} if failure.code else {}
    extra.update(failure.details)
    extra.update(without_traceback(module))
    module.fail_json(msg=str(failure), **extra)
