# SPDX-License-Identifier: GPL-3.0-or-later
"""Start, stop and check the whole local testbed: `python tests/testbed/testbed.py up|down|status`.

Components start in order, each through its own `tests/testbed/<component>.py build|up|down|status`:
  kube  real etcd, kube-apiserver, controller-manager, scheduler and KWOK with three fake nodes
  arm   the Azure Resource Manager *test double* for Microsoft.EventHub (the one fake of the testbed)
  kafka a real Kafka broker that authenticates like Event Hubs (SASL_SSL, PLAIN, $ConnectionString)
  pods  the pod runner: a real Kafka Connect worker for every Ready pod that asks for one, started
        as the Debezium Connect image starts it, with the Debezium PostgreSQL plugin
  postgres  a real PostgreSQL (wal_level=logical) with the `inventory` demo database, reached from
        the pods as postgres.testbed:5432

`up` writes `$TESTBED_STATE/testbed.env`, the union of the components' env files, for tests,
molecule and `make demo`.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
COMPONENTS = ("kube", "arm", "kafka", "pods", "postgres")  # postgres listens on the pods' veth: after pods
SCRIPTS = {"kube": "kube.py", "arm": "arm.py", "kafka": "kafka.py", "pods": "pod_runner.py", "postgres": "postgres.py"}


def state_dir() -> Path:
    return Path(os.environ.get("TESTBED_STATE", REPO / "tests" / "output" / "testbed")).resolve()


def run_component(component: str, action: str, env: dict[str, str]) -> int:
    return subprocess.call([sys.executable, str(HERE / SCRIPTS[component]), action], env=env)


def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key] = value
    return values


def write_combined_env(state: Path) -> Path:
    combined: dict[str, str] = {"TESTBED_STATE": str(state)}
    for component in COMPONENTS:
        path = state / f"{component}.env"
        if path.exists():
            combined.update(read_env_file(path))
    target = state / "testbed.env"
    target.write_text("".join(f"{key}={value}\n" for key, value in combined.items()), encoding="utf-8")
    target.chmod(0o600)
    return target


def component_env(state: Path) -> dict[str, str]:
    """Later components see the env files of earlier ones (the broker reads the double's key file)."""
    env = dict(os.environ, TESTBED_STATE=str(state))
    for component in COMPONENTS:
        path = state / f"{component}.env"
        if path.exists():
            env.update(read_env_file(path))
    return env


def up() -> int:
    state = state_dir()
    state.mkdir(parents=True, exist_ok=True)
    for component in COMPONENTS:
        started = time.monotonic()
        for action in ("build", "up"):
            if run_component(component, action, component_env(state)) != 0:
                print(f"testbed: {component} {action} failed; logs are in {state / 'logs'}", file=sys.stderr)
                return 1
        print(f"testbed: {component} up in {time.monotonic() - started:.1f}s")
    print(f"testbed: environment written to {write_combined_env(state)}")
    return 0


def down() -> int:
    state = state_dir()
    failed = [c for c in reversed(COMPONENTS) if run_component(c, "down", component_env(state)) != 0]
    if failed:
        print(f"testbed: could not stop {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def status() -> int:
    state = state_dir()
    unhealthy = [c for c in COMPONENTS if run_component(c, "status", component_env(state)) != 0]
    return 1 if unhealthy else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("up", "down", "status"))
    action = parser.parse_args().action
    return {"up": up, "down": down, "status": status}[action]()


if __name__ == "__main__":
    sys.exit(main())
