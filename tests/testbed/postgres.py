# SPDX-License-Identifier: GPL-3.0-or-later
"""A real PostgreSQL for change data capture: `python tests/testbed/postgres.py build|up|down|status`.

PostgreSQL 15 or newer from the machine (Debian's `postgresql` package, /usr/lib/postgresql/N;
`build` installs it with apt-get when it is missing and the runner is root), with
`wal_level=logical`, run as a system user of its own (initdb refuses root):

  pods   198.19.255.1:5432  the host end of the pods' veth (pod_runner.py creates it), reached from
                            the pod network namespace as postgres.testbed:5432
                            (/etc/netns/streamops-pods/hosts)
  host   <server>/run/.s.PGSQL.5432, the superuser `postgres` (trust, socket only)

The server's own files (data directory, socket, log) live where its system user can reach them
whatever the clone's parents allow (a clone in a 0700 home, a `mktemp -d` TESTBED_STATE):
`/var/lib/streamops-testbed/postgres-<digest of TESTBED_STATE>`, or `$TESTBED_POSTGRES_HOME`, a folder
the testbed owns, made by `up` and removed by `down` (the log is copied to `$TESTBED_STATE/logs` first).

The demo database `inventory` holds `public.customers` and `public.orders`; the role `debezium`
has LOGIN REPLICATION and SELECT on both; the superuser creates the publication `dbz_publication`
FOR TABLE the two, so connectors run with `publication.autocreate.mode=disabled`. The debezium
password is generated once per testbed state into $TESTBED_STATE/postgres/debezium.password (0600).
Replication slots outlive connectors, so tests drop the slots they create, and `up` drops inactive ones
(the cluster it comes up with is empty).
"""
from __future__ import annotations

import argparse
import hashlib
import os
import pwd
import re
import secrets
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import kafka  # noqa: E402  pylint: disable=wrong-import-position

MIN_MAJOR = 15
PG_ROOT = Path("/usr/lib/postgresql")
SYSTEM_USER = "streamops-pg"
HOST_NAME = "postgres.testbed"
LISTEN_IP = kafka.PODS_LISTENER_IP  # the veth's host end: the pods route to it
PORT = 5432
DATABASE = "inventory"
USER = "debezium"
PUBLICATION = "dbz_publication"
TABLES = ("public.customers", "public.orders")
POD_NETWORK = "198.18.0.0/15"  # pods, and the veth's two ends
START_TIMEOUT = 60
SERVER_HOMES = Path("/var/lib/streamops-testbed")

TESTBED_CONF = f"""\
# Written by tests/testbed/postgres.py on every `up`.
listen_addresses = '{LISTEN_IP}'
port = {PORT}
unix_socket_directories = '{{run}}'
unix_socket_permissions = 0700
wal_level = logical
max_wal_senders = 10
max_replication_slots = 10
shared_buffers = 32MB
max_connections = 50
log_destination = 'stderr'
"""

HBA = f"""\
# Written by tests/testbed/postgres.py: the superuser over the socket only, debezium from the pods.
local   all             postgres                                trust
host    {DATABASE}       {USER}        {POD_NETWORK}          scram-sha-256
host    replication     {USER}        {POD_NETWORK}          scram-sha-256
"""

SETUP_DATABASE = f"SELECT 'CREATE DATABASE {DATABASE}' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '{DATABASE}')\\gexec\n"

SETUP_INVENTORY = f"""\
CREATE TABLE IF NOT EXISTS public.customers (
  id serial PRIMARY KEY,
  first_name text NOT NULL,
  last_name text NOT NULL,
  email text NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS public.orders (
  id serial PRIMARY KEY,
  order_date date NOT NULL DEFAULT current_date,
  purchaser integer NOT NULL REFERENCES public.customers (id),
  quantity integer NOT NULL,
  product text NOT NULL
);
INSERT INTO public.customers (first_name, last_name, email) VALUES
  ('Sally', 'Thomas', 'sally.thomas@example.com'), ('George', 'Bailey', 'gbailey@example.com'),
  ('Edward', 'Walker', 'ed@example.com')
ON CONFLICT (email) DO NOTHING;
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{USER}') THEN
    CREATE ROLE {USER} WITH LOGIN REPLICATION;
  END IF;
END $$;
ALTER ROLE {USER} WITH LOGIN REPLICATION PASSWORD :'password';
GRANT SELECT ON {', '.join(TABLES)} TO {USER};
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_publication WHERE pubname = '{PUBLICATION}') THEN
    CREATE PUBLICATION {PUBLICATION} FOR TABLE {', '.join(TABLES)};
  END IF;
END $$;
"""


def log(message: str) -> None:
    print(f"[postgres] {message}", flush=True)


class TestbedError(RuntimeError):
    """A failure worth one clear line to the user, not a traceback."""


def installed_bin() -> Path | None:
    """bin/ of the newest PostgreSQL >= 15 the machine has."""
    majors = sorted((int(p.name) for p in PG_ROOT.glob("*") if p.name.isdigit() and (p / "bin" / "initdb").is_file()),
                    reverse=True)
    return PG_ROOT / str(majors[0]) / "bin" if majors and majors[0] >= MIN_MAJOR else None


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def home(self) -> Path:
        """The testbed's own files (passwords, env): root only, inside TESTBED_STATE."""
        return self.root / "postgres"

    @property
    def server(self) -> Path:
        """The server's files, outside TESTBED_STATE: its system user must reach them."""
        override = os.environ.get("TESTBED_POSTGRES_HOME")
        if override:
            return Path(override).resolve()
        return SERVER_HOMES / f"postgres-{hashlib.sha256(str(self.root).encode()).hexdigest()[:12]}"

    @property
    def data(self) -> Path:
        return self.server / "data"

    @property
    def run(self) -> Path:
        return self.server / "run"

    @property
    def log(self) -> Path:
        return self.server / "postgres.log"

    @property
    def kept_log(self) -> Path:
        return self.root / "logs" / "postgres.log"

    @property
    def password_file(self) -> Path:
        return self.home / "debezium.password"

    @property
    def superuser_password_file(self) -> Path:
        return self.home / "superuser.password"

    @property
    def env_file(self) -> Path:
        return self.root / "postgres.env"


def bin_dir() -> Path:
    found = installed_bin()
    if found is None:
        raise TestbedError(f"PostgreSQL {MIN_MAJOR}+ is missing under {PG_ROOT}: run `postgres.py build` as root "
                           "(it installs Debian's postgresql package)")
    return found


def build() -> None:
    """Install Debian's postgresql when no PostgreSQL 15+ is on the machine."""
    found = installed_bin()
    if found is not None:
        log(f"found {found.parent.name}: {found}")
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise TestbedError(f"PostgreSQL {MIN_MAJOR}+ is missing under {PG_ROOT}; install it (Debian: apt-get install "
                           "postgresql) as root")
    log("installing Debian's postgresql package")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "postgresql"], check=True, env=env,
                   stdin=subprocess.DEVNULL)
    if installed_bin() is None:
        raise TestbedError(f"apt-get installed postgresql, but no PostgreSQL {MIN_MAJOR}+ is under {PG_ROOT}")


def ensure_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER],
                       check=True)
        return pwd.getpwnam(SYSTEM_USER)


def as_user(*command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["runuser", "-u", SYSTEM_USER, "--", *command], capture_output=True, text=True, check=check,
                          stdin=subprocess.DEVNULL)


def chown(path: Path, user: pwd.struct_passwd) -> None:
    os.chown(path, user.pw_uid, user.pw_gid)


def check_traversable(path: Path) -> None:
    """The system user must reach its folders through the state dir's parents."""
    for parent in path.parents:
        if parent.exists() and not parent.stat().st_mode & 0o001:
            raise TestbedError(f"{parent} is not searchable by others, so {SYSTEM_USER} cannot reach {path}; "
                               "set TESTBED_POSTGRES_HOME to a folder under world-searchable parents")


def ensure_password(path: Path) -> str:
    if not path.is_file():
        kafka.write_private(path, secrets.token_urlsafe(24) + "\n")
    path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def initdb(layout: Layout, user: pwd.struct_passwd) -> None:
    ensure_password(layout.superuser_password_file)
    layout.data.mkdir(mode=0o700, parents=True)
    chown(layout.data, user)
    # initdb reads the password as the system user: hand it a copy only that user can read, then drop it.
    handoff = layout.server / ".initdb-password"
    shutil.copyfile(layout.superuser_password_file, handoff)
    handoff.chmod(0o600)
    chown(handoff, user)
    try:
        started = time.monotonic()
        result = as_user(str(bin_dir() / "initdb"), "-D", str(layout.data), "-U", "postgres",
                         "--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={handoff}", "-E", "UTF8",
                         "--locale=C.UTF-8", check=False)
        if result.returncode != 0:
            shutil.rmtree(layout.data, ignore_errors=True)
            raise TestbedError(f"initdb failed: {result.stderr.strip() or result.stdout.strip()}")
        log(f"initdb in {time.monotonic() - started:.1f}s: {layout.data}")
    finally:
        handoff.unlink(missing_ok=True)
    with open(layout.data / "postgresql.conf", "a", encoding="utf-8") as conf:
        conf.write("\ninclude_if_exists = 'testbed.conf'\n")


def running_pid(layout: Layout) -> int | None:
    try:
        pid = int((layout.data / "postmaster.pid").read_text().splitlines()[0])
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError, IndexError):
        return None
    return pid if b"postgres" in cmdline else None


def psql(layout: Layout, database: str, script: str, *variables: str) -> str:
    command = [str(bin_dir() / "psql"), "-h", str(layout.run), "-p", str(PORT), "-U", "postgres", "-d", database,
               "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", *(f"--set={v}" for v in variables)]
    result = subprocess.run(command, input=script, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise TestbedError(f"psql on {database} failed: {result.stderr.strip()}")
    return result.stdout


def write_netns_host() -> None:
    """postgres.testbed -> the veth's host end, inside the pod network namespace."""
    import pod_runner  # noqa: E402  pylint: disable=import-outside-toplevel
    pod_runner.write_netns_hosts([HOST_NAME])


def up() -> None:
    started = time.monotonic()
    layout = Layout(kafka.state_dir())
    if not Path("/sys/class/net/sop-host").exists():
        raise TestbedError("the pods' veth (sop-host) is missing: the pod runner (pods) must be up first")
    user = ensure_user()
    layout.home.mkdir(mode=0o700, parents=True, exist_ok=True)
    layout.server.mkdir(parents=True, exist_ok=True)
    if layout.server.parent == SERVER_HOMES:
        SERVER_HOMES.chmod(0o711)  # whatever the umask: searchable by the server's user, listable by none
    layout.server.chmod(0o711)
    check_traversable(layout.server)
    if not (layout.data / "PG_VERSION").is_file():
        shutil.rmtree(layout.data, ignore_errors=True)
        initdb(layout, user)
    layout.run.mkdir(mode=0o700, exist_ok=True)
    chown(layout.run, user)
    (layout.data / "testbed.conf").write_text(TESTBED_CONF.format(run=layout.run), encoding="utf-8")
    (layout.data / "pg_hba.conf").write_text(HBA, encoding="utf-8")
    for name in ("testbed.conf", "pg_hba.conf"):
        chown(layout.data / name, user)
    if not layout.log.exists():
        layout.log.touch(mode=0o600)
    chown(layout.log, user)
    pid = running_pid(layout)
    if pid is None:
        result = as_user(str(bin_dir() / "pg_ctl"), "-D", str(layout.data), "-l", str(layout.log), "-w",
                         "-t", str(START_TIMEOUT), "start", check=False)
        if result.returncode != 0:
            tail = "\n".join(layout.log.read_text(errors="replace").splitlines()[-10:])
            raise TestbedError(f"pg_ctl start failed: {result.stdout.strip()}\n{tail}")
        pid = running_pid(layout)
        log(f"started (pid {pid})")
    else:
        as_user(str(bin_dir() / "pg_ctl"), "-D", str(layout.data), "reload")
    password = ensure_password(layout.password_file)
    psql(layout, "postgres", SETUP_DATABASE)
    psql(layout, DATABASE, SETUP_INVENTORY, f"password={password}")
    # `kube.py up` starts an empty cluster: no connector of an earlier run is left to use a slot, which holds WAL.
    dropped = psql(layout, DATABASE, "SELECT slot_name FROM pg_replication_slots WHERE NOT active;\n"
                   "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE NOT active;\n")
    if dropped.split():
        log(f"dropped replication slots left by earlier runs: {', '.join(dropped.split())}")
    write_netns_host()
    version = psql(layout, "postgres", "SELECT current_setting('server_version'), current_setting('wal_level');\n")
    values = {"POSTGRES_HOST": HOST_NAME, "POSTGRES_PORT": PORT, "POSTGRES_ADDRESS": LISTEN_IP,
              "POSTGRES_DB": DATABASE, "POSTGRES_USER": USER, "POSTGRES_DEBEZIUM_PASSWORD_FILE": layout.password_file,
              "POSTGRES_PUBLICATION": PUBLICATION, "POSTGRES_SOCKET_DIR": layout.run, "POSTGRES_SUPERUSER": "postgres",
              "POSTGRES_BIN": bin_dir()}
    kafka.write_private(layout.env_file, "".join(f"{key}={value}\n" for key, value in values.items()))
    log(f"up in {time.monotonic() - started:.1f}s: {' '.join(version.split())}; {HOST_NAME}:{PORT} ({LISTEN_IP}) "
        f"for the pods, socket {layout.run}; environment in {layout.env_file}")


def down() -> None:
    layout = Layout(kafka.state_dir())
    pid = running_pid(layout)
    if pid is not None and installed_bin() is not None:
        result = as_user(str(bin_dir() / "pg_ctl"), "-D", str(layout.data), "-m", "fast", "-w", "stop", check=False)
        if result.returncode != 0 and running_pid(layout) is not None:
            raise TestbedError(f"pg_ctl stop failed: {result.stderr.strip()}")
        log(f"stopped (pid {pid})")
    layout.env_file.unlink(missing_ok=True)
    if layout.log.is_file():
        layout.kept_log.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(layout.log, layout.kept_log)
    shutil.rmtree(layout.server, ignore_errors=True)


def status() -> int:
    layout = Layout(kafka.state_dir())
    pid = running_pid(layout)
    answer = "-"
    if pid is not None:
        try:
            answer = " ".join(psql(layout, DATABASE, "SELECT current_setting('server_version'), "
                                   "current_setting('wal_level'), (SELECT count(*) FROM pg_replication_slots);\n",
                                   ).split())
        except TestbedError as error:
            answer = f"not answering ({error})"
    slots = re.sub(r"^(.+)\|(\S+)\|(\S+)$", r"version \1, wal_level \2, \3 replication slot(s)", answer)
    print(f"{'postgres':<24} pid={pid or '-':<8} {'running' if pid else 'stopped'} "
          f"({HOST_NAME}:{PORT} = {LISTEN_IP}; {slots})")
    return 0 if pid else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["build", "up", "down", "status"])
    command = parser.parse_args(argv).command
    try:
        if command == "status":
            return status()
        {"build": build, "up": up, "down": down}[command]()
    except (TestbedError, kafka.TestbedError, subprocess.CalledProcessError) as error:
        print(f"[postgres] error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
