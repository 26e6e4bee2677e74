# SPDX-License-Identifier: GPL-3.0-or-later
"""Every module, failing as expected (Azure's AuthorizationFailed, a Connect REST API answering 403), with
ANSIBLE_DISPLAY_TRACEBACK=error: one message, no traceback of the module's own."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest

from conftest import FQCN, run_tasks
from test_eventhub_entra import SENDER

TRACEBACKS = {"ANSIBLE_DISPLAY_TRACEBACK": "error"}
# (module, options): every module of the collection, each failing on its first answer
AZURE_MODULES = {
    "eventhub_namespace": {"name": "ehfail-namespace"},
    "eventhub": {"namespace_name": "ehfail-namespace", "name": "orders"},
    "eventhub_authorization_rule": {"namespace_name": "ehfail-namespace", "name": "kafka-connect"},
    "eventhub_info": {"namespace_name": "ehfail-namespace"},
    "eventhub_role_assignment": {"namespace_name": "ehfail-namespace", "principal_id": "6f1c3a7e-0d2b-4c55-9b7e-1a2b3c4d5e6f",
                                 "roles": [SENDER]},
}
CONNECT_MODULES = {
    "connect_ready": {"timeout": 1, "interval": 0.2},
    "connect_connector": {"name": "orders-sink", "state": "absent", "timeout": 1},
    "connect_connector_info": {"timeout": 1},
    "connect_connectors": {"connectors": [{"name": "orders-sink", "state": "absent"}], "timeout": 1},
}


class Forbidden(BaseHTTPRequestHandler):
    """A Connect REST API behind a proxy that refuses the caller."""

    def answer(self) -> None:
        body = json.dumps({"error_code": 403, "message": "Forbidden"}).encode()
        self.send_response(403)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = do_POST = do_DELETE = answer

    def log_message(self, format: str, *args: Any) -> None:  # pylint: disable=redefined-builtin
        """Quiet."""


@pytest.fixture(name="forbidden_url", scope="module")
def fixture_forbidden_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Forbidden)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield "http://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()


def assert_handled(run: Any, code_or_words: str) -> None:
    result = run.task("fail")
    assert run.returncode != 0 and result.get("failed") is True, run.output
    assert code_or_words in result["msg"]
    # ansible-core writes "(traceback missing)" where the module sent none, then the controller's own frames
    exception = str(result.get("exception", "(traceback missing)"))
    assert exception.startswith(("(traceback missing)", "(traceback unavailable)")), exception
    assert "eventhub_connect/plugins" not in exception and "eventhub_connect/plugins" not in run.output
    assert "During handling of the above exception" not in run.output


@pytest.mark.parametrize("module", sorted(AZURE_MODULES))
def test_azure_authorization_failed_carries_no_traceback(arm_double: Any, tmp_path: Path, module: str) -> None:
    arm_double.clear_faults()
    arm_double.inject(403, count=50)
    try:
        run = run_tasks(arm_double, tmp_path, [{"name": "fail", FQCN + module: AZURE_MODULES[module]}], env=TRACEBACKS)
    finally:
        arm_double.clear_faults()
    assert_handled(run, "AuthorizationFailed")


@pytest.mark.parametrize("module", sorted(CONNECT_MODULES))
def test_connect_refusal_carries_no_traceback(arm_double: Any, tmp_path: Path, forbidden_url: str, module: str) -> None:
    run = run_tasks(arm_double, tmp_path, [{"name": "fail", FQCN + module: {"url": forbidden_url, **CONNECT_MODULES[module]}}],
                    env=TRACEBACKS)
    assert_handled(run, "403")
