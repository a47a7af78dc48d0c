"""A standard audience's Settings: a draft's date range can change, a calculated one's not;
a failed calculation says why on the audience's pages and in the list."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from audiences.models import Audience, StandardState
from audiences.models.audiences import CalculationState


def settings_url(audience: Audience) -> str:
    return reverse("audiences:audience_settings", args=[audience.pk])


def test_a_drafts_date_range_can_change(tenant, client_for, make_standard):
    audience = make_standard("Fans")
    client = client_for(tenant.marketer)
    data = {"date_range": "period", "start": "2023-01-01", "end_mode": "date", "end": "2023-12-31"}
    response = client.post(settings_url(audience), data, follow=True)
    assert "Date range saved." in response.content.decode()
    audience.refresh_from_db()
    assert (audience.range_start, audience.range_end) == (dt.date(2023, 1, 1), dt.date(2023, 12, 31))
    page = client.get(settings_url(audience)).content.decode()
    assert 'value="2023-01-01"' in page and 'value="2023-12-31"' in page


def test_a_bad_range_is_a_form_error_and_the_names_stay(tenant, client_for, make_standard):
    audience = make_standard("Fans", start=dt.date(2022, 1, 1), end=dt.date(2022, 6, 30))
    data = {"date_range": "period", "start": "2023-01-01", "end_mode": "date", "end": "2022-01-01"}
    response = client_for(tenant.marketer).post(settings_url(audience), data)
    assert response.status_code == 200
    assert "on or after the start date" in " ".join(response.context["range_form"].errors["end"])
    assert not response.context["form"].errors
    audience.refresh_from_db()
    assert audience.range_start == dt.date(2022, 1, 1)


def test_names_still_save_on_a_standard_audience(tenant, client_for, make_standard):
    audience = make_standard("Fans")
    data = {"name": "Loyal fans", "external_name": "", "access": "private"}
    client_for(tenant.marketer).post(settings_url(audience), data)
    audience.refresh_from_db()
    assert audience.name == "Loyal fans" and audience.range_start is None


def test_a_calculated_audiences_range_stays(tenant, client_for, make_standard):
    audience = make_standard("Fans", state=StandardState.READY, start=dt.date(2022, 1, 1), end=dt.date(2022, 6, 30))
    client = client_for(tenant.marketer)
    page = client.get(settings_url(audience)).content.decode()
    assert "Save date range" not in page and "2022-01-01 to 2022-06-30" in page
    data = {"date_range": "all"}
    response = client.post(settings_url(audience), data)
    assert "only drafts change" in response.content.decode()
    audience.refresh_from_db()
    assert audience.range_start == dt.date(2022, 1, 1)


def test_support_staff_cannot_change_the_range(tenant, client_for, make_standard):
    audience = make_standard("Fans")
    response = client_for(tenant.support).post(settings_url(audience), {"date_range": "period", "start": "2023-01-01"})
    assert response.status_code == 403
    audience.refresh_from_db()
    assert audience.range_start is None


def test_a_failed_calculation_says_why(tenant, client_for, make_standard):
    audience = make_standard("Fans")
    reason = "The calculation failed and its credits were returned: statement timeout"
    Audience.objects.filter(pk=audience.pk).update(calculation_state=CalculationState.FAILED, calculation_error=reason)
    client = client_for(tenant.marketer)
    assert reason in client.get(audience.get_absolute_url()).content.decode()
    assert f"Calculation failed: {reason}" in client.get(reverse("audiences:standard_list")).content.decode()


def test_changing_workspaces_in_the_dialog_keeps_the_typed_range(tenant, client_for):
    data = {
        "refresh": "1",
        "name": "Fans",
        "scope": "single",
        "workspace": tenant.workspace.pk,
        "date_range": "period",
        "start": "2023-01-01",
        "end_mode": "date",
        "end": "2023-03-31",
    }
    response = client_for(tenant.marketer).post(reverse("audiences:standard_create"), data)
    page = response.content.decode()
    assert 'value="2023-01-01"' in page and 'value="2023-03-31"' in page
    assert not Audience.objects.exists()
