"""The A/B Test tab, the % mark on the list, Delete Test's confirmation, and connecting a
variation from the Connect tab, through the pages."""

from __future__ import annotations

import pytest

from audiences.models.variations import ABTest, Variation
from connections.models import Connection
from tests.connections.helpers import webhook_configuration
from tests.variations.helpers import age_below, calculated_audience, generate_profiles

pytestmark = pytest.mark.django_db


def test_a_test_is_drafted_saved_connected_and_deleted_from_the_pages(tenant, client_for):
    generate_profiles(tenant, 500)
    audience = calculated_audience(tenant, age_below(100))
    web = client_for(tenant.marketer)
    url = f"/audiences/{audience.pk}/ab-test/"

    page = web.get(url)
    assert b"Control" in page.content and b"100%" in page.content and b"Add A/B Test Variation" in page.content
    draft = web.post(url, {"action": "add"})
    assert b'name="percent"' in draft.content
    over = web.post(url, {"action": "save", "name": ["", ""], "percent": ["70", "40"]})
    assert over.status_code == 400 and b"cannot exceed 100%" in over.content and b"-10%" in over.content
    assert not ABTest.objects.exists()
    shown = web.post(url, {"action": "add", "name": ["Email", ""], "percent": ["40", "40"]})
    assert b"20%" in shown.content  # the Control shows 100 - sum
    saved = web.post(url, {"action": "save", "name": ["Email", "Push", ""], "percent": ["40", "40", "10"]})
    assert saved.status_code == 302
    assert list(Variation.objects.values_list("name", "percent")) == [
        ("Email", 40),
        ("Push", 40),
        ("Variation C", 10),
        ("Control", 10),
    ]
    # A saved test cannot be edited.
    web.post(url, {"action": "save", "name": [""], "percent": ["5"]})
    assert Variation.objects.count() == 4

    listing = web.get("/audiences/real-time/")
    assert b'title="A/B test">%</span>' in listing.content

    configuration = webhook_configuration(tenant.account, "http://127.0.0.1:9/hook")
    push = Variation.objects.get(name="Push")
    form = web.get(f"/audiences/{audience.pk}/connect/new/?configuration={configuration.pk}&variation={push.pk}")
    assert form.status_code == 200 and "Low engagement - Push" in form.content.decode()
    created = web.post(
        f"/audiences/{audience.pk}/connect/new/",
        {"configuration": configuration.pk, "variation": push.pk, "status": "inactive"},
    )
    assert created.status_code == 302
    assert Connection.objects.get().variation_id == push.pk

    confirm = web.get(f"/audiences/{audience.pk}/ab-test/delete/")
    assert "Push → Receiver" in confirm.content.decode()
    web.post(f"/audiences/{audience.pk}/ab-test/delete/")
    assert not Connection.objects.exists() and not Variation.objects.exists()
