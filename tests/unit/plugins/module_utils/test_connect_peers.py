# SPDX-License-Identifier: GPL-3.0-or-later
"""The Connect client against broken peers: small socket servers on the loopback that misbehave.

Each server answers every connection with the same bytes (or with a trickle, or by closing), so
the tests check what a user sees: the call ends within its deadline, transient breakage is retried,
and every failure is one message naming the URL and what came back, never a Python exception.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from typing import Callable, List

import pytest

# `make setup` links the checkout as ansible_collections/streamops/eventhub_connect here
sys.path.insert(0, os.path.join(os.path.dirname(__file__), *[".."] * 3, "output", "collections"))

from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connect import (  # noqa: E402
    ConnectClient,
    ConnectError,
    UrlTransport,
    request_retrying,
)
from ansible_collections.streamops.eventhub_connect.plugins.module_utils._connector_state import (  # noqa: E402
    read_expanded,
)

OK_JSON = b'{"a": {"info": {"config": {"name": "a"}}, "status": {"connector": {"state": "RUNNING"}}}}'


def http_answer(body: bytes, status: str = "200 OK", length: int = None) -> bytes:
    return (b"HTTP/1.1 " + status.encode() + b"\r\nContent-Type: application/json\r\nContent-Length: "
            + str(len(body) if length is None else length).encode() + b"\r\nConnection: close\r\n\r\n" + body)


class PeerServer:
    """A loopback TCP server; behaviours[n] serves the n-th connection (the last one repeats)."""

    def __init__(self, behaviours: List[Callable[[socket.socket], None]]) -> None:
        self.behaviours = behaviours
        self.connections = 0
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.closed = False
        threading.Thread(target=self.serve, daemon=True).start()

    @property
    def url(self) -> str:
        return "http://127.0.0.1:%d" % self.sock.getsockname()[1]

    def serve(self) -> None:
        while not self.closed:
            try:
                conn, _address = self.sock.accept()
            except OSError:
                return
            behaviour = self.behaviours[min(self.connections, len(self.behaviours) - 1)]
            self.connections += 1
            threading.Thread(target=self.handle, args=(conn, behaviour), daemon=True).start()

    @staticmethod
    def handle(conn: socket.socket, behaviour: Callable[[socket.socket], None]) -> None:
        try:
            conn.settimeout(30)
            conn.recv(65536)  # the request
            behaviour(conn)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self.closed = True
        self.sock.close()


def answer(data: bytes) -> Callable[[socket.socket], None]:
    return lambda conn: conn.sendall(data)


def trickle(data: bytes, every: float) -> Callable[[socket.socket], None]:
    def behaviour(conn: socket.socket) -> None:
        head, body = data.split(b"\r\n\r\n", 1)
        conn.sendall(head + b"\r\n\r\n")
        for index in range(len(body)):
            conn.sendall(body[index:index + 1])
            time.sleep(every)
    return behaviour


def close_at_once(conn: socket.socket) -> None:
    pass


@pytest.fixture
def peers():
    servers = []

    def start(*behaviours):
        server = PeerServer(list(behaviours))
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def client_for(server: PeerServer, request_timeout: float = 5.0) -> ConnectClient:
    return ConnectClient(UrlTransport(server.url), request_timeout=request_timeout)


def test_a_trickling_body_is_cut_at_the_deadline(peers):
    # every byte arrives well within a socket timeout, the whole body would take 200 s
    server = peers(trickle(http_answer(b"[" + b" " * 1000 + b"]"), 0.2))
    started = time.monotonic()
    with pytest.raises(ConnectError) as err:
        request_retrying(client_for(server, request_timeout=30), "GET", "/connectors", timeout=2)
    elapsed = time.monotonic() - started
    assert elapsed < 3.5, elapsed
    assert server.url in str(err.value) and "no complete answer within" in str(err.value)


def test_a_connection_cut_mid_body_is_retried_then_succeeds(peers):
    server = peers(answer(http_answer(OK_JSON[:10], length=len(OK_JSON))), answer(http_answer(OK_JSON)))
    assert sorted(read_expanded(client_for(server), timeout=10)) == ["a"]
    assert server.connections == 2


def test_a_connection_always_cut_mid_body_fails_naming_it(peers):
    server = peers(answer(http_answer(OK_JSON[:10], length=len(OK_JSON))))
    with pytest.raises(ConnectError) as err:
        request_retrying(client_for(server), "GET", "/connectors", timeout=1.5)
    message = str(err.value)
    assert server.url + "/connectors" in message and "closed mid-answer" in message, message
    assert server.connections >= 2  # retried within the deadline


@pytest.mark.parametrize("behaviour, expected", [
    (answer(b"SSH-2.0-OpenSSH_9.2\r\n"), "not HTTP"),
    (close_at_once, "not HTTP"),
    (lambda conn: conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"), ""),
])
def test_answers_that_are_not_http_are_retried_then_reported(peers, behaviour, expected):
    server = peers(behaviour, answer(http_answer(b"[]")))
    response = request_retrying(client_for(server), "GET", "/connectors", timeout=10)
    assert (response.status, response.json()) == (200, [])
    assert server.connections == 2

    broken = peers(behaviour)
    with pytest.raises(ConnectError) as err:
        request_retrying(client_for(broken), "GET", "/connectors", timeout=1)
    assert broken.url + "/connectors" in str(err.value) and expected in str(err.value)


@pytest.mark.parametrize("body, expected", [
    (b"<html><body>Welcome to nginx</body></html>", "not JSON: <html><body>Welcome to nginx"),
    (b'{"a": "\xff\xfe caf\xe9"}', "not UTF-8"),
])
def test_a_200_that_is_not_utf8_json_fails_naming_the_url_and_the_body(peers, body, expected):
    server = peers(answer(http_answer(body)))
    with pytest.raises(ConnectError) as err:
        read_expanded(client_for(server), timeout=5)
    message = str(err.value)
    assert server.url + "/connectors?expand=status&expand=info" in message and expected in message, message
    assert "HTTP 200" in message


def test_a_json_answer_of_the_wrong_shape_is_named(peers):
    server = peers(answer(http_answer(b'["a", "b"]')))
    with pytest.raises(ConnectError) as err:
        read_expanded(client_for(server), timeout=5)
    assert "did not answer a JSON object of connectors" in str(err.value) and '["a", "b"]' in str(err.value)
