"""The servers the peer benchmark drives: frontdoor under gunicorn (2 sync workers) on SQLite or on a
throwaway PostgreSQL cluster, from this checkout or another one, and what their processes cost in CPU.

A server is prepared through the checkout's own command line (``frontdoor db upgrade``, ``deploy``,
``users add``, ``tokens create``), so an older checkout is measured with its own schema and code.
CPU is read from /proc: user + system time of a process tree (live processes plus the children it has
reaped), so a run's server CPU is the difference of two readings.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "bench" / "fixtures"
TICK = os.sysconf("SC_CLK_TCK")
USER, GROUP = "peer", "peer"


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stat(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


def _children() -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                found.setdefault(int(_stat(int(entry))[1]), []).append(int(entry))
            except (OSError, IndexError):
                continue
    return found


def tree_cpu(root_pids: list[int]) -> float:
    """CPU seconds (user + system) of these processes and all their descendants, reaped ones included."""
    children, total, todo = _children(), 0.0, list(root_pids)
    while todo:
        pid = todo.pop()
        try:
            fields = _stat(pid)
        except OSError:
            continue
        # after ")": state ppid ... utime(11) stime(12) cutime(13) cstime(14), counted from 0
        total += sum(int(v) for v in fields[11:15]) / TICK
        todo += children.get(pid, [])
    return total


def wait_for_port(port: int, what: str, seconds: float = 60) -> None:
    """Return once something listens on ``port``; exit the benchmark if nothing does in time."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{what} did not start on port {port}")


class Postgres:
    """The test suite's throwaway cluster (fsync off), with a database per server."""

    def __init__(self) -> None:
        sys.path.insert(0, str(ROOT))
        from tests.support.postgres import Cluster, find_bin_dir

        bin_dir = find_bin_dir()
        if bin_dir is None:
            raise SystemExit("PostgreSQL is not installed here (use --no-postgres)")
        self.cluster = Cluster(bin_dir)
        self.admin_url = self.cluster.start()

    def database(self, name: str) -> str:
        """A new empty database; its SQLAlchemy URL."""
        from sqlalchemy import create_engine, text

        admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
        admin.dispose()
        return self.admin_url.rsplit("/", 1)[0] + f"/{name}"

    def pids(self) -> list[int]:
        """The postmaster (its backends are its children)."""
        return [int((self.cluster.data / "postmaster.pid").read_text().split()[0])]

    def stop(self) -> None:
        self.cluster.stop()


class FrontdoorServer:
    """``gunicorn -w 2 web.wsgi:app`` from ``tree`` on its own database, and optionally its scheduler."""

    def __init__(self, tree: Path, url: str, name: str) -> None:
        self.tree, self.url, self.name = tree, url, name
        self.env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(tree)}
        self.proc: subprocess.Popen | None = None
        self.scheduler: subprocess.Popen | None = None
        self.port = free_port()
        self.token = ""

    def cli(self, *args: str) -> str:
        """Run the checkout's ``frontdoor`` command; its standard output."""
        done = subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=self.tree, env=self.env,
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"{self.name}: frontdoor {' '.join(args)} failed: {done.stderr.strip()[-500:]}")
        return done.stdout

    def prepare(self) -> None:
        """Migrate, deploy the benchmark processes, add the bench user (front door, group 'peer'), make a token."""
        self.cli("db", "upgrade")
        self.cli("deploy", str(FIXTURES / "peer_four_tasks.bpmn"), str(FIXTURES / "peer_timer.bpmn"),
                 str(FIXTURES / "bench_note.form"))
        self.cli("users", "add", USER, "--groups", GROUP, "--role", "front_door")
        self.token = json.loads(self.cli("tokens", "create", "--user", USER, "--json"))["token"]

    def start(self) -> None:
        """Start gunicorn with two sync workers and wait until it listens."""
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{self.port}", "--log-level", "warning",
             "web.wsgi:app"], cwd=self.tree, env=self.env, stdout=subprocess.DEVNULL)
        wait_for_port(self.port, f"{self.name} (gunicorn)")

    def start_scheduler(self) -> None:
        """``frontdoor scheduler`` with its default settings, as production runs it."""
        self.scheduler = subprocess.Popen([sys.executable, "-m", "cli.main", "scheduler"], cwd=self.tree,
                                          env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    @property
    def base_url(self) -> str:
        """Where the API lives."""
        return f"http://127.0.0.1:{self.port}/api/v1"

    def cpu(self) -> float:
        """CPU seconds used so far by gunicorn's master and workers."""
        return tree_cpu([self.proc.pid]) if self.proc else 0.0

    def stop(self) -> None:
        for proc in (self.scheduler, self.proc):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()


@contextmanager
def servers_stopped():
    """Lists to put started servers and clusters in; all of them are stopped at the end, whatever happens."""
    servers: list[FrontdoorServer] = []
    clusters: list[Postgres] = []
    try:
        yield servers, clusters
    finally:
        for server in servers:
            server.stop()
        for cluster in clusters:
            cluster.stop()
