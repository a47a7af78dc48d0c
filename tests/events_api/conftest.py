"""Fixtures for the Events API tests: the real `mparticle` client against a live server,
counts of what is stored, and clean-up of event partitions that committed tests leave."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import mparticle
import pytest
from django.db import connection
from django.test import Client
from mparticle.rest import RESTClientObject

from accounts.models import Account
from audiences import partitions
from audiences.models import Event, Identity, Profile, ProfileWorkspace


@dataclass(frozen=True)
class Stored:
    """How much the database holds: a refused request must leave every figure unchanged."""

    events: int
    profiles: int
    identities: int
    profile_rows: int


def stored() -> Stored:
    return Stored(
        events=Event.objects.count(),
        profiles=Profile.objects.count(),
        identities=Identity.objects.count(),
        profile_rows=ProfileWorkspace.objects.count(),
    )


@pytest.fixture(autouse=True)
def client_backoff_forgotten() -> Iterator[None]:
    """The mparticle client remembers a 429's Retry-After in class attributes and refuses to
    send until it passes; start and end every test without that memory."""
    RESTClientObject.latest_response = None
    RESTClientObject.retry_after_timestamp = 0
    yield
    RESTClientObject.latest_response = None
    RESTClientObject.retry_after_timestamp = 0


@pytest.fixture(autouse=True)
def partitions_dropped_after(request, django_db_blocker) -> Iterator[None]:
    """Event partitions are created by DDL outside Django's flush; a test that committed some
    drops them afterwards so the next test starts from an empty event table."""
    yield
    marker = request.node.get_closest_marker("django_db")
    committed = (
        "transactional_db" in request.fixturenames
        or "live_server" in request.fixturenames
        or bool(marker and marker.kwargs.get("transaction"))
    )
    if not committed:
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'audiences_event'::regclass"
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP TABLE IF EXISTS "{name}"')
    partitions._known.clear()


@pytest.fixture
def events_api(live_server, tenant) -> Iterator[Callable[..., mparticle.EventsApi]]:
    """Make an `mparticle.EventsApi` for an input (the tenant's by default) on the live server."""
    made: list[mparticle.EventsApi] = []

    def connect(source=None, secret: str | None = None, *, api_key: str | None = None) -> mparticle.EventsApi:
        config = mparticle.Configuration()
        config.api_key = api_key if api_key is not None else (source or tenant.input).api_key
        config.api_secret = secret if secret is not None else tenant.secret
        config.host = live_server.url + "/v2"
        api = mparticle.EventsApi(config)
        made.append(api)
        return api

    yield connect
    for api in made:
        hang_up(api)


def hang_up(api: mparticle.EventsApi) -> None:
    """Close the client's kept-alive socket, so the server's request thread (and its database
    connection) ends before the test database is flushed or dropped. The last answer keeps a
    file on the socket open, so it is closed too."""
    last = getattr(api.api_client, "last_response", None)
    if last is not None:
        last.urllib3_response.close()
    pools = api.api_client.rest_client.pool_manager.pools
    # PoolManager.clear() forgets its pools without closing them; the container cannot be
    # iterated directly, only through keys().
    for key in pools.keys():  # noqa: SIM118
        pools[key].close()


def answer_of(api: mparticle.EventsApi) -> dict:
    """The JSON body of the last answer the client received."""
    return json.loads(api.api_client.last_response.data)


def basic_auth(source, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{source.api_key}:{secret}".encode()).decode()


@pytest.fixture
def post(tenant) -> Callable[..., object]:
    """POST a body to an Events API path through Django's test client, as the tenant's input."""
    client = Client()

    def send(path: str, body, *, source=None, secret: str | None = None, raw: bool = False):
        data = body if raw else json.dumps(body)
        auth = basic_auth(source or tenant.input, secret if secret is not None else tenant.secret)
        return client.post(path, data=data, content_type="application/json", HTTP_AUTHORIZATION=auth)

    return send


def retention(account: Account, days: int) -> None:
    account.retention_days = days
    account.save(update_fields=["retention_days"])


@pytest.fixture(autouse=True)
def fast_passwords(settings) -> None:
    """The tenant fixtures hash several passwords; the production hasher would take seconds."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
