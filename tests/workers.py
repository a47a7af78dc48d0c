"""A real Celery worker (with beat) in its own process, on the test database.

Each pytest-xdist worker gets its own Redis database as broker and a queue named after its
database, so tests running in parallel (or two test runs on one machine sharing Redis) never
take each other's tasks.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def broker_url() -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = 2 + int("".join(ch for ch in worker if ch.isdigit()) or 0) % 12
    return f"redis://127.0.0.1:6379/{index}"


def queue_name() -> str:
    """The Celery queue of this test process: named after its database and xdist worker, as
    the test database is, so a worker of another run on the same broker never consumes it."""
    database = urlparse(os.environ.get("DATABASE_URL", "")).path.strip("/") or "openaudience"
    return f"tests-{database}-{os.environ.get('PYTEST_XDIST_WORKER', 'gw0')}"


def database_url() -> str:
    settings = connection.settings_dict
    host = settings["HOST"] or "127.0.0.1"
    port = settings["PORT"] or "5432"
    user = settings["USER"] or "postgres"
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    if host.startswith("/"):
        return f"postgres://{user}{password}@/{settings['NAME']}?host={host}"
    return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"


def forget_queued_wakes() -> None:
    """The broker was just emptied: tasks marked as queued are gone with it, so their marks go
    too (else their work would wait for them; see audiences.queued)."""
    from audiences.models import QueuedTask

    QueuedTask.objects.all().delete()


class WorkerProcess:
    """`celery worker -B` for the current test database; kill it and start it again at will."""

    def __init__(self, *, beat: bool = True, concurrency: int = 1, extra_env: dict[str, str] | None = None):
        self.beat = beat
        self.concurrency = concurrency
        self.var = tempfile.mkdtemp(prefix="oa-worker-")
        self.log = Path(self.var) / "worker.log"
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": broker_url(),
            "REDIS_URL": broker_url(),
            "CELERY_TASK_DEFAULT_QUEUE": queue_name(),
            "OPENAUDIENCE_VAR_DIR": self.var,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            **(extra_env or {}),
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> WorkerProcess:
        import redis

        redis.Redis.from_url(broker_url()).delete(queue_name())  # tasks left by an earlier worker
        forget_queued_wakes()
        args = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--loglevel=WARNING",
            f"--concurrency={self.concurrency}",
            "--pool=prefork",
            "--without-gossip",
            "--without-mingle",
        ]
        if self.beat:
            args += ["-B", "-s", str(Path(self.var) / "beat-schedule")]
        self.process = subprocess.Popen(
            args, cwd=ROOT, env=self.env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True
        )
        return self

    def wait_ready(self, timeout: float = 60.0) -> WorkerProcess:
        """Block until the worker answers a ping, so timings measure work, not start-up."""
        from config.celery import app

        def answers() -> bool:
            if self.process is None or self.process.poll() is not None:
                raise AssertionError(f"the worker exited:\n{self.output()[-3000:]}")
            return bool(app.control.ping(timeout=0.5))

        wait_for(answers, timeout=timeout, interval=0.2, message="the Celery worker to start")
        return self

    def kill(self) -> None:
        """SIGKILL the whole worker (parent and pool children), as a crash would."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=15)
        if self.process:
            # Pool children may outlive their parent for a moment; none may keep the test DB open.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            time.sleep(0.2)

    def __enter__(self) -> WorkerProcess:
        return self.start().wait_ready()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def wait_for(condition, timeout: float = 30.0, interval: float = 0.1, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")
