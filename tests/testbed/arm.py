# SPDX-License-Identifier: GPL-3.0-or-later
"""The Azure Resource Manager *test double* for Microsoft.EventHub, as a testbed component.

    python3 tests/testbed/arm.py build|up|down|status     the component contract of tests/testbed
    python3 tests/testbed/arm.py serve [flags]            run the double in the foreground (tests do this)

`up` starts it detached on https://127.0.0.1:17443 (pid in $TESTBED_STATE/pids/arm.pid, log in
$TESTBED_STATE/logs/arm.log), waits until it answers, and writes $TESTBED_STATE/arm.env. The
double itself lives in the `arm_double` package next to this file; README-arm.md describes it.
Standard library plus `cryptography` (token signing; azure-identity already needs it).
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

# pylint: disable=wrong-import-position
from arm_double.config import DEFAULT_PORT, DoubleConfig, settle_principal, write_private_file  # noqa: E402
from arm_double.tls import ensure_certificates  # noqa: E402

HEALTH_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0


def state_dir() -> Path:
    path = Path(os.environ.get("TESTBED_STATE") or "tests/output/testbed")
    return (path if path.is_absolute() else REPO_ROOT / path).resolve()


def parse_args(argv: list[str]) -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("build", "up", "down", "status", "serve"))
    parser.add_argument("--state-dir", type=Path, default=None, help="default: $TESTBED_STATE or tests/output/testbed")
    parser.add_argument("--port", type=int, default=int(env("ARM_DOUBLE_PORT", DEFAULT_PORT)))
    parser.add_argument("--subscription-id", default=env("ARM_DOUBLE_SUBSCRIPTION_ID", ""))
    parser.add_argument("--tenant", default=env("ARM_DOUBLE_TENANT", ""))
    parser.add_argument("--client-id", default=env("ARM_DOUBLE_CLIENT_ID", ""))
    parser.add_argument("--client-secret", default=env("ARM_DOUBLE_CLIENT_SECRET", ""))
    parser.add_argument("--resource-group", default=env("ARM_DOUBLE_RESOURCE_GROUP", "rg-streamops-testbed"))
    parser.add_argument("--location", default=env("ARM_DOUBLE_LOCATION", "westeurope"))
    parser.add_argument("--lro-delay", type=float, default=float(env("ARM_DOUBLE_LRO_DELAY", "1.0")),
                        help="seconds a namespace create/update/delete stays in transition")
    parser.add_argument("--latency-ms", type=int, default=int(env("ARM_DOUBLE_LATENCY_MS", "0")))
    parser.add_argument("--token-lifetime", type=int, default=int(env("ARM_DOUBLE_TOKEN_LIFETIME", "3600")))
    parser.add_argument("--kafka-credentials", type=Path, default=env("ARM_DOUBLE_KAFKA_CREDENTIALS") or None,
                        help="file of namespace connection strings for the broker (default: <state>/kafka-credentials.txt)")
    return parser.parse_args(argv)


def config_from(args: argparse.Namespace) -> DoubleConfig:
    state = (args.state_dir or state_dir()).resolve()
    kafka = Path(args.kafka_credentials).resolve() if args.kafka_credentials else None
    config = DoubleConfig(
        state_dir=state, port=args.port, subscription_id=args.subscription_id, tenant=args.tenant,
        client_id=args.client_id, client_secret=args.client_secret, resource_group=args.resource_group,
        location=args.location, lro_delay=args.lro_delay, latency_ms=args.latency_ms,
        token_lifetime=args.token_lifetime, kafka_credentials=kafka,
    )
    settle_principal(config)
    return config


def pid_file(config: DoubleConfig) -> Path:
    return config.state_dir / "pids" / "arm.pid"


def log_file(config: DoubleConfig) -> Path:
    return config.state_dir / "logs" / "arm.log"


def running_pid(config: DoubleConfig) -> int | None:
    try:
        pid = int(pid_file(config).read_text(encoding="utf-8").strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def healthy(config: DoubleConfig) -> bool:
    context = ssl.create_default_context(cafile=str(config.double_dir / "ca.pem"))
    try:
        with urllib.request.urlopen(f"{config.base_url}/_double/health", context=context, timeout=2) as response:
            return json.load(response).get("status") == "ok"
    except (OSError, ValueError):
        return False


def log_tail(config: DoubleConfig, lines: int = 30) -> str:
    path = log_file(config)
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]) if path.exists() else "(no log)"


def build(config: DoubleConfig) -> int:
    ensure_certificates(config.double_dir)
    return 0


def write_env(config: DoubleConfig) -> Path:
    env = config.environment(config.double_dir / "ca.pem")
    path = config.state_dir / "arm.env"
    write_private_file(path, "".join(f"{key}={value}\n" for key, value in env.items()))
    return path


def server_command(config: DoubleConfig) -> list[str]:
    command = [sys.executable, str(Path(__file__).resolve()), "serve", "--state-dir", str(config.state_dir),
               "--port", str(config.port), "--resource-group", config.resource_group, "--location", config.location,
               "--lro-delay", str(config.lro_delay), "--latency-ms", str(config.latency_ms),
               "--token-lifetime", str(config.token_lifetime)]
    if config.kafka_credentials:
        command += ["--kafka-credentials", str(config.kafka_credentials)]
    return command


def up(config: DoubleConfig) -> int:
    build(config)
    if running_pid(config) and healthy(config):
        print(f"arm: already running at {config.base_url}; env in {write_env(config)}")
        return 0
    for directory in (pid_file(config).parent, log_file(config).parent):
        directory.mkdir(parents=True, exist_ok=True)
    with open(log_file(config), "ab") as log:
        # Identifiers come from principal.json, so the secret never shows in the process list.
        process = subprocess.Popen(server_command(config), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    pid_file(config).write_text(f"{process.pid}\n", encoding="utf-8")
    deadline = time.monotonic() + HEALTH_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            print(f"arm: the double exited with {process.returncode}; log tail:\n{log_tail(config)}", file=sys.stderr)
            return 1
        if healthy(config):
            print(f"arm: ARM test double up at {config.base_url}; env in {config.state_dir / 'arm.env'}")
            return 0
        time.sleep(0.2)
    print(f"arm: not healthy after {HEALTH_TIMEOUT:.0f}s; log tail:\n{log_tail(config)}", file=sys.stderr)
    return 1


def down(config: DoubleConfig) -> int:
    pid = running_pid(config)
    if pid is None:
        pid_file(config).unlink(missing_ok=True)
        return 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except OSError:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, signal.SIGKILL)
    pid_file(config).unlink(missing_ok=True)
    print("arm: stopped")
    return 0


def status(config: DoubleConfig) -> int:
    ok = running_pid(config) is not None and healthy(config)
    print(f"arm: {'healthy' if ok else 'not running'} ({config.base_url})")
    return 0 if ok else 1


def serve_forever(config: DoubleConfig) -> int:
    from arm_double.server import DoubleServer  # pylint: disable=import-outside-toplevel

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server = DoubleServer(config)
    # Written once the port is bound, so whoever waits for arm.env can use it at once.
    write_env(config)
    print(f"arm: ARM test double serving {config.base_url} (state {config.double_dir})", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    config = config_from(args)
    actions = {"build": build, "up": up, "down": down, "status": status, "serve": serve_forever}
    return actions[args.action](config)


if __name__ == "__main__":
    sys.exit(main())
