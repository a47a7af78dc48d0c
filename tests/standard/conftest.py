"""Fixtures for standard audience tests: posting to the Events API as the tenant's input."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.test import Client

from tests.events_api.conftest import basic_auth


@pytest.fixture
def post(tenant) -> Callable[..., object]:
    """POST a body to an Events API path through Django's test client, as the tenant's input."""
    client = Client()

    def send(path: str, body):
        auth = basic_auth(tenant.input, tenant.secret)
        return client.post(path, data=json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=auth)

    return send


# Committed tests (a real worker) leave event partitions behind: drop them as the Events API
# tests do.
from tests.events_api.conftest import partitions_dropped_after  # noqa: E402, F401
