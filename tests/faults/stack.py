"""A private platform for the fault suite: its own PostgreSQL cluster (initdb
into a temporary directory, Debian's binaries) and Redis on free ports, the
site under gunicorn and a Celery worker with embedded beat, both connecting as
the restricted app role that `manage.py db_roles` makes. Every part can be
killed, stopped and started again."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = (
    Path(sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1])
    if glob.glob("/usr/lib/postgresql/*/bin")
    else None
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout=60.0, interval=0.2, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except Exception as exc:  # not up yet
            last = exc
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} ({last})")


class PrivatePostgres:
    """A throwaway cluster. initdb refuses root, so as root it runs as the
    `postgres` system user."""

    def __init__(self, base: Path):
        self.base = base
        self.data = base / "pgdata"
        self.socket_dir = base / "pgsock"
        self.log = base / "postgres.log"
        self.port = free_port()
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *args):
        subprocess.run(
            [*self.as_user, *map(str, args)],
            check=True,
            capture_output=True,
            cwd="/",
        )

    def init(self):
        self.socket_dir.mkdir()
        self.data.mkdir()
        if self.as_user:
            shutil.chown(self.data, "postgres")
            shutil.chown(self.socket_dir, "postgres")
            self.log.touch()
            shutil.chown(self.log, "postgres")
        self._run(
            PG_BIN / "initdb",
            "-D",
            self.data,
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        )

    # A primary that a replica copies needs full-page writes for its base
    # backup; a throwaway cluster otherwise does without.
    full_page_writes = False

    def start(self):
        options = (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off "
            f"-c full_page_writes={'on' if self.full_page_writes else 'off'} "
            "-c client_connection_check_interval=500"
        )
        self._run(
            PG_BIN / "pg_ctl",
            "-D",
            self.data,
            "-l",
            self.log,
            "-o",
            options,
            "-w",
            "start",
        )

    def stop(self):
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def url(self, user="postgres", db="postgres") -> str:
        return f"postgres://{user}@127.0.0.1:{self.port}/{db}"

    def connect(self, db="tdl_faults", **kwargs):
        return psycopg.connect(self.url(db=db), autocommit=True, **kwargs)


class PrivateReplica(PrivatePostgres):
    """A streaming replica of a PrivatePostgres: pg_basebackup -R (which
    writes standby.signal and primary_conninfo), then its own port."""

    def __init__(self, base: Path, primary: PrivatePostgres):
        super().__init__(base)
        self.primary = primary
        self.data = base / "replica-data"
        self.socket_dir = base / "replica-sock"
        self.log = base / "replica.log"

    def init(self):
        self.socket_dir.mkdir()
        self.data.mkdir(mode=0o700)
        if self.as_user:
            shutil.chown(self.data, "postgres")
            shutil.chown(self.socket_dir, "postgres")
            self.log.touch()
            shutil.chown(self.log, "postgres")
        self._run(
            PG_BIN / "pg_basebackup",
            "-h",
            "127.0.0.1",
            "-p",
            self.primary.port,
            "-U",
            "postgres",
            "-D",
            self.data,
            "-R",
            "-X",
            "stream",
            "--no-sync",
            "-c",
            "fast",
        )

    def replay_pause(self):
        with self.connect(db="postgres") as conn:
            conn.execute("SELECT pg_wal_replay_pause()")

    def replay_resume(self):
        with self.connect(db="postgres") as conn:
            conn.execute("SELECT pg_wal_replay_resume()")


class PgBouncer:
    """PgBouncer in transaction mode in front of one PostgreSQL (it refuses
    to run as root, so as root it runs as `postgres`)."""

    def __init__(self, base: Path, pg: PrivatePostgres, databases: list[str]):
        self.base = base / "pgbouncer"
        self.port = free_port()
        self.pg, self.databases = pg, databases
        self.process: Process | None = None

    def write_config(self) -> Path:
        self.base.mkdir()
        dbs = "\n".join(
            f"{name} = host=127.0.0.1 port={self.pg.port} dbname={name}"
            for name in self.databases
        )
        (self.base / "userlist.txt").write_text('"tdl_app" ""\n"postgres" ""\n')
        ini = self.base / "pgbouncer.ini"
        ini.write_text(
            f"""[databases]
{dbs}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = trust
auth_file = {self.base / "userlist.txt"}
admin_users = postgres
pool_mode = transaction
max_client_conn = 400
default_pool_size = 12
ignore_startup_parameters = extra_float_digits
logfile = {self.base / "pgbouncer.log"}
pidfile = {self.base / "pgbouncer.pid"}
"""
        )
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres")
        return ini

    def start(self, log_dir: Path):
        ini = self.base / "pgbouncer.ini"
        if not ini.exists():
            ini = self.write_config()
        as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.process = Process(
            "pgbouncer", [*as_user, PGBOUNCER, str(ini)], dict(os.environ), log_dir
        )
        self.process.start()
        wait_for(
            lambda: (
                psycopg.connect(
                    self.url(db=self.databases[0]), connect_timeout=2
                ).close()
                is None
            ),
            timeout=20,
            what="pgbouncer",
        )

    def stop(self):
        if self.process is not None:
            self.process.stop()

    def url(self, user="postgres", db="postgres") -> str:
        return f"postgres://{user}@127.0.0.1:{self.port}/{db}"

    def show(self, what: str) -> str:
        """The admin console (simple query protocol only: psql)."""
        return subprocess.run(
            [
                PG_BIN / "psql",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-At",
                "-c",
                f"SHOW {what}",
                "pgbouncer",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout


PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


class PrivateRedis:
    def __init__(self, base: Path):
        self.base, self.port, self.proc = base, free_port(), None

    def start(self):
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.base),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        wait_for(
            lambda: redis.Redis(port=self.port, socket_timeout=1).ping(),
            timeout=20,
            what="redis",
        )

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
            self.proc = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


class Process:
    """A child in its own process group, so that SIGKILL takes all of it
    (a Celery worker and its embedded beat) at once, as a crash would."""

    def __init__(self, name: str, args: list[str], env: dict, log_dir: Path):
        self.name, self.args, self.env, self.log_dir = name, args, env, log_dir
        self.proc = None
        self.starts = 0

    def start(self):
        self.starts += 1
        log = open(self.log_dir / f"{self.name}-{self.starts}.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            self.args,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def kill(self):
        """SIGKILL, no warning, no cleanup."""
        if self.proc is not None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=20)
            self.proc = None

    def stop(self):
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=20)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                self.kill()
            self.proc = None

    def log_text(self) -> str:
        return "\n".join(
            p.read_text(errors="replace")[-4000:]
            for p in sorted(self.log_dir.glob(f"{self.name}-*.log"))
        )


def make_base() -> Path:
    base = Path(tempfile.mkdtemp(prefix="tdl-faults-"))
    base.chmod(0o755)
    return base


def django_env(*, pg: PrivatePostgres, redis: PrivateRedis, base: Path) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PYTEST") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "cms.settings.test",
            "DATABASE_URL": pg.url(user="tdl_app", db="tdl_faults"),
            "REDIS_URL": redis.url,
            "CELERY_BROKER_URL": redis.url,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "LEDGER_CHECKPOINT_DIR": str(base / "checkpoints"),
            # Fast recovery for the test: a job is stale after 4 s without a
            # heartbeat, the sweeper runs every second, and a message left
            # unacknowledged by a killed worker comes back after 20 s.
            "JOB_STALE_SECONDS": "4",
            "JOB_SWEEP_SECONDS": "1",
            "JOB_MAX_ATTEMPTS": "6",
            "CELERY_VISIBILITY_TIMEOUT": "20",
            # A beat restarted after a SIGKILL takes the schedule lock over soon.
            "CELERY_BEAT_LOCK_SECONDS": "3",
            "DB_CONN_MAX_AGE": "60",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def worker(
    env: dict,
    base: Path,
    *,
    name: str = "worker",
    queues: list[str] | None = None,
    beat: bool = True,
) -> Process:
    """A worker on `queues` (all of them when None), with the embedded beat."""
    options = ["-Q", ",".join(queues)] if queues else []
    if beat:
        options += ["-B", "-s", str(base / "beat-schedule")]
    return Process(
        name,
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "cms",
            "worker",
            *options,
            "-n",
            f"{name}@%h",
            "--pool=solo",
            "--concurrency=1",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
        ],
        env,
        base,
    )


def server(env: dict, base: Path, port: int, name: str = "gunicorn") -> Process:
    return Process(
        name,
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "cms.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--preload",
            "--timeout",
            "60",
        ],
        env,
        base,
    )
