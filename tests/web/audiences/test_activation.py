"""Activation: it stores the criteria, starts the calculation and asks about an A/B test."""

from __future__ import annotations

from django.urls import reverse

from tests.web.audiences.conftest import TUTORIAL
from tests.web.audiences.driving import Builder


def _url(name: str, audience) -> str:
    return reverse(f"audiences:{name}", args=[audience.pk])


def test_deactivate_and_activate_from_settings(tenant, client_for, make_audience):
    audience = make_audience("Parisians", definition=TUTORIAL)
    client = client_for(tenant.marketer)
    response = client.post(_url("audience_activate", audience))
    assert response["Location"] == _url("audience_activated", audience)
    audience.refresh_from_db()
    assert audience.status == "active" and audience.calculation_state == "calculating"
    client.post(_url("audience_deactivate", audience))
    audience.refresh_from_db()
    assert audience.status == "inactive"


def test_activate_stores_the_criteria_and_asks_about_an_ab_test(tenant, client_for, tutorial):
    builder = Builder(client_for(tenant.marketer), tutorial)
    builder.post("add:user_attribute")
    builder.post("done", key="status", op="equals", value="Premium")
    response = builder.post("activate")
    assert response["HX-Redirect"] == reverse("audiences:audience_activated", args=[tutorial.pk])
    tutorial.refresh_from_db()
    assert tutorial.status == "active" and tutorial.definition["criteria"][0]["value"] == "Premium"
