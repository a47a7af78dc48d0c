"""A standard audience being calculated cannot be deleted (its credits are spent and its job
is writing members); once calculated, or as a draft, it can."""

from __future__ import annotations

import pytest

from audiences import standard
from audiences.models import Audience
from tests.standard.helpers import draft, give_credits
from tests.standard.test_api import client_as

pytestmark = pytest.mark.django_db


def test_a_calculating_audience_is_not_deleted_from_the_api_or_the_page(tenant, client_for):
    give_credits(tenant, 5)
    calculating = draft(tenant)
    standard.start_calculation(tenant.account, [calculating], acting_user=tenant.marketer)

    refused = client_as(tenant).delete(f"/platform/v1/audiences/{calculating.pk}")
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["path"] == "standard_state"

    page = client_for(tenant.marketer).post(f"/audiences/{calculating.pk}/delete/", follow=True)
    assert "is not deleted: it is being calculated" in page.content.decode()
    assert Audience.objects.filter(pk=calculating.pk).exists()

    other = draft(tenant, name="Still a draft")
    assert client_as(tenant).delete(f"/platform/v1/audiences/{other.pk}").status_code == 204
