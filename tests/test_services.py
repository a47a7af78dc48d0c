"""Where the database and the broker are (config/services.py), and the demo's login and start-up checks."""

from __future__ import annotations

import socket

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from kombu import Connection

from accounts.management.commands.demo import ensure_demo_login
from accounts.models import Person, Role
from config.services import choose_broker, database_from_url, describe_database, redis_answers
from tests.factories import AccountFactory


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_it_reads_a_full_database_url():
    found = database_from_url("postgres://app:p%40ss%2Fword@db.internal:5433/open_audience?sslmode=require")
    assert found["ENGINE"] == "django.db.backends.postgresql"
    assert (found["NAME"], found["USER"], found["PASSWORD"]) == ("open_audience", "app", "p@ss/word")
    assert (found["HOST"], found["PORT"]) == ("db.internal", "5433")
    assert found["OPTIONS"] == {"sslmode": "require"}


def test_it_reads_the_embedded_servers_socket_url():
    # The form pgserver hands out: no host name, the socket directory in ?host=.
    found = database_from_url("postgresql://postgres:@/postgres?host=/srv/openaudience/var/pgdata")
    assert found["HOST"] == "/srv/openaudience/var/pgdata"
    assert (found["NAME"], found["USER"], found["PASSWORD"], found["PORT"]) == ("postgres", "postgres", "", "")
    assert found["OPTIONS"] == {}


def test_a_url_without_a_database_name_uses_postgres():
    assert database_from_url("postgres://postgres@127.0.0.1")["NAME"] == "postgres"


@pytest.mark.parametrize("url", ["mysql://root@localhost/app", "sqlite:///db.sqlite3", "127.0.0.1:5432"])
def test_it_refuses_anything_but_postgresql(url):
    with pytest.raises(ImproperlyConfigured, match="postgres://"):
        database_from_url(url)


def test_describing_a_database_never_shows_its_password():
    text = describe_database("postgres://app:hunter2@db.internal:5433/open_audience")
    assert "hunter2" not in text
    assert "open_audience" in text and "db.internal:5433" in text


def test_it_falls_back_to_the_filesystem_transport_when_redis_does_not_answer(tmp_path):
    silent = f"redis://127.0.0.1:{free_port()}/0"
    assert not redis_answers(silent)
    url, options = choose_broker(silent, tmp_path / "celery")
    assert url == "filesystem://"
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        assert options[key].startswith(str(tmp_path)), key  # nothing lands in the working directory
    assert (tmp_path / "celery" / "queue").is_dir()


def test_the_filesystem_transport_carries_messages(tmp_path):
    url, options = choose_broker("filesystem://", tmp_path / "celery")
    with Connection(url, transport_options=options) as connection:
        queue = connection.SimpleQueue("demo")
        queue.put({"task": "hello"})
        message = queue.get(timeout=5)
        message.ack()
        assert message.payload == {"task": "hello"}
        queue.close()


def test_it_uses_redis_when_it_answers(tmp_path):
    # make test runs with Redis on 127.0.0.1:6379 (.ci/run starts it when it is not running).
    url, options = choose_broker("redis://127.0.0.1:6379/3", tmp_path / "celery")
    assert url == "redis://127.0.0.1:6379/3"
    assert options == {"visibility_timeout": 3600}
    assert not (tmp_path / "celery").exists()


def test_it_finds_the_local_redis_when_nothing_is_configured(tmp_path):
    assert choose_broker(None, tmp_path / "celery")[0] == "redis://127.0.0.1:6379/0"


def test_other_brokers_are_used_as_given(tmp_path):
    # Only Redis is probed; an AMQP broker is the operator's business.
    url = f"amqp://guest@127.0.0.1:{free_port()}//"
    assert choose_broker(url, tmp_path / "celery") == (url, {"visibility_timeout": 3600})


def test_the_demo_login_is_an_admin_of_the_demo_account_and_may_use_the_admin(db):
    account = AccountFactory(name="Demo Travel")
    AccountFactory(name="Later")
    person = ensure_demo_login("demo", "correct horse battery")
    assert (person.account, person.role) == (account, Role.ADMIN)
    assert person.user.is_staff and person.user.is_superuser

    client = Client()
    assert client.login(username="demo", password="correct horse battery")
    assert client.get("/admin/").status_code == 200


def test_restarting_the_demo_keeps_its_login_and_account(db):
    first = ensure_demo_login("demo", "same password")
    again = ensure_demo_login("demo", "same password")
    assert again.pk == first.pk
    assert Person.objects.filter(user__username="demo").count() == 1
    assert Client().login(username="demo", password="same password")


def test_the_demo_says_which_port_to_pick_when_its_port_is_taken():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(CommandError, match="DEMO_PORT"):
            call_command("demo", port=port, host="127.0.0.1")
