# SPDX-License-Identifier: GPL-3.0-or-later
"""Test controls of the double: added latency, injected faults and the request log (never bodies, never keys)."""
from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field

FAULT_CODES = {403: "AuthorizationFailed", 429: "TooManyRequests", 500: "InternalServerError", 502: "BadGateway",
               503: "ServiceUnavailable", 504: "GatewayTimeout"}
# Reads that travel as POST: the SDK's write counters must not see them.
NON_WRITE_POSTS = re.compile(r"/(listkeys|checknameavailability)$|/oauth2/", re.IGNORECASE)
REQUEST_LOG_LIMIT = 10000


@dataclass
class Fault:
    status: int
    remaining: int
    method: str | None = None
    path_regex: str | None = None
    retry_after: float | None = None

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method:
            return False
        if self.path_regex:
            return re.search(self.path_regex, path) is not None
        return path.lower().startswith(("/subscriptions/", "/providers/"))

    def headers(self) -> dict[str, str]:
        if self.retry_after is None:
            return {}
        if float(self.retry_after).is_integer():
            return {"Retry-After": str(int(self.retry_after))}
        return {"Retry-After-Ms": str(int(self.retry_after * 1000))}

    def body(self) -> dict:
        code = FAULT_CODES.get(self.status, "InjectedFault")
        if code == "AuthorizationFailed":  # Azure's wording for a caller without the role the action needs
            return {"error": {"code": code, "message": "The client does not have authorization to perform this action or the "
                                                       "scope is invalid (fault injected by the ARM test double, HTTP 403)."}}
        return {"error": {"code": code, "message": f"Fault injected by the ARM test double (HTTP {self.status})."}}


def is_write(method: str, path: str) -> bool:
    return method in ("PUT", "PATCH", "DELETE") or (method == "POST" and not NON_WRITE_POSTS.search(path))


@dataclass
class Controls:
    latency_ms: int = 0
    faults: list[Fault] = field(default_factory=list)
    log: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.remaining > 0 and fault.matches(method, path):
                    fault.remaining -= 1
                    return fault
            self.faults = [f for f in self.faults if f.remaining > 0]
        return None

    def record(self, method: str, path: str, api_version: str | None, status: int, started: float, injected: bool) -> None:
        entry = {
            "method": method, "path": path, "api_version": api_version, "status": status,
            "timestamp": started, "duration_ms": round((time.time() - started) * 1000, 1),
            "write": is_write(method, path), "injected": injected,
        }
        with self.lock:
            self.log.append(entry)
            del self.log[:-REQUEST_LOG_LIMIT]

    def requests(self) -> list[dict]:
        with self.lock:
            return list(self.log)

    def clear_requests(self) -> None:
        with self.lock:
            self.log.clear()

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()
