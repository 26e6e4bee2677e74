# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is **PRIVATE** to the collection. It can change at any time.
"""Kafka Connect REST client: one request() over a URL or the API server's service proxy."""

from __future__ import annotations

import json
import socket
import time

from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.urls import open_url

from typing import Any, Callable, Dict, List, Optional

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._errors import ModuleError
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._poll import (
    Deadline,
    DeadlineExceeded,
    backoff_delays,
    poll_until,
)

# Options shared by the modules that talk to Kafka Connect; documented in doc_fragments/connect.py.
# validate_certs, client_cert and client_key keep kubernetes.core's aliases because, through the
# service proxy, they apply to the API server exactly as in kubernetes.core.
CONNECT_URL_ARG_SPEC = {
    "url": {"type": "str"},
    "validate_certs": {"type": "bool", "aliases": ["verify_ssl"]},
    "ca_path": {"type": "path"},
    "client_cert": {"type": "path", "aliases": ["cert_file"]},
    "client_key": {"type": "path", "aliases": ["key_file"]},
    "url_username": {"type": "str"},
    "url_password": {"type": "str", "no_log": True},
}

CONNECT_PROXY_ARG_SPEC = {
    "namespace": {"type": "str"},
    "service": {"type": "str"},
    "port": {"type": "str", "default": "8083"},
    "scheme": {"type": "str", "default": "http", "choices": ["http", "https"]},
}

BODY_EXCERPT_CHARS = 500


class ConnectError(ModuleError):
    """A Connect request could not be sent or answered (refused, DNS, TLS, timeout)."""


class ConnectResponse:
    """What Connect (or the proxy in front of it) answered."""

    def __init__(self, status: int, body: str) -> None:
        self.status = status
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def excerpt(self) -> str:
        return self.body[:BODY_EXCERPT_CHARS]


class UrlTransport:
    """Plain HTTP(S) to a Connect URL (Ingress, LoadBalancer, port-forward)."""

    def __init__(
        self,
        base_url: str,
        validate_certs: Optional[bool] = None,
        ca_path: Optional[str] = None,
        client_cert: Optional[str] = None,
        client_key: Optional[str] = None,
        url_username: Optional[str] = None,
        url_password: Optional[str] = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.validate_certs = True if validate_certs is None else validate_certs
        self.ca_path = ca_path
        self.client_cert = client_cert
        self.client_key = client_key
        self.url_username = url_username
        self.url_password = url_password

    def describe(self) -> str:
        return self.base_url

    def send(self, method: str, path: str, body: Any, timeout: float) -> ConnectResponse:
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body)
        try:
            response = open_url(
                self.base_url + path,
                data=data,
                method=method,
                headers=headers,
                timeout=timeout,
                validate_certs=self.validate_certs,
                ca_path=self.ca_path,
                client_cert=self.client_cert,
                client_key=self.client_key,
                url_username=self.url_username,
                url_password=self.url_password,
                force_basic_auth=self.url_username is not None,
                follow_redirects="safe",
            )
            return ConnectResponse(response.getcode(), to_text(response.read(), errors="surrogate_or_strict"))
        except HTTPError as err:
            return ConnectResponse(err.code, _read_error_body(err))
        except (URLError, socket.timeout, OSError) as err:
            raise ConnectError("{0} {1}: {2}".format(method, self.base_url + path, _reason(err)))


def _read_error_body(err: HTTPError) -> str:
    try:
        return to_text(err.read(), errors="surrogate_or_strict")
    except Exception:  # the body of an error answer is informative only
        return ""


def _reason(err: Exception) -> str:
    reason = getattr(err, "reason", None)
    return to_text(reason if reason is not None else err)


class ConnectClient:
    """Kafka Connect REST API over any transport with send(method, path, body, timeout)."""

    def __init__(self, transport: Any, request_timeout: float = 10.0) -> None:
        self.transport = transport
        self.request_timeout = request_timeout

    def describe(self) -> str:
        return self.transport.describe()

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        timeout: Optional[float] = None,
    ) -> ConnectResponse:
        if not path.startswith("/"):
            path = "/" + path
        return self.transport.send(method.upper(), path, body, timeout or self.request_timeout)


def summarize_body(response: Optional[ConnectResponse]) -> Dict[str, Any]:
    """The last answer as a small dict for results and failure messages."""
    if response is None:
        return {"status": None, "body": None}
    return {"status": response.status, "body": response.excerpt()}


def connector_names(payload: Any) -> List[str]:
    """Names from GET /connectors (a list) or GET /connectors?expand=... (a dict)."""
    if isinstance(payload, dict):
        return sorted(payload)
    if isinstance(payload, list):
        return sorted(to_text(name) for name in payload)
    return []


# Connect answers 409 while the group rebalances or its config is stale; the API server's service
# proxy answers 502/503/504 while no endpoint is ready. All pass; other answers are final.
TRANSIENT_STATUSES = (409, 429, 502, 503, 504)


def is_transient(response: ConnectResponse) -> bool:
    # During a rebalance Connect may also answer 500 with a RebalanceNeededException.
    return response.status in TRANSIENT_STATUSES or (
        response.status == 500 and "RebalanceNeededException" in response.body
    ) or is_starting_worker(response)


def is_starting_worker(response: ConnectResponse) -> bool:
    """A 404 from a worker whose REST server is up but whose resources are not registered yet.

    Connect's own 404s (unknown connector, unknown path) carry an ``error_code``; the API server's
    (no such Service) is a ``Status``. Before Connect registers its resources, its web server
    answers 404 with neither, and a moment later the same request succeeds.
    """
    if response.status != 404:
        return False
    try:
        payload = json.loads(response.body)
    except ValueError:
        return True  # the web server's HTML error page
    return isinstance(payload, dict) and "error_code" not in payload and payload.get("kind") != "Status"


def request_retrying(
    client: ConnectClient,
    method: str,
    path: str,
    body: Any = None,
    timeout: float = 60.0,
    interval: float = 0.5,
    max_interval: float = 4.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> ConnectResponse:
    """client.request(), repeated on transient answers and transport errors until timeout seconds pass.

    Returns the first final answer, or the last transient one at the deadline; re-raises the last
    ConnectError if nothing answered by then.
    """
    deadline = Deadline(timeout, clock=clock)
    delays = backoff_delays(interval, max_interval)
    outcome = {}  # type: Dict[str, Any]

    def attempt(request_timeout: float) -> bool:
        try:
            outcome["response"] = client.request(method, path, body, timeout=request_timeout)
            outcome["error"] = None
        except ConnectError as err:
            outcome["error"] = err
            return False
        return not is_transient(outcome["response"])

    try:
        poll_until(attempt, deadline, delays, client.request_timeout, sleep=sleep)
    except DeadlineExceeded:
        if outcome.get("error") is not None:
            raise outcome["error"]
    return outcome["response"]
