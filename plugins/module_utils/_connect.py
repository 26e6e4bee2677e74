# SPDX-License-Identifier: GPL-3.0-or-later
# Note that this module util is **PRIVATE** to the collection. It can change at any time.
"""Kafka Connect REST client: one request() over a URL or the API server's service proxy.

Every request is bounded as a whole (connect, headers and a body that trickles in), and every way
a peer can break (refused, reset, cut mid-body, not HTTP, not JSON, not UTF-8) ends as a
ConnectError naming the URL and what came back.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
import urllib.error

from ansible.module_utils.common.text.converters import to_text
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
SEND_GRACE_SECONDS = 0.25


class ConnectError(ModuleError):
    """A Connect request could not be sent or answered (refused, DNS, TLS, timeout, broken answer)."""


class ConnectTimeout(ConnectError):
    """A request got no complete answer within its time."""


class ConnectResponse:
    """What Connect (or the proxy in front of it) answered to one request."""

    def __init__(self, status: int, body: Any, url: str = "") -> None:
        self.status = status
        self.url = url
        self.utf8 = True
        if isinstance(body, bytes):
            try:
                body = body.decode("utf-8")
            except UnicodeDecodeError:
                self.utf8 = False
                body = body.decode("utf-8", errors="replace")
        self.body = body or ""

    def json(self) -> Any:
        """The body decoded; a ConnectError naming the URL when it is not UTF-8 JSON."""
        if not self.utf8:
            raise ConnectError("{0} answered HTTP {1} with a body that is not UTF-8: {2}".format(
                self.url, self.status, self.excerpt()))
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            raise ConnectError("{0} answered HTTP {1} with a body that is not JSON: {2}".format(
                self.url, self.status, self.excerpt()))

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
        url = self.base_url + path
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body)
        try:
            response = open_url(
                url,
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
            return ConnectResponse(response.getcode(), response.read(), url)
        except urllib.error.HTTPError as err:
            return ConnectResponse(err.code, _read_error_body(err), url)
        except http.client.IncompleteRead as err:
            raise ConnectError("{0} {1}: the connection closed mid-answer ({2} bytes read, {3} more expected)".format(
                method, url, len(err.partial), err.expected if err.expected is not None else "some"))
        except http.client.BadStatusLine as err:
            # RemoteDisconnected is a BadStatusLine: the peer closed before any status line
            raise ConnectError("{0} {1}: the answer is not HTTP ({2})".format(method, url, _reason(err) or "no status line"))
        except (http.client.HTTPException, urllib.error.URLError, socket.timeout, OSError, ValueError) as err:
            raise ConnectError("{0} {1}: {2}".format(method, url, _reason(err) or type(err).__name__))


def _read_error_body(err: urllib.error.HTTPError) -> bytes:
    try:
        return err.read()
    except Exception:  # the body of an error answer is informative only
        return b""


def _reason(err: Exception) -> str:
    reason = getattr(err, "reason", None)
    return to_text(reason if reason is not None else err)


def send_within(transport: Any, method: str, path: str, body: Any, timeout: float) -> ConnectResponse:
    """transport.send() bounded as a whole by timeout seconds.

    Socket timeouts bound each read, not the answer: a peer that trickles a byte per second keeps
    every read short and the call endless. The send runs in a daemon thread the caller stops
    waiting for at the deadline; the process exits soon after, which ends the thread too.
    """
    outcome = {}  # type: Dict[str, Any]

    def target() -> None:
        try:
            outcome["response"] = transport.send(method, path, body, timeout)
        except BaseException as err:  # re-raised in the caller's thread
            outcome["error"] = err

    worker = threading.Thread(target=target, name="connect-request", daemon=True)
    worker.start()
    # a little grace lets the transport's own errors (refused, socket timeout) surface as themselves
    worker.join(timeout + SEND_GRACE_SECONDS)
    if worker.is_alive():
        raise ConnectTimeout("{0} {1}{2}: no complete answer within {3:g} s (the peer is slow or trickling)".format(
            method, transport.describe(), path, timeout))
    if "error" in outcome:
        raise outcome["error"]
    return outcome["response"]


class ConnectClient:
    """Kafka Connect REST API over any transport with send(method, path, body, timeout)."""

    def __init__(self, transport: Any, request_timeout: float = 10.0) -> None:
        self.transport = transport
        self.request_timeout = request_timeout
        self.requests = 0
        self._lock = threading.Lock()

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
        with self._lock:
            self.requests += 1
        response = send_within(self.transport, method.upper(), path, body, timeout or self.request_timeout)
        if not response.url:
            response.url = self.describe() + path
        return response


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

    Transport errors include a connection cut mid-body and an answer that is not HTTP. Returns the
    first final answer, or the last transient one at the deadline; re-raises the last ConnectError
    if nothing answered by then. No request runs past the deadline.
    """
    deadline = Deadline(timeout, clock=clock)
    delays = backoff_delays(interval, max_interval)
    outcome = {}  # type: Dict[str, Any]

    def attempt(request_timeout: float) -> bool:
        try:
            outcome["response"] = client.request(method, path, body, timeout=request_timeout)
            outcome["error"] = None
        except ConnectError as err:
            # a last attempt cut short by the deadline says less than the failure before it
            if not (isinstance(err, ConnectTimeout) and outcome.get("error") is not None):
                outcome["error"] = err
            return False
        return not is_transient(outcome["response"])

    try:
        poll_until(attempt, deadline, delays, client.request_timeout, sleep=sleep)
    except DeadlineExceeded:
        if outcome.get("error") is not None:
            raise outcome["error"]
    return outcome["response"]
