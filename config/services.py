"""Where the database and the Celery broker are.

Real services win when they are configured. Otherwise the project runs on its own: an
embedded PostgreSQL from the `pgserver` wheel under ./var/pgdata, and kombu's filesystem
transport under ./var/celery, so `make demo` works on a laptop with nothing installed.
"""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from django.core.exceptions import ImproperlyConfigured

from config.env import envstr

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(envstr("OPENAUDIENCE_VAR_DIR", str(BASE_DIR / "var")))


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


def embedded_database_url() -> str:
    """Start (or attach to) the embedded PostgreSQL kept under ./var/pgdata."""
    import pgserver

    pgdata = VAR_DIR / "pgdata"
    pgdata.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None keeps the server running for the other processes of the demo
    # (web, worker, beat) that attach to the same data directory.
    server = pgserver.get_server(pgdata, cleanup_mode=None)
    return server.get_uri()


def redis_answers(url: str, timeout: float = 0.3) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout):
            return True
    except OSError:
        return False


def broker_settings() -> tuple[str, dict]:
    """The Celery broker URL and its transport options."""
    url = envstr("CELERY_BROKER_URL") or envstr("REDIS_URL")
    if url and (not url.startswith("redis") or redis_answers(url)):
        return url, {"visibility_timeout": 3600}
    if url is None and redis_answers("redis://127.0.0.1:6379/0"):
        return "redis://127.0.0.1:6379/0", {"visibility_timeout": 3600}
    folder = VAR_DIR / "celery"
    for sub in ("queue", "processed"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    return "filesystem://", {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "store_processed": False,
    }
