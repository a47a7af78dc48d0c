"""New Standard Audience: names, inputs and a date range, then the builder, Save as Draft."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from audiences.models import Audience, AudienceKind, StandardState
from tests.web.audiences.driving import Builder

NEW = reverse("audiences:standard_create")


def post(client, **fields):
    data = {"name": "Long-term fans", "scope": "single", "date_range": "all", "end_mode": "most_recent", **fields}
    return client.post(NEW, data)


def test_all_available_data_creates_a_draft_and_opens_its_build_tab(tenant, client_for):
    data = {"workspace": tenant.workspace.pk, "inputs": [tenant.input.pk], "external_name": "Fans (2y)"}
    response = post(client_for(tenant.marketer), **data)
    audience = Audience.objects.get(name="Long-term fans")
    assert response.status_code == 302 and response["Location"] == audience.get_absolute_url()
    assert audience.kind == AudienceKind.STANDARD
    assert audience.standard_state == StandardState.DRAFT
    assert (audience.range_start, audience.range_end) == (None, None)
    assert audience.external_name == "Fans (2y)"
    assert list(audience.inputs.all()) == [tenant.input]


def test_a_period_keeps_its_first_and_last_day(tenant, client_for):
    data = {"workspace": tenant.workspace.pk, "inputs": [tenant.input.pk], "date_range": "period"}
    post(client_for(tenant.marketer), start="2018-01-01", end_mode="date", end="2020-01-01", **data)
    audience = Audience.objects.get()
    assert (audience.range_start, audience.range_end) == (dt.date(2018, 1, 1), dt.date(2020, 1, 1))


def test_most_recent_leaves_the_end_open(tenant, client_for):
    data = {"workspace": tenant.workspace.pk, "inputs": [tenant.input.pk], "date_range": "period"}
    post(client_for(tenant.marketer), start="2024-03-01", end="2025-01-01", **data)  # end ignored: most recent
    audience = Audience.objects.get()
    assert (audience.range_start, audience.range_end) == (dt.date(2024, 3, 1), None)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"start": "2020-01-02", "end_mode": "date", "end": "2020-01-01"}, "end", "on or after the start date"),
        ({"start": "", "end_mode": "date", "end": "2020-01-01"}, "start", "first day"),
        ({"start": "2020-01-01", "end_mode": "date", "end": ""}, "end", "last day"),
        ({"start": "yesterday"}, "start", "valid date"),
        ({"start": "2999-01-01"}, "start", "future"),
    ],
)
def test_a_bad_period_is_a_form_error_on_its_field_and_nothing_is_created(tenant, client_for, fields, field, message):
    data = {"workspace": tenant.workspace.pk, "inputs": [tenant.input.pk], "date_range": "period", **fields}
    response = post(client_for(tenant.marketer), **data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert message in " ".join(errors[field])
    assert not Audience.objects.exists()


def test_dates_typed_under_all_available_data_are_not_dropped_silently(tenant, client_for):
    data = {"workspace": tenant.workspace.pk, "inputs": [tenant.input.pk], "date_range": "all", "start": "2023-01-01"}
    response = post(client_for(tenant.marketer), **data)
    assert "Choose A period" in " ".join(response.context["form"].errors["date_range"])
    assert not Audience.objects.exists()


def test_a_missing_name_is_answered_in_the_dialog(tenant, client_for):
    response = post(client_for(tenant.marketer), name="", workspace=tenant.workspace.pk, inputs=[tenant.input.pk])
    assert "give the audience a name" in " ".join(response.context["form"].errors["name"])
    assert not Audience.objects.exists()


def test_another_accounts_input_is_refused(tenant, other_tenant, client_for):
    response = post(client_for(tenant.marketer), workspace=tenant.workspace.pk, inputs=[other_tenant.input.pk])
    assert response.context["form"].errors["inputs"]
    assert not Audience.objects.exists()


def test_the_dialog_comes_alone_for_htmx(tenant, client_for):
    body = client_for(tenant.marketer).get(NEW, headers={"HX-Request": "true"}).content.decode()
    assert "New Standard Audience" in body and "All available data" in body and "Most recent" in body
    assert "<html" not in body


def test_support_staff_cannot_create(tenant, client_for):
    client = client_for(tenant.support)
    assert client.get(NEW).status_code == 403
    assert post(client, workspace=tenant.workspace.pk, inputs=[tenant.input.pk]).status_code == 403
    assert not Audience.objects.exists()


def test_the_builder_defaults_event_criteria_to_the_date_range_and_saves_a_draft(tenant, client_for, make_standard):
    audience = make_standard("Fans", definition=None, start=dt.date(2024, 1, 1), most_recent=True)
    builder = Builder(client_for(tenant.marketer), audience)
    page = builder.response.content.decode()
    assert "Save as Draft" in page and "Activate" not in page
    assert "2024-01-01 to most recent" in page
    builder.post("add:event:custom_event")
    assert builder.editor.time.mode == "range"
    builder.post("done", name="Play Video", freq_op="gt", freq_value="0", time_mode="range")
    assert builder.definition["criteria"][0].get("time") is None
    assert "in the date range" in builder.response.content.decode()
    response = builder.post("save")
    assert response.status_code == 200  # HTMX: told where to go
    audience.refresh_from_db()
    assert audience.definition["criteria"][0]["name"] == "Play Video"
    assert "time" not in audience.definition["criteria"][0]
    assert audience.standard_state == StandardState.DRAFT


def test_a_recency_window_can_still_narrow_an_event_criterion(tenant, client_for, make_standard):
    audience = make_standard("Fans", definition=None)
    builder = Builder(client_for(tenant.marketer), audience)
    builder.post("add:event:custom_event")
    builder.post("done", name="Play Video", freq_op="gt", freq_value="0", time_mode="within_days", time_days="90")
    assert builder.definition["criteria"][0]["time"] == {"within_days": 90}


def test_activate_is_not_a_way_around_calculation(tenant, client_for, make_standard):
    audience = make_standard("Fans")
    builder = Builder(client_for(tenant.marketer), audience)
    builder.post("activate")
    audience.refresh_from_db()
    assert audience.standard_state == StandardState.DRAFT
    response = client_for(tenant.marketer).post(reverse("audiences:audience_activate", args=[audience.pk]))
    assert response.status_code == 302
    audience.refresh_from_db()
    assert audience.status == "draft" and audience.standard_state == StandardState.DRAFT


def test_a_calculated_audience_keeps_its_criteria(tenant, client_for, make_standard):
    audience = make_standard("Fans", state=StandardState.READY)
    client = client_for(tenant.marketer)
    page = client.get(audience.get_absolute_url()).content.decode()
    assert "Add Criteria" not in page and "clone it to change them" in page
    response = client.post(audience.get_absolute_url(), {"action": "remove:0", "definition": "null"})
    assert response.status_code == 409
    audience.refresh_from_db()
    assert audience.definition["criteria"][0]["name"] == "Play Video"


def test_standard_pages_sit_under_standard_in_the_navigation(tenant, client_for, make_standard):
    audience = make_standard("Fans")
    page = client_for(tenant.marketer).get(audience.get_absolute_url()).content.decode()
    assert 'href="/audiences/standard/" aria-current="page"' in page
    assert "A/B Test" not in page


def test_a_real_time_audience_can_pick_a_standard_one_as_a_criterion(tenant, client_for, make_standard):
    from audiences import services

    make_standard("Two-year buyers", state=StandardState.READY)
    live = services.create_audience(
        account=tenant.account, acting_user=tenant.marketer, name="Live", workspace_ids=[tenant.workspace.pk]
    )
    builder = Builder(client_for(tenant.marketer), live)
    builder.post("add:audience")
    assert "Two-year buyers (standard, ready)" in builder.response.content.decode()


def test_an_audiences_own_page_offers_the_next_step(tenant, client_for, make_standard):
    draft = make_standard("Draft one")
    ready = make_standard("Fresh one", state=StandardState.READY)
    old = make_standard("Old one", state=StandardState.EXPIRED)
    client = client_for(tenant.marketer)
    calculate = f"{reverse('audiences:standard_calculate')}?audience={draft.pk}"
    assert calculate in client.get(draft.get_absolute_url()).content.decode()
    assert (
        reverse("connections:standard_send", args=[ready.pk]) in client.get(ready.get_absolute_url()).content.decode()
    )
    page = client.get(old.get_absolute_url()).content.decode()
    assert reverse("audiences:standard_clone", args=[old.pk]) in page
    assert "can no longer be connected or sent" in page
    support = client_for(tenant.support).get(draft.get_absolute_url()).content.decode()
    assert calculate not in support
