# SPDX-License-Identifier: GPL-3.0-or-later
"""One part of a combined eventhub call (the namespace, the SAS rule), seen by its manager as a module."""

from __future__ import annotations

from typing import Any, Dict


class ModulePart:
    """The part's own options over the call's; check mode, diff mode and warnings stay the call's."""

    def __init__(self, module: Any, params: Dict[str, Any]) -> None:
        self._module = module
        self.params = params

    @property
    def check_mode(self) -> bool:
        return bool(self._module.check_mode)

    @property
    def _diff(self) -> bool:
        return bool(self._module._diff)

    def warn(self, warning: str) -> None:
        self._module.warn(warning)
