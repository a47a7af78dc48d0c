"""Shared fixtures. Personas follow the roles: admin, marketer, support, and an outsider
who belongs to another account."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client
from hypothesis import settings as hypothesis_settings

from accounts.models import Role
from tests.factories import AccountFactory, PersonFactory, WorkspaceFactory, make_input


@dataclass
class Tenant:
    account: object
    workspace: object
    admin: object
    marketer: object
    support: object
    input: object
    secret: str


def _tenant(name: str) -> Tenant:
    account = AccountFactory(name=name)
    workspace = WorkspaceFactory(account=account, name=f"{name} main")
    people = {role: PersonFactory(account=account, role=role, user__username=f"{name.lower()}-{role}") for role in Role}
    source, secret = make_input(workspace, name=f"{name} iOS")
    return Tenant(
        account=account,
        workspace=workspace,
        admin=people[Role.ADMIN].user,
        marketer=people[Role.MARKETER].user,
        support=people[Role.SUPPORT].user,
        input=source,
        secret=secret,
    )


@pytest.fixture
def tenant(db) -> Tenant:
    return _tenant("Acme")


@pytest.fixture
def other_tenant(db) -> Tenant:
    return _tenant("Globex")


@pytest.fixture
def client_for():
    """A logged-in test client for a user."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Real hashers cost ~0.5 s per user by design; tests create many users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True, scope="session")
def own_celery_broker():
    """Each pytest-xdist worker sends tasks to its own Redis database and queue, those its
    worker processes (tests/workers.py) listen on, so parallel tests never take each other's
    tasks."""
    from config.celery import app
    from tests.workers import broker_url, queue_name

    app.conf.broker_url = broker_url()
    app.conf.task_default_queue = queue_name()
    yield


# `--hypothesis-profile=deep` runs many more examples than `make test` does (the engine's
# property test runs max(300, the profile's max_examples)).
hypothesis_settings.register_profile("deep", max_examples=3000)
