# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin of eventhub_authorization_rule: hide a result that carries keys from every display."""

from __future__ import annotations

from typing import Any, Dict, Optional

from ansible.plugins.action import ActionBase

SECRET_RESULT_KEYS = ("keys", "kafka")


class ActionModule(ActionBase):
    """Runs the module unchanged; a module cannot mark its own result no_log, an action plugin can."""

    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp: Optional[str] = None, task_vars: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        result = super().run(tmp, task_vars)
        result.update(self._execute_module(task_vars=task_vars))
        if any(key in result for key in SECRET_RESULT_KEYS):
            # The registered variable keeps the values; callbacks print the result as censored.
            result["_ansible_no_log"] = True
        return result
