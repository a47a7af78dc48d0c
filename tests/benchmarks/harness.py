"""What every benchmark section shares: its own database, a real web server, the table.

The benchmark database (`openaudience_bench` beside the one DATABASE_URL names) is dropped,
created and migrated at the start of a run, so figures never depend on leftovers. Import
Django models only after `use_bench_database()`: it points this process's settings there.
"""

from __future__ import annotations

import contextlib
import os
import platform
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


@dataclass
class Figure:
    """One line of the table."""

    section: str
    what: str
    value: str
    note: str = ""


def bench_url() -> str:
    parsed = urlparse(os.environ.get("DATABASE_URL") or DEFAULT_URL)
    return urlunparse(parsed._replace(path=f"/{BENCH_DB}"))


def _server_url(url: str) -> str:
    """The same server, its maintenance database (to drop and create the bench one)."""
    return urlunparse(urlparse(url)._replace(path="/postgres"))


def use_bench_database() -> str:
    """Recreate and migrate the benchmark database; point this process (and Django) at it."""
    url = bench_url()
    with psycopg.connect(_server_url(url), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{BENCH_DB}"')
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
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
            raise RuntimeError(f"gunicorn exited with status {server.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.1)
    raise RuntimeError("gunicorn did not start listening in time")


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
