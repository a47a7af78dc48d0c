"""Schemathesis against our own OpenAPI schema: no 500, no answer outside the schema.

Bounded in time: a few dozen generated requests per operation of the Platform API (the
Events API has its own property test with hypothesis).
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.tokens import create_token
from config.wsgi import application

schema = schemathesis.openapi.from_wsgi("/platform/v1/openapi.json", application).include(path_regex="^/platform/")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """The WSGI handler closes connections after each request; inside a test transaction that
    would close the test's own. Django's test client does the same as this fixture."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(tenant):
    value = create_token(account=tenant.account, name="fuzz", role="admin", created_by=tenant.admin)[1]
    return {"Authorization": f"Bearer {value}"}


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_platform_api_never_answers_500_or_off_schema(case, bearer):
    case.call_and_validate(headers=bearer, checks=CHECKS)
