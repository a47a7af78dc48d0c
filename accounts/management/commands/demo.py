"""`manage.py demo` (what `make demo` runs): the whole product on one machine until Ctrl-C.

It migrates, seeds the demo data once, makes a demo login, then runs the web server
(gunicorn), a Celery worker and Celery beat as child processes. Ctrl-C or SIGTERM stops all
of them, and the embedded PostgreSQL under ./var when the demo used it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command, get_commands, load_command_class
from django.core.management.base import BaseCommand, CommandError
from django.db import connections, transaction

from accounts.models import Account, Person, Role, Workspace
from config import services
from config.env import envint, envstr

SEED_COMMAND = "seed_demo"


class Stop(Exception):
    """Raised between steps once a signal asked the demo to stop, so setup and serving unwind
    through one `finally`. The handler itself only records the signal: raising inside it
    could land in the middle of a database call and leave the connection unusable."""


def _die_with_parent() -> None:
    """Runs in each child before exec: on Linux, if this command is killed outright (so it
    cannot clean up), the kernel sends the child SIGTERM instead of leaving it orphaned."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Child:
    name: str
    process: subprocess.Popen
    log_path: Path
    log: IO[bytes] | None
    grace_seconds: float

    def tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def stop(self) -> None:
        """SIGTERM the child itself (gunicorn's arbiter, Celery's main process), which stops
        its own workers after they finish what they are doing; SIGKILL whatever is left of
        its process group after the grace period."""
        with contextlib.suppress(ProcessLookupError):
            self.process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(self.grace_seconds)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)
        if self.log is not None:
            self.log.close()


class Command(BaseCommand):
    help = (
        "Run the demo: migrate, seed the demo data once, create the demo login, and serve the web app, "
        "a Celery worker and Celery beat until Ctrl-C."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=envstr("DEMO_HOST", "127.0.0.1"), help="Bind address (DEMO_HOST).")
        parser.add_argument("--port", type=int, default=envint("DEMO_PORT", 8000), help="Port (DEMO_PORT).")
        parser.add_argument(
            "--profiles",
            type=int,
            default=envint("DEMO_PROFILES", 0) or None,
            help="How many profiles seed_demo creates on first run (DEMO_PROFILES); its default otherwise.",
        )
        parser.add_argument("--web-workers", type=int, default=envint("DEMO_WEB_WORKERS", 2), help="gunicorn workers.")
        parser.add_argument("--username", default=envstr("DEMO_USERNAME", "demo"), help="Demo login (DEMO_USERNAME).")

    def handle(self, *args, **options) -> None:
        self.stop_requested: str | None = None
        handled = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        # Set explicitly: a shell starts background jobs with SIGINT ignored.
        previous = {signum: signal.signal(signum, self.on_signal) for signum in handled}
        host, port = options["host"], options["port"]
        url = f"http://{_url_host(host)}:{port}"
        children: list[Child] = []
        lock: IO[str] | None = None
        try:
            _check_port_free(host, port)
            lock = _hold_demo_lock()
            self.say(f"Database: {self._database_description()}")
            self.say(f"Celery broker: {services.describe_broker(settings.CELERY_BROKER_URL)}")
            call_command("migrate", interactive=False, verbosity=1)
            self.check_stop()
            username, password = options["username"], envstr("DEMO_PASSWORD") or _remembered_password()
            env = self.child_environment(url)
            self.seed(options["profiles"], password, env)
            person = ensure_demo_login(username, password)
            others = colleagues_with_password(person, password)
            connections.close_all()  # the children open their own connections
            self.check_stop()
            logs = services.VAR_DIR / "log"
            logs.mkdir(parents=True, exist_ok=True)
            python = sys.executable
            bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
            web = [python, "-m", "gunicorn", "config.wsgi:application", "--bind", bind]
            web += ["--workers", str(options["web_workers"]), "--timeout", "120", "--graceful-timeout", "10"]
            web += ["--access-logfile", "-", "--error-logfile", "-"]
            if _gunicorn_has("control_socket_disable"):
                web.append("--no-control-socket")  # one shared ~/.gunicorn socket would clash between demos
            celery = [python, "-m", "celery", "--app", "config.celery"]
            worker = [*celery, "worker", "--loglevel", "INFO", "--concurrency", "2", "--hostname", "demo@%h"]
            beat = [*celery, "beat", "--loglevel", "INFO", "--pidfile", str(services.VAR_DIR / "celerybeat.pid")]
            beat += ["--schedule", settings.CELERY_BEAT_SCHEDULE_FILENAME]
            children.append(self.start("worker", worker, env, logs, grace_seconds=30))
            children.append(self.start("beat", beat, env, logs, grace_seconds=10))
            children.append(self.start("web", web, env, logs, grace_seconds=15))
            self.wait_for_web(url, children)
            self.banner(url, person, password, others, children)
            while True:
                self.check_stop()
                for child in children:
                    if child.process.poll() is not None:
                        raise CommandError(
                            f"The {child.name} process stopped (exit {child.process.returncode}); "
                            f"last lines of {child.log_path}:\n{child.tail()}"
                        )
                time.sleep(0.3)
        except Stop as stop:
            self.say(f"\n{stop}: stopping the demo.")
        finally:
            # A second Ctrl-C must not interrupt the cleanup and leave processes behind.
            for signum in handled:
                signal.signal(signum, signal.SIG_IGN)
            self.shutdown(children, stop_database=lock is not None)
            if lock is not None:
                lock.close()
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def on_signal(self, signum: int, frame: object) -> None:
        self.stop_requested = signal.Signals(signum).name

    def check_stop(self) -> None:
        if self.stop_requested:
            raise Stop(self.stop_requested)

    def say(self, message: str) -> None:
        self.stdout.write(message)
        self.stdout.flush()

    def _database_description(self) -> str:
        found = services.embedded
        if found is not None and found.url == settings.DATABASE_URL:
            state = "started" if found.started_here else "found running"
            return f"embedded PostgreSQL in {found.pgdata} ({state})"
        return f"DATABASE_URL, {services.describe_database(settings.DATABASE_URL)}"

    def seed(self, profiles: int | None, password: str, env: dict[str, str]) -> None:
        commands = get_commands()
        if SEED_COMMAND not in commands:
            self.say(
                f"No `{SEED_COMMAND}` command in this checkout yet: the demo starts with an empty account, "
                "without demo data."
            )
            return
        if Account.objects.exists():
            self.say("Demo data is already there (an account exists): not seeding again.")
            return
        command = load_command_class(commands[SEED_COMMAND], SEED_COMMAND)
        parser = command.create_parser("manage.py", SEED_COMMAND)
        accepts = {option for action in parser._actions for option in action.option_strings}
        argv = [sys.executable, "manage.py", SEED_COMMAND]
        if "--password" in accepts:
            argv += ["--password", password]  # the seeded admin, marketer and support share the login's
        if profiles:
            if "--profiles" in accepts:
                argv += ["--profiles", str(profiles)]
            else:
                self.say(f"`{SEED_COMMAND}` has no --profiles option; seeding its default amount.")
        self.say("Seeding the demo data (first run only)...")
        started = time.monotonic()
        # A child process, so that Ctrl-C can end a long seed at once and cleanly.
        seeding = subprocess.Popen(
            argv,
            cwd=settings.BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        while seeding.poll() is None:
            if self.stop_requested:
                Child(name="seeding", process=seeding, log_path=Path(os.devnull), log=None, grace_seconds=5).stop()
                start_over = (
                    f"rm -rf {services.VAR_DIR / 'pgdata'}"
                    if services.embedded
                    else "drop and re-create the database of DATABASE_URL"
                )
                self.say(
                    "Seeding was interrupted: the demo data is incomplete, and the next run will not seed again. "
                    f"To start over: {start_over}, then make demo."
                )
                self.check_stop()
            time.sleep(0.2)
        if seeding.returncode != 0:
            raise CommandError(f"`{SEED_COMMAND}` failed (exit {seeding.returncode}); see its output above.")
        self.say(f"Seeded in {time.monotonic() - started:.1f} s.")

    def child_environment(self, url: str) -> dict[str, str]:
        """Every child must use the database and broker this command chose: with no
        DATABASE_URL each would otherwise look for (or start) an embedded server itself."""
        env = dict(os.environ)
        env["DATABASE_URL"] = settings.DATABASE_URL
        env["CELERY_BROKER_URL"] = settings.CELERY_BROKER_URL
        env.setdefault("SITE_URL", url)
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def start(self, name: str, argv: list[str], env: dict[str, str], logs: Path, grace_seconds: float) -> Child:
        log_path = logs / f"demo-{name}.log"
        log = log_path.open("ab")
        process = subprocess.Popen(
            argv,
            cwd=settings.BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Own process group: the terminal's Ctrl-C reaches only this command, which then
            # stops the children in order and waits for them.
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        return Child(name=name, process=process, log_path=log_path, log=log, grace_seconds=grace_seconds)

    def wait_for_web(self, url: str, children: list[Child], timeout: float = 90) -> None:
        probe = url.replace("//0.0.0.0:", "//127.0.0.1:").replace("//[::]:", "//[::1]:") + "/login/"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_stop()
            for child in children:
                if child.process.poll() is not None:
                    raise CommandError(f"The {child.name} process did not start:\n{child.tail()}")
            try:
                with urllib.request.urlopen(probe, timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.3)
        raise CommandError(f"The web server did not answer at {probe} within {timeout:.0f} s.")

    def banner(self, url: str, person: Person, password: str, others: list[str], children: list[Child]) -> None:
        logs = ", ".join(str(child.log_path) for child in children)
        login = f"{person.user.username} / {password}   (admin of {person.account})"
        if others:
            login += f"\n                      {', '.join(others)} have the same password"
        self.say(
            self.style.SUCCESS("\nOpenAudience demo is running.\n")
            + f"  App:                {url}/\n"
            + f"  Admin:              {url}/admin/\n"
            + f"  Platform API docs:  {url}/platform/v1/docs\n"
            + f"  Events API:         {url}/v2/\n"
            + f"  Log in as:          {login}\n"
            + f"  Logs:               {logs}\n"
            + "Press Ctrl-C to stop everything."
        )

    def shutdown(self, children: list[Child], *, stop_database: bool) -> None:
        # Web first (no new work), then beat, then the worker, which finishes its task.
        for child in reversed(children):
            running = child.process.poll() is None
            started = time.monotonic()
            child.stop()
            if running:
                self.say(f"Stopped {child.name} in {time.monotonic() - started:.1f} s.")
        # Also when it was found running (left over from a demo that was killed outright):
        # the server under ./var is this checkout's own, and the demo leaves nothing behind.
        # Not when another demo of this checkout holds the lock: that one is using it.
        if services.stop_embedded_database(even_if_found_running=stop_database):
            self.say("Stopped the embedded PostgreSQL.")
        if children:
            self.say("Demo stopped.")


@transaction.atomic
def ensure_demo_login(username: str, password: str) -> Person:
    """A staff superuser (so /admin/ works) who is an admin of the demo account. The password
    is only set when it differs, so restarting the demo does not sign anyone out."""
    user, _ = get_user_model().objects.get_or_create(username=username)
    user.is_staff = user.is_superuser = user.is_active = True
    if not user.check_password(password):
        user.set_password(password)
    user.save()
    account = Account.objects.filter(people__user=user).order_by("pk").first() or Account.objects.order_by("pk").first()
    if account is None:
        account = Account.objects.create(name="Demo")
        Workspace.objects.create(account=account, name="Demo")
    person, _ = Person.objects.update_or_create(user=user, account=account, defaults={"role": Role.ADMIN})
    return person


def colleagues_with_password(person: Person, password: str) -> list[str]:
    """Other people of the demo account who sign in with the same password (the seeded
    marketer and support person), so the banner can offer every role."""
    people = Person.objects.filter(account=person.account).exclude(user=person.user).select_related("user")
    return [other.user.username for other in people if other.user.check_password(password)]


def _gunicorn_has(setting: str) -> bool:
    from gunicorn.config import KNOWN_SETTINGS

    return any(known.name == setting for known in KNOWN_SETTINGS)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _check_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise CommandError(
                f"Cannot listen on {host}:{port} ({error.strerror}). Pick another port, e.g. DEMO_PORT=8001 make demo"
            ) from None


def _hold_demo_lock() -> IO[str]:
    """One demo per checkout: two would share ./var (database, broker files, beat schedule)."""
    import fcntl

    path = services.VAR_DIR / "demo.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise CommandError(f"A demo of this checkout is already running (pid {holder}); stop it first.") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def _remembered_password() -> str:
    path = services.VAR_DIR / "demo-password"
    with contextlib.suppress(OSError):
        remembered = path.read_text().strip()
        if remembered:
            return remembered
    password = secrets.token_urlsafe(12)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(password + "\n")
    return password
