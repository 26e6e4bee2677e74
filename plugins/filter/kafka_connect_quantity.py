# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter: a Kubernetes resource quantity as a number, parsed by the Kubernetes client."""

from __future__ import annotations

DOCUMENTATION = r"""
name: kafka_connect_quantity
version_added: 0.2.0
short_description: A Kubernetes resource quantity (400m, 512Mi, 1G) as a number of a unit
description:
  - Parses the quantity with C(kubernetes.utils.parse_quantity), the Kubernetes client's own
    parser, and returns it divided by O(unit).
  - Returns V(null) when the value is not a quantity, so a role can refuse it with its own message.
positional: _input, unit
options:
  _input:
    description: The quantity, such as V(400m), V(2), V(512Mi) or V(1.5G).
    type: raw
    required: true
  unit:
    description: The unit of the result, a quantity suffix or a number (V(Mi), V(Gi), V(m), V(1), V(1024)).
    type: str
    default: "1"
requirements:
  - kubernetes (the Python client kubernetes.core needs)
author:
  - streamops (@streamops)
"""

EXAMPLES = r"""
---
- name: Half the memory limit, in MiB, as the JVM heap
  ansible.builtin.debug:
    msg: "-Xmx{{ ((kafka_connect_memory_limit | streamops.eventhub_connect.kafka_connect_quantity('Mi')) * 0.5) | int }}m"
"""

RETURN = r"""
_value:
  description: The quantity in O(unit), or V(null) when the input is not a Kubernetes quantity.
  type: float
"""

import importlib.util
import os
from typing import Any, Callable, Dict, Optional

from ansible.errors import AnsibleFilterError


def _load_parse_quantity() -> Optional[Callable[[Any], Any]]:
    """kubernetes.utils.parse_quantity, from its own file: importing the package would load the
    whole API client (0.8 s of CPU in every task process that templates a quantity)."""
    package = importlib.util.find_spec("kubernetes")
    if package is None or not package.origin:
        return None
    spec = importlib.util.spec_from_file_location(
        "kubernetes_utils_quantity", os.path.join(os.path.dirname(package.origin), "utils", "quantity.py"))
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.parse_quantity


parse_quantity = _load_parse_quantity()


def kafka_connect_quantity(value: Any, unit: str = "1") -> Optional[float]:
    if parse_quantity is None:
        raise AnsibleFilterError("kafka_connect_quantity needs the Python package kubernetes (pip install kubernetes)")
    unit_text = str(unit)
    try:
        divisor = parse_quantity(unit_text if unit_text[:1].isdigit() else "1" + unit_text)
    except ValueError as exc:
        raise AnsibleFilterError("kafka_connect_quantity: unit %r is not a quantity: %s" % (unit, exc))
    if value is None or isinstance(value, bool) or divisor == 0:
        return None
    text = str(value)
    # parse_quantity accepts surrounding whitespace, which the API server refuses
    if text != text.strip():
        return None
    try:
        quantity = parse_quantity(text)
    except ValueError:
        return None
    return float(quantity / divisor)


class FilterModule:
    def filters(self) -> Dict[str, Callable[..., Any]]:
        return {"kafka_connect_quantity": kafka_connect_quantity}
