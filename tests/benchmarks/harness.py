"""What every benchmark section shares: its own database, a real web server, the table.

The benchmark database (`openaudience_bench` beside the one DATABASE_URL names) is dropped,
created and migrated at the start of a run, so figures never depend on leftovers. Sections
that need the large generated data set use `openaudience_bench_engine` instead, kept between
runs because building it takes minutes (see `dataset.py`). Import Django models only after
`use_database()`: it points this process's settings (and the processes it starts) there.
Tasks go to a Redis database of their own, so no other worker on the machine takes them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import platform
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/openaudience"
BENCH_DB = "openaudience_bench"
ENGINE_DB = "openaudience_bench_engine"
# Celery broker and cache of the benchmark processes (tests/workers.py uses 2..13).
BROKER_DB = 15


@dataclass
class Figure:
    """One line of the table."""

    section: str
    what: str
    value: str
    note: str = ""


_ORIGINAL_URL = os.environ.get("DATABASE_URL") or DEFAULT_URL


def bench_url(name: str = BENCH_DB) -> str:
    parsed = urlparse(_ORIGINAL_URL)
    return urlunparse(parsed._replace(path=f"/{name}"))


def broker_url() -> str:
    parsed = urlparse(os.environ.get("BENCH_REDIS_URL") or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    return urlunparse(parsed._replace(path=f"/{BROKER_DB}"))


def _server_url(url: str) -> str:
    """The same server, its maintenance database (to drop and create the bench one)."""
    return urlunparse(urlparse(url)._replace(path="/postgres"))


def use_bench_database() -> str:
    """Recreate and migrate the benchmark database; point this process (and Django) at it."""
    return use_database(BENCH_DB, recreate=True)


def use_database(name: str, *, recreate: bool) -> str:
    """Create (or recreate) and migrate a benchmark database; point this process, Django and
    the processes it starts from now on at it. Several sections may use different ones."""
    url = bench_url(name)
    with psycopg.connect(_server_url(url), autocommit=True) as admin:
        if recreate:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            admin.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    os.environ["DATABASE_URL"] = url
    os.environ["CELERY_BROKER_URL"] = os.environ["REDIS_URL"] = broker_url()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.apps import apps

    if not apps.ready:
        import django

        django.setup()
        # A line per HTTP request (partner clients) or per calculation would bury the progress.
        for name in ("httpx", "audiences.calculation"):
            logging.getLogger(name).setLevel(logging.WARNING)
        return url
    # Switch the running Django over, as its test runner does for test databases.
    from django.db import connections

    from audiences import partitions

    connections.close_all()
    for alias in connections:
        connections[alias].settings_dict["NAME"] = name
    partitions._known.clear()  # partitions known to exist were those of the other database
    return url


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class WebServer:
    url: str
    process: subprocess.Popen

    def cpu_seconds(self) -> float | None:
        """CPU time used so far by the gunicorn worker(s): a figure other load cannot inflate."""
        workers = children_of(self.process.pid)
        return sum(cpu_seconds(pid) or 0.0 for pid in workers) if workers else None


@contextlib.contextmanager
def web_server(*, threads: int = 1) -> Iterator[WebServer]:
    """One gunicorn worker process serving the project against the bench database.

    The gthread worker with one thread handles one request at a time, like the sync worker,
    but keeps connections alive between requests (the sync worker closes each one).
    """
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--config=gunicorn.conf.py",
        "--workers=1",
        "--worker-class=gthread",
        f"--threads={threads}",
        f"--bind=127.0.0.1:{port}",
        "--keep-alive=30",
        "--timeout=120",
        "--log-level=warning",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "DEBUG": "false"})
    try:
        _wait_for(port, server)
        yield WebServer(url=f"http://127.0.0.1:{port}", process=server)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name (Linux only)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def cpu_seconds(pid: int) -> float | None:
    fields = _stat(pid)
    if fields is None:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def children_of(pid: int) -> list[int]:
    found = []
    with contextlib.suppress(OSError):
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                fields = _stat(int(entry.name))
                if fields is not None and int(fields[1]) == pid:
                    found.append(int(entry.name))
    return found


def _wait_for(port: int, server: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"{server.args[2]} exited with status {server.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{server.args[2]} did not start listening in time")


def machine() -> str:
    cpus = os.cpu_count()
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{platform.system()} {platform.machine()}, {cpus} CPUs ({model}), Python {platform.python_version()}"


def load_average() -> str:
    """The 1-minute load average: other work on the machine lowers every figure."""
    return f"{os.getloadavg()[0]:.2f}"


def print_table(figures: list[Figure]) -> None:
    headers = ("section", "measure", "value", "note")
    rows = [(f.section, f.what, f.value, f.note) for f in figures]
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    line = "  ".join(f"{{:<{width}}}" for width in widths)
    print(line.format(*headers))
    print(line.format(*("-" * width for width in widths)))
    for row in rows:
        print(line.format(*row))


@dataclass
class Worker:
    process: subprocess.Popen
    log: Path

    def cpu_seconds(self) -> float:
        """CPU time of the worker's processes (parent and pool children) so far."""
        pids = [self.process.pid, *children_of(self.process.pid)]
        return sum(cpu_seconds(pid) or 0.0 for pid in pids)


@contextlib.contextmanager
def celery_worker(*, concurrency: int = 2, folder: Path) -> Iterator[Worker]:
    """A real Celery worker (`celery -A config worker`, prefork, no beat) on the bench database
    and the bench broker, started in its own process group and stopped with it. Without beat,
    nothing periodic (retention, sweeps) touches the data while a section measures."""
    import redis

    from tests.workers import forget_queued_wakes

    redis.Redis.from_url(broker_url()).flushdb()  # tasks queued while no worker ran
    forget_queued_wakes()
    log = folder / "worker.log"
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--loglevel=WARNING",
        f"--concurrency={concurrency}",
        "--pool=prefork",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    with log.open("ab") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ}, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    worker = Worker(process=process, log=log)
    try:
        from config.celery import app

        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Celery worker did not start:\n{log.read_text(errors='replace')[-3000:]}")
        yield worker
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # pool children that outlived the parent


@contextlib.contextmanager
def background(module: str, *args: str) -> Iterator[subprocess.Popen]:
    """`python -m MODULE ARGS` in its own process for the duration of the block."""
    process = subprocess.Popen([sys.executable, "-m", module, *args], cwd=ROOT, env={**os.environ})
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30.0) -> None:
    _wait_for(port, process, timeout)
