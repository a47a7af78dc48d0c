"""Audiences for the page tests, made through the services as the pages make them."""

from __future__ import annotations

import pytest

from audiences import services
from tests.web.audiences.tutorial import seed_tutorial

TUTORIAL = {
    "version": 1,
    "criteria": [
        {
            "type": "event",
            "event_type": "custom_event",
            "name": "Play Video",
            "attributes": [
                {"key": "category", "op": "equals", "value": "Destination Intro"},
                {"key": "destination", "op": "equals", "value": "Paris"},
            ],
            "frequency": {"op": "gt", "value": 0},
            "time": {"within_days": 3},
        },
        {"join": "and", "type": "user_attribute", "key": "status", "op": "equals", "value": "Premium"},
    ],
}


@pytest.fixture
def make_audience(tenant):
    def make(name: str = "Parisians", *, by=None, workspace=None, **kwargs):
        return services.create_audience(
            account=tenant.account,
            acting_user=by or tenant.marketer,
            name=name,
            workspace_ids=[(workspace or tenant.workspace).pk],
            **kwargs,
        )

    return make


@pytest.fixture
def tutorial(tenant, make_audience):
    seed_tutorial(tenant.input)
    return make_audience("Paris premium", input_ids=[tenant.input.pk])
