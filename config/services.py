"""Where the database and the Celery broker are.

Real services win when they are configured. Otherwise the project runs on its own: an
embedded PostgreSQL from the `pgserver` wheel under ./var/pgdata, and kombu's filesystem
transport under ./var/celery, so `make demo` works on a laptop with nothing installed.
"""

from __future__ import annotations

import atexit
import logging
import os
import socket
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

from config.env import envstr

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(envstr("OPENAUDIENCE_VAR_DIR", str(BASE_DIR / "var")))
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def database_from_url(url: str) -> dict:
    parsed = urlparse(url)
    if parsed.scheme not in ("postgres", "postgresql"):
        raise ImproperlyConfigured(f"DATABASE_URL must be a postgres:// URL, not {parsed.scheme!r}")
    query = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
    host = query.pop("host", None) or parsed.hostname or ""
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parsed.path.lstrip("/")) or "postgres",
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": host,
        "PORT": str(parsed.port or ""),
        "OPTIONS": query,
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }


def describe_database(url: str) -> str:
    """Where a DATABASE_URL points, for people to read (never shows the password)."""
    found = database_from_url(url)
    where = found["HOST"] or "the local socket"
    if found["PORT"]:
        where = f"{where}:{found['PORT']}"
    return f"database {found['NAME']!r} on {where}"


@dataclass(frozen=True)
class EmbeddedDatabase:
    """The embedded server this process attached to, and whether this process started it."""

    pgdata: Path
    url: str
    started_here: bool
    owner_pid: int
    system_user: str | None


embedded: EmbeddedDatabase | None = None


def embedded_database_url() -> str:
    """Start (or attach to) the embedded PostgreSQL kept under ./var/pgdata."""
    global embedded
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        import pgserver
        from pgserver.utils import PostmasterInfo

    logging.getLogger("pgserver").setLevel(logging.WARNING)  # it logs every pg_ctl call at INFO

    pgdata = (VAR_DIR / "pgdata").resolve()
    pgdata.mkdir(parents=True, exist_ok=True)
    before = PostmasterInfo.read_from_pgdata(pgdata)
    was_running = before is not None and before.is_running()
    # cleanup_mode=None: pgserver's own reference counting never stops a server whose
    # users were killed, so we stop it ourselves (stop_embedded_database) instead.
    server = pgserver.get_server(pgdata, cleanup_mode=None)
    embedded = EmbeddedDatabase(
        pgdata=pgdata,
        url=server.get_uri(),
        started_here=not was_running,
        owner_pid=os.getpid(),
        system_user=server.system_user,
    )
    if embedded.started_here:
        # A one-off `manage.py migrate` should not leave a server running behind it. Other
        # processes that attached meanwhile (the demo's web, worker, beat) are the starter's
        # children and get DATABASE_URL, so they never own it.
        atexit.register(stop_embedded_database)
    return embedded.url


def stop_embedded_database(*, even_if_found_running: bool = False) -> bool:
    """Stop the embedded PostgreSQL if this very process started it (or, with
    even_if_found_running, attached to it); True when it stopped."""
    global embedded
    found = embedded
    # Forked children (gunicorn workers, Celery pool processes) inherit atexit handlers.
    if found is None or found.owner_pid != os.getpid():
        return False
    if not (found.started_here or even_if_found_running):
        return False
    from pgserver._commands import pg_ctl
    from pgserver.utils import PostmasterInfo

    embedded = replace(found, started_here=False)
    info = PostmasterInfo.read_from_pgdata(found.pgdata)
    if info is None or not info.is_running():
        return False
    from django.db import connections

    connections.close_all()
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=found.pgdata, user=found.system_user, timeout=60)
    return True


def redis_answers(url: str, timeout: float = 0.3) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout):
            return True
    except OSError:
        return False


def filesystem_broker(folder: Path) -> tuple[str, dict]:
    """kombu's filesystem transport: messages are files, so a worker and beat need nothing else."""
    for sub in ("queue", "processed", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    return "filesystem://", {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        # The default control folder is relative to the working directory.
        "control_folder": str(folder / "control"),
        "store_processed": False,
    }


def choose_broker(url: str | None, folder: Path) -> tuple[str, dict]:
    """Redis when it is configured (or runs locally) and answers, else the filesystem transport."""
    if url and url.startswith("filesystem://"):
        return filesystem_broker(folder)
    if url and (not url.startswith("redis") or redis_answers(url)):
        return url, {"visibility_timeout": 3600}
    if url is None and redis_answers(DEFAULT_REDIS_URL):
        return DEFAULT_REDIS_URL, {"visibility_timeout": 3600}
    return filesystem_broker(folder)


def broker_settings() -> tuple[str, dict]:
    """The Celery broker URL and its transport options."""
    return choose_broker(envstr("CELERY_BROKER_URL") or envstr("REDIS_URL"), VAR_DIR / "celery")


def describe_broker(url: str) -> str:
    if url.startswith("filesystem://"):
        return f"kombu filesystem transport under {VAR_DIR / 'celery'}"
    parsed = urlparse(url)
    return f"{parsed.scheme} at {parsed.hostname}:{parsed.port or 6379}"
