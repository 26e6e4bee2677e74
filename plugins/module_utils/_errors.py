# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is **PRIVATE** to the collection. It can change at any time.
"""The one exception base every module reports, and the one way a module exits."""

from __future__ import annotations

import traceback
from typing import Any, Callable, Dict, Optional

from ansible.module_utils.basic import AnsibleModule


class ModuleError(Exception):
    """A failure to report to the user: a message, an optional code, and result fields.

    Local refusals (bad input) and answers of a peer (Azure, Kafka Connect) both end here, so a
    module translates one exception type and every failure reads the same.
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


def run_module(module: AnsibleModule, run: Callable[[], Dict[str, Any]]) -> None:
    """Exit with the manager's result, or fail with the error's message and fields."""
    try:
        result = run()
    except ModuleError as exc:
        extra = {"error_code": exc.code} if exc.code else {}
        extra.update(exc.details)
        module.fail_json(msg=str(exc), exception=traceback.format_exc(), **extra)
    module.exit_json(**result)
