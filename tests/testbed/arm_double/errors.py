# SPDX-License-Identifier: GPL-3.0-or-later
"""ARM error bodies, `{"error": {"code", "message"}}`, raised by the test double's handlers."""
from __future__ import annotations

import datetime
import uuid


class ArmError(Exception):
    """An error answer: HTTP status, ARM error code, message and optional extra headers."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message}}


def service_bus_message(subcode: int, text: str, tracker: str) -> str:
    """Event Hubs errors carry a SubCode prefix and a tracking suffix, as the resource provider writes them."""
    timestamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return (
        f"SubCode={subcode}. {text} To know more visit https://aka.ms/sbResourceMgrExceptions. "
        f"TrackingId:{uuid.uuid4()}_G0, SystemTracker:{tracker}, Timestamp:{timestamp}"
    )


def bad_request(text: str, tracker: str = "", subcode: int = 40000) -> ArmError:
    message = service_bus_message(subcode, text, tracker) if tracker else text
    return ArmError(400, "BadRequest", message)


def quota_conflict(resource_type: str, actual: int, allowed: int, tracker: str) -> ArmError:
    text = (
        f"The maximum number of resources of type {resource_type} has been reached or exceeded. "
        f"Actual: {actual}, Max allowed: {allowed}"
    )
    return ArmError(409, "Conflict", service_bus_message(40300, text, tracker))


def in_transition(namespace: str, retry_after: int) -> ArmError:
    return ArmError(
        429,
        "TooManyRequests",
        f"Namespace provisioning in transition. The namespace '{namespace}' is being provisioned or deleted; retry later.",
        {"Retry-After": str(retry_after)},
    )


def not_found(code: str, message: str) -> ArmError:
    return ArmError(404, code, message)
