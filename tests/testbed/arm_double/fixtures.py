# SPDX-License-Identifier: GPL-3.0-or-later
"""Pytest fixture that runs the ARM test double in a subprocess, and the control object tests drive it with.

Use it from any test suite after putting `tests/testbed` on `sys.path`:

    # tests/integration/conftest.py
    import sys, pathlib
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "testbed"))
    from arm_double.fixtures import arm_double  # noqa: F401  (re-exported fixture)

or, in the rootdir conftest only, `pytest_plugins = ["arm_double.fixtures"]`. Then `arm_double.env`
is the environment to hand `ansible-playbook` (AZURE_*, REQUESTS_CA_BUNDLE, ARM_DOUBLE_*).
"""
from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest

ARM_SCRIPT = Path(__file__).resolve().parents[1] / "arm.py"
START_TIMEOUT = 20.0
# Namespace operations stay in transition this long in tests (seconds); the CLI default is 1 s.
TEST_LRO_DELAY = float(os.environ.get("ARM_DOUBLE_LRO_DELAY", "0.2"))


def read_env_file(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ArmDouble:
    """A running double: its URL and env, the request log, fault injection and a state read-back."""

    def __init__(self, state_dir: Path, process: subprocess.Popen | None) -> None:
        self.state_dir = state_dir
        self.process = process
        self.env: dict[str, str] = read_env_file(state_dir / "arm.env")
        """The variables of arm.env, to hand `ansible-playbook` (AZURE_*, REQUESTS_CA_BUNDLE, ARM_DOUBLE_*)."""
        self.url = self.env["ARM_DOUBLE_URL"]
        self.ca_file = Path(self.env["ARM_DOUBLE_CA_FILE"])
        self.subscription_id = self.env["AZURE_SUBSCRIPTION_ID"]
        self.tenant = self.env["AZURE_TENANT"]
        self.client_id = self.env["AZURE_CLIENT_ID"]
        self.client_secret = self.env["AZURE_SECRET"]
        self.resource_group = self.env["ARM_DOUBLE_RESOURCE_GROUP"]
        self.kafka_credentials = Path(self.env["ARM_DOUBLE_KAFKA_CREDENTIALS"])
        self.client_object_id = self.env["ARM_DOUBLE_CLIENT_OBJECT_ID"]
        self.issuer = self.env["ARM_DOUBLE_ISSUER"]
        self.jwks_url = self.env["ARM_DOUBLE_JWKS_URL"]
        self.connect_client_id = self.env["ARM_DOUBLE_CONNECT_CLIENT_ID"]
        self.connect_client_secret = self.env["ARM_DOUBLE_CONNECT_CLIENT_SECRET"]
        self.connect_object_id = self.env["ARM_DOUBLE_CONNECT_OBJECT_ID"]
        self._context = ssl.create_default_context(cafile=str(self.ca_file))

    def control(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(f"{self.url}/_double/{path}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, context=self._context, timeout=10) as response:
            return json.load(response)

    def healthy(self) -> bool:
        try:
            return self.control("GET", "health").get("status") == "ok"
        except (OSError, ValueError):
            return False

    def requests(self) -> list[dict]:
        """Every non-control request since the last clear: method, path, api_version, status, timestamp, write, injected."""
        return self.control("GET", "requests")

    def writes(self) -> list[dict]:
        """Requests that change state: PUT, PATCH, DELETE and POSTs other than listKeys, checkNameAvailability and token calls."""
        return [entry for entry in self.requests() if entry["write"]]

    def clear_requests(self) -> None:
        self.control("DELETE", "requests")

    def set_latency(self, ms: int) -> None:
        self.control("PUT", "latency", {"ms": ms})

    def set_lro_delay(self, seconds: float) -> None:
        """How long namespace operations stay in transition from now on (reset() restores the start value)."""
        self.control("PUT", "lro-delay", {"seconds": seconds})

    def inject(self, status: int, count: int = 1, method: str | None = None, path_regex: str | None = None,
               retry_after: float | None = None) -> None:
        """Answer the next `count` matching requests (default: any ARM call) with `status` instead of doing them."""
        self.control("POST", "faults", {"status": status, "count": count, "method": method, "path_regex": path_regex,
                                        "retry_after": retry_after})

    def clear_faults(self) -> None:
        self.control("DELETE", "faults")

    def hold_namespace(self, name: str, provisioning_state: str, status: str = "Unknown", seconds: float = 0,
                       outcome: str = "Succeeded") -> None:
        """Azure habit: a namespace in another client's operation (Deleting, Updating, Activating...) for a while."""
        self.control("POST", "namespace-state", {"name": name, "provisioningState": provisioning_state,
                                                 "status": status, "seconds": seconds, "outcome": outcome})

    def omit_fields(self, *fields: str) -> None:
        """Azure habit: answers without optional properties (older API versions omit retentionDescription...)."""
        self.control("PUT", "omit-fields", {"fields": list(fields)})

    def fail_next_lro(self) -> None:
        """The next namespace create/update ends with provisioningState Failed."""
        self.control("POST", "fail-next-lro")

    def state(self) -> dict:
        """All resources in their ARM shapes (namespaces with nested eventhubs, rules, consumer groups); no keys."""
        return self.control("GET", "state")

    def namespace(self, name: str) -> dict | None:
        return next((ns for ns in self.state()["namespaces"] if ns["name"].lower() == name.lower()), None)

    def kafka_passwords(self) -> list[str]:
        """The connection strings the testbed broker accepts right now."""
        return self.kafka_credentials.read_text(encoding="utf-8").splitlines() if self.kafka_credentials.exists() else []

    def set_token_lifetime(self, seconds: int) -> None:
        """Seconds the access tokens issued from now on live (reset() restores the start value)."""
        self.control("PUT", "token-lifetime", {"seconds": seconds})

    def mint_token(self, aud: str, app: str = "connect", lifetime: int = 3600, offset: float = 0, iss: str | None = None) -> str:
        """A signed access token of our own making: wrong audience, issued `offset` seconds ago (expired), another issuer."""
        body = {"aud": aud, "app": app, "lifetime": lifetime, "offset": offset, **({"iss": iss} if iss else {})}
        return self.control("POST", "mint-token", body)["access_token"]

    def tokens_issued(self) -> list[dict]:
        """Every access token issued (app, client_id, aud, iat, exp; never the token), oldest first."""
        return self.control("GET", "tokens")

    def allow_role_assignment_writes(self, allowed: bool) -> None:
        """False: the caller may read role assignments but not create or delete them (403 AuthorizationFailed)."""
        self.control("PUT", "role-assignment-writes", {"allowed": allowed})

    def set_management_groups(self, ancestors: list[str], others: tuple[str, ...] = ()) -> None:
        """Azure habit: the subscription sits under management groups (`ancestors`, nearest first, the tenant root
        group last); `others` exist elsewhere in the tenant. Role assignments at an ancestor apply to everything in
        the subscription, and a list at any scope below answers them with their own scope."""
        self.control("PUT", "management-groups", {"ancestors": ancestors, "others": list(others)})

    def delay_principal(self, object_id: str, seconds: float = 0, requests: int = 0) -> None:
        """Azure habit: a service principal created moments ago is not yet replicated in Entra ID, so role
        assignments for it answer 400 PrincipalNotFound for `seconds`, or for the next `requests` attempts."""
        self.control("POST", "principal-replication", {"object_id": object_id, "seconds": seconds, "requests": requests})

    def reset(self) -> None:
        """Wipe every resource (the default resource group stays), role assignment and management group, faults,
        latency, LRO delay, failure, token lifetime, role-assignment denial and replication delays; tokens already
        issued stay valid."""
        self.control("POST", "reset")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_arm_double(state_dir: Path, port: int | None = None, lro_delay: float = TEST_LRO_DELAY,
                     extra_args: tuple[str, ...] = ()) -> ArmDouble:
    """Start a double as a subprocess on a free port (or `port`) and wait until it answers."""
    port = port or free_port()
    state_dir.mkdir(parents=True, exist_ok=True)
    log = open(state_dir / "arm-double.log", "ab")  # pylint: disable=consider-using-with
    command = [sys.executable, str(ARM_SCRIPT), "serve", "--state-dir", str(state_dir), "--port", str(port),
               "--lro-delay", str(lro_delay), *extra_args]
    env_file = state_dir / "arm.env"
    env_file.unlink(missing_ok=True)
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    log.close()
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"ARM test double exited with {process.returncode}: {(state_dir / 'arm-double.log').read_text()}")
        if env_file.exists():
            double = ArmDouble(state_dir, process)
            if double.healthy():
                return double
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"ARM test double did not answer within {START_TIMEOUT:.0f}s: {(state_dir / 'arm-double.log').read_text()}")


@pytest.fixture(scope="session")
def arm_double() -> Iterator[ArmDouble]:
    """A fresh ARM test double for the test session (its own temporary state dir and port)."""
    with tempfile.TemporaryDirectory(prefix="arm-double-") as directory:
        double = start_arm_double(Path(directory))
        try:
            yield double
        finally:
            double.stop()
