# SPDX-License-Identifier: GPL-3.0-or-later
"""Backoff, deadline and transports of the Connect REST client."""

from __future__ import annotations

import itertools
import os
import sys

import pytest

# `make setup` links the checkout as ansible_collections/streamops/eventhub_connect here
sys.path.insert(0, os.path.join(os.path.dirname(__file__), *[".."] * 3, "output", "collections"))

from kubernetes.client.rest import ApiException  # noqa: E402

from ansible_collections.streamops.eventhub_connect.plugins.module_utils import _connect, _k8s_proxy, _poll  # noqa: E402


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.now += seconds


def test_backoff_grows_by_half_up_to_the_cap():
    delays = _poll.backoff_delays(1.0, 4.0, rng=lambda low, high: 1.0)
    assert list(itertools.islice(delays, 6)) == [1.0, 1.5, 2.25, 3.375, 4.0, 4.0]


def test_backoff_jitter_stays_within_20_percent():
    delays = list(itertools.islice(_poll.backoff_delays(2.0, 2.0), 200))
    assert min(delays) >= 1.6
    assert max(delays) <= 2.4
    assert len(set(delays)) > 100


def test_poll_until_stops_exactly_at_the_deadline():
    clock = FakeClock()
    deadline = _poll.Deadline(10.0, clock=clock)
    timeouts = []

    def never(timeout: float) -> bool:
        timeouts.append(timeout)
        clock.now += min(0.5, timeout)  # a request takes half a second unless it times out first
        return False

    delays = _poll.backoff_delays(1.0, 3.0, rng=lambda low, high: 1.0)
    with pytest.raises(_poll.DeadlineExceeded) as exc:
        _poll.poll_until(never, deadline, delays, request_timeout=5.0, sleep=clock.sleep)
    # sleeps 1, 1.5, 2.25, 3 between attempts; the fifth attempt gets only the 0.25 s left
    assert clock.now == pytest.approx(110.0)
    assert exc.value.attempts == len(timeouts) == 5
    assert timeouts[0] == 5.0
    assert timeouts[-1] == pytest.approx(0.25)


def test_poll_until_returns_on_first_success():
    clock = FakeClock()
    answers = iter([False, False, True])
    attempts = _poll.poll_until(
        lambda timeout: next(answers),
        _poll.Deadline(60, clock=clock),
        _poll.backoff_delays(1.0, 5.0, rng=lambda low, high: 1.0),
        request_timeout=5.0,
        sleep=clock.sleep,
    )
    assert attempts == 3
    assert clock.now == pytest.approx(102.5)


def test_connector_names_from_list_and_expanded_dict():
    assert _connect.connector_names(["b", "a"]) == ["a", "b"]
    assert _connect.connector_names({"b": {"status": {}}, "a": {}}) == ["a", "b"]
    assert _connect.connector_names(None) == []


def test_service_proxy_path():
    assert (
        _k8s_proxy.service_proxy_path("team-a", "kafka-connect", "8083")
        == "/api/v1/namespaces/team-a/services/kafka-connect:8083/proxy"
    )
    assert (
        _k8s_proxy.service_proxy_path("team-a", "kafka-connect", "rest", "https")
        == "/api/v1/namespaces/team-a/services/https:kafka-connect:rest/proxy"
    )


class FakeResponse:
    def __init__(self, status: int, data: bytes) -> None:
        self.status = status
        self.data = data


class FakeDynamicClient:
    """Stands in for kubernetes.core's dynamic client: records request() calls."""

    class configuration:
        host = "https://127.0.0.1:16443"

    def __init__(self, outcome) -> None:
        self.outcome = outcome
        self.calls = []

    def request(self, method, path, body=None, **params):
        self.calls.append((method, path, body, params))
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


class FakeK8sClient:
    def __init__(self, dynamic) -> None:
        self.client = dynamic


def proxy_transport(monkeypatch, outcome):
    dynamic = FakeDynamicClient(outcome)
    monkeypatch.setattr(_k8s_proxy, "get_api_client", lambda **auth: FakeK8sClient(dynamic))
    return _k8s_proxy.ServiceProxyTransport(FakeModule(), "ns1", "kafka-connect", "8083"), dynamic


class FakeModule:
    params = {"host": "https://127.0.0.1:16443", "api_key": None, "validate_certs": True}


def test_only_set_auth_options_are_passed():
    assert _k8s_proxy.k8s_auth_options(FakeModule.params) == {"host": "https://127.0.0.1:16443", "validate_certs": True}


def test_proxy_transport_sends_path_query_and_body(monkeypatch):
    transport, dynamic = proxy_transport(monkeypatch, FakeResponse(200, b'{"a": {}}'))
    client = _connect.ConnectClient(transport)
    response = client.request("put", "/connectors/a/config?validate=true", body={"k": "v"})
    assert response.status == 200
    assert response.json() == {"a": {}}
    method, path, body, params = dynamic.calls[0]
    assert method == "PUT"
    assert path == "/api/v1/namespaces/ns1/services/kafka-connect:8083/proxy/connectors/a/config"
    assert body == {"k": "v"}
    assert params["query_params"] == [("validate", "true")]


def test_proxy_transport_returns_error_statuses(monkeypatch):
    error = ApiException(status=503, reason="Service Unavailable")
    error.body = '{"message": "no endpoints available for service \\"kafka-connect\\""}'
    transport, _dynamic = proxy_transport(monkeypatch, error)
    response = _connect.ConnectClient(transport).request("GET", "/connectors")
    assert response.status == 503
    assert "no endpoints available" in response.body


def test_proxy_transport_raises_on_connection_errors(monkeypatch):
    transport, _dynamic = proxy_transport(monkeypatch, ConnectionRefusedError(111, "Connection refused"))
    with pytest.raises(_connect.ConnectError, match="Connection refused"):
        _connect.ConnectClient(transport).request("GET", "/connectors")


@pytest.mark.parametrize("body, transient", [
    # the web server before Connect registered its resources (Jetty's JSON and HTML error pages)
    ('{"url":"http://10.0.0.7:8083/connectors","status":"404","message":"Not Found"}', True),
    ("<html><body><h2>HTTP ERROR 404 Not Found</h2></body></html>", True),
    # Connect itself: the connector does not exist
    ('{"error_code":404,"message":"Connector lines not found"}', False),
    # the API server: there is no such Service
    ('{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404}', False),
])
def test_only_a_404_from_a_starting_worker_is_transient(body, transient):
    assert _connect.is_transient(_connect.ConnectResponse(404, body)) is transient


def test_rebalance_500_is_transient_but_other_500_is_final():
    assert _connect.is_transient(_connect.ConnectResponse(500, '{"message":"RebalanceNeededException: rebalance"}'))
    assert not _connect.is_transient(_connect.ConnectResponse(500, '{"error_code":500,"message":"boom"}'))
    assert _connect.is_transient(_connect.ConnectResponse(409, ""))
