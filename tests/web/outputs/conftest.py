"""Output configurations, audiences and connections for the page tests, made through the
services the pages call. SECRET is the Webhook secret that no page may ever show."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audiences.models import Audience, AudienceKind
from connections import services as connection_services
from connections.models import Connection
from outputs import services as output_services
from outputs.models import OutputConfiguration

SECRET = "never-show-this-webhook-secret-42"


@pytest.fixture
def make_configuration(tenant):
    def make(name: str = "Receiver", *, account=None, partner: str = "webhook", settings=None) -> OutputConfiguration:
        return output_services.create_configuration(
            account=account or tenant.account,
            partner=partner,
            name=name,
            settings=settings or {"url": "https://hooks.example.test/audiences", "secret": SECRET},
        )

    return make


@pytest.fixture
def make_audience(tenant):
    def make(name: str = "Paris fans", *, workspace=None, account=None, **fields) -> Audience:
        audience = Audience.objects.create(
            account=account or tenant.account, name=name, kind=fields.pop("kind", AudienceKind.REALTIME), **fields
        )
        audience.workspaces.add(workspace or tenant.workspace)
        return audience

    return make


@pytest.fixture
def make_connection(tenant):
    def make(audience: Audience, configuration: OutputConfiguration, **kwargs) -> Connection:
        return connection_services.create_connection(audience, configuration, acting_user=tenant.admin, **kwargs)

    return make


def fault(connection: Connection, message: str = "Webhook answered 401: signature mismatch") -> Connection:
    Connection.objects.filter(pk=connection.pk).update(fault_message=message, faulted_at=timezone.now())
    connection.refresh_from_db()
    return connection


@pytest.fixture
def count_queries() -> Iterator:
    """`count_queries(fn)` -> the number of queries `fn()` ran."""

    def count(fn) -> int:
        with CaptureQueriesContext(db) as captured:
            fn()
        return len(captured)

    return count
