"""The Build tab through plain form posts (what the browser sends with or without HTMX)."""

from __future__ import annotations

import html
import json

import pytest
from django.urls import reverse

from audiences import services
from audiences.builder import MENU
from audiences.models import Audience
from tests.factories import WorkspaceFactory, make_input
from tests.web.audiences.conftest import TUTORIAL
from tests.web.audiences.driving import Builder


def test_add_criteria_offers_every_criterion_type_grouped_as_in_the_product(tenant, client_for, tutorial):
    page = Builder(client_for(tenant.marketer), tutorial).response.content.decode()
    assert "Add Criteria" in page
    for group, items in MENU:
        assert f"<h3>{group}</h3>" in page
        for key, label in items:
            assert f'value="add:{key}"' in page and label in page
    groups = [group for group, _ in MENU]
    assert groups == [
        "Events",
        "Ecommerce",
        "Crashes",
        "Installs",
        "Uninstalls",
        "Sessions",
        "Upgrades",
        "Screen views",
        "Users",
        "Attribution",
    ]


def test_an_event_criterion_defaults_to_more_than_0_in_the_last_30_days_and_lists_catalogue_names(
    tenant, client_for, tutorial
):
    builder = Builder(client_for(tenant.marketer), tutorial)
    builder.post("add:event:custom_event")
    assert builder.editor.frequency == {"op": "gt", "value": 0}
    assert (builder.editor.time.mode, builder.editor.time.days) == ("within_days", 30)
    body = builder.response.content.decode()
    assert '<option value="Play Video">' in body
    assert "<html" not in body  # HTMX gets the builder alone
    builder.post("refresh", name="Play Video")
    assert set(builder.editor.keys) >= {"category", "destination", "seconds"}
    assert builder.editor.keys["seconds"] == "number"


def test_building_the_tutorial_audience_then_saving_it(tenant, client_for, tutorial):
    builder = Builder(client_for(tenant.marketer), tutorial)
    builder.post("add:event:custom_event")
    builder.post("refresh", name="Play Video")
    builder.post("attr-add", name="Play Video", attr_count="0")
    builder.post(
        "attr-add",
        name="Play Video",
        attr_count="1",
        attr_0_key="category",
        attr_0_op="equals",
        attr_0_value="Destination Intro",
    )
    builder.post(
        "done",
        name="Play Video",
        attr_count="2",
        attr_0_key="category",
        attr_0_op="equals",
        attr_0_value="Destination Intro",
        attr_1_key="destination",
        attr_1_op="equals",
        attr_1_value="Paris",
        freq_op="gt",
        freq_value="0",
        time_mode="within_days",
        time_days="3",
    )
    assert builder.editor is None
    assert builder.context["dirty"] and 'data-dirty="true"' in builder.response.content.decode()
    builder.post("add:user_attribute")
    builder.post("done", join="and", key="status", op="equals", value="Premium")
    assert builder.definition == TUTORIAL
    tutorial.refresh_from_db()
    assert tutorial.definition is None  # nothing is stored before Save
    response = builder.post("save")
    assert response["HX-Redirect"] == tutorial.get_absolute_url()
    tutorial.refresh_from_db()
    assert tutorial.definition == TUTORIAL and tutorial.status == "draft"


def test_without_javascript_every_step_is_a_full_page_and_save_redirects(tenant, client_for, tutorial):
    builder = Builder(client_for(tenant.marketer), tutorial, htmx=False)
    builder.post("add:user_attribute")
    assert "<html" in builder.response.content.decode()
    builder.post("done", key="status", op="equals", value="Premium")
    response = builder.post("save")
    assert response.status_code == 302 and response["Location"] == tutorial.get_absolute_url()
    tutorial.refresh_from_db()
    assert tutorial.definition["criteria"] == [
        {"type": "user_attribute", "key": "status", "op": "equals", "value": "Premium"}
    ]


def test_operators_follow_the_detected_type_and_the_type_can_be_overridden(tenant, client_for, tutorial):
    builder = Builder(client_for(tenant.marketer), tutorial)
    builder.post("add:user_attribute")
    builder.post("refresh", key="age", op="equals")
    ops = [value for value, _ in builder.editor.condition.ops]
    assert builder.editor.condition.detected == "number"
    assert "gt" in ops and "between" in ops and "contains" not in ops
    builder.post("refresh", key="age", type="string", op="gt")
    ops = [value for value, _ in builder.editor.condition.ops]
    assert "contains" in ops and "gt" not in ops
    assert builder.editor.condition.op == "equals"  # gt does not suit text: the first that does
    builder.post("done", key="age", type="string", op="contains", value="3")
    assert builder.definition["criteria"] == [
        {"type": "user_attribute", "key": "age", "op": "contains", "data_type": "string", "value": "3"}
    ]


def test_a_number_condition_refuses_text_on_its_field(tenant, client_for, tutorial):
    builder = Builder(client_for(tenant.marketer), tutorial)
    builder.post("add:user_attribute")
    builder.post("done", key="age", op="gt", value="old")
    assert builder.editor is not None
    assert builder.editor.condition.errors == {"value": "Enter a number."}
    assert builder.definition is None


def test_the_engines_refusal_shows_on_the_field(tenant, client_for, tutorial, make_audience):
    inner = make_audience(
        "Inner", definition={"version": 1, "criteria": [{"type": "user_attribute", "key": "status", "op": "exists"}]}
    )
    outer = make_audience(
        "Outer", definition={"version": 1, "criteria": [{"type": "audience", "audience_id": inner.pk}]}
    )
    builder = Builder(client_for(tenant.marketer), tutorial)
    builder.post("add:audience")
    assert [a.name for a in builder.editor.audiences] == ["Inner"]  # Outer nests an audience
    builder.post("done", audience_id=str(outer.pk), member="1")
    assert "nests other audiences" in builder.editor.errors["audience_id"]
    assert builder.definition is None


def test_saving_a_definition_the_engine_rejects_names_the_criterion_and_stores_nothing(tenant, client_for, tutorial):
    client = client_for(tenant.marketer)
    bad = {"version": 1, "criteria": [{"type": "user_attribute", "key": "status", "op": "sounds_like", "value": "x"}]}
    response = client.post(
        reverse("audiences:audience_detail", args=[tutorial.pk]), {"action": "save", "definition": json.dumps(bad)}
    )
    assert response.status_code == 200
    errors = response.context["rows"][0]["errors"]
    assert errors[0].startswith("op: Input should be")
    assert html.escape(errors[0]) in response.content.decode()
    tutorial.refresh_from_db()
    assert tutorial.definition is None


def test_criteria_can_be_edited_removed_reordered_and_joined(tenant, client_for, tutorial):
    services.update_audience(tutorial, acting_user=tenant.marketer, definition=TUTORIAL)
    builder = Builder(client_for(tenant.marketer), tutorial)
    builder.post("down:0")
    assert [c["type"] for c in builder.definition["criteria"]] == ["user_attribute", "event"]
    assert "join" not in builder.definition["criteria"][0] and builder.definition["criteria"][1]["join"] == "and"
    builder.post("refresh", **{"join-1": "exclude"})
    assert builder.definition["criteria"][1]["join"] == "exclude"
    builder.post("edit:0")
    assert builder.editor.condition.key == "status"
    builder.post("done", key="status", op="equals", value="Gold")
    assert builder.definition["criteria"][0]["value"] == "Gold"
    builder.post("remove:0")
    assert len(builder.definition["criteria"]) == 1 and "join" not in builder.definition["criteria"][0]
    builder.post("save")
    tutorial.refresh_from_db()
    assert [c["type"] for c in tutorial.definition["criteria"]] == ["event"]


def test_cancel_leaves_the_criteria_as_they_were(tenant, client_for, tutorial):
    services.update_audience(tutorial, acting_user=tenant.marketer, definition=TUTORIAL)
    builder = Builder(client_for(tenant.marketer), tutorial)
    builder.post("edit:1")
    builder.post("cancel", key="status", op="equals", value="Changed")
    assert builder.definition == TUTORIAL
    assert not builder.context["dirty"]


def test_save_is_refused_while_a_criterion_is_open(tenant, client_for, tutorial):
    builder = Builder(client_for(tenant.marketer), tutorial)
    builder.post("add:user_attribute")
    builder.post("save", key="status", op="equals", value="Premium")
    assert "Finish the criterion" in builder.response.content.decode()
    tutorial.refresh_from_db()
    assert tutorial.definition is None


def test_a_multi_workspace_audience_picks_the_workspace_of_a_profile_criterion(tenant, client_for):
    second = WorkspaceFactory(account=tenant.account, name="Zeta")
    _web, _ = make_input(second, name="Zeta Web", platform="web")
    audience = services.create_audience(
        account=tenant.account, acting_user=tenant.marketer, name="Both", workspace_ids=[tenant.workspace.pk, second.pk]
    )
    builder = Builder(client_for(tenant.marketer), audience)
    builder.post("add:user_attribute")
    assert [w.name for w in builder.editor.workspaces] == ["Acme main", "Zeta"]
    builder.post("done", key="status", op="exists", workspace_id=str(second.pk))
    assert builder.definition["criteria"][0]["workspace_id"] == second.pk
    assert "(in Zeta)" in builder.response.content.decode()


@pytest.mark.parametrize(
    ("key", "fields", "expected"),
    [
        (
            "event:commerce_event",
            {
                "name": "add_to_cart",
                "attr_count": "0",
                "freq_op": "gte",
                "freq_value": "2",
                "time_mode": "between_days_ago",
                "time_a": "6",
                "time_b": "4",
            },
            {
                "type": "event",
                "event_type": "commerce_event",
                "name": "add_to_cart",
                "attributes": [],
                "frequency": {"op": "gte", "value": 2},
                "time": {"between_days_ago": [6, 4]},
            },
        ),
        (
            "event:session_start",
            {"attr_count": "0", "freq_op": "lt", "freq_value": "3", "time_mode": "before", "time_date": "2025-01-09"},
            {
                "type": "event",
                "event_type": "session_start",
                "attributes": [],
                "frequency": {"op": "lt", "value": 3},
                "time": {"before": "2025-01-09"},
            },
        ),
        (
            "cart_abandonment",
            {"wait_hours": "12", "time_mode": "within_days", "time_days": "7"},
            {"type": "cart_abandonment", "wait_hours": 12, "time": {"within_days": 7}},
        ),
        (
            "user_attribute_list",
            {"key": "favourites", "op": "partial_match", "value": "Chicago"},
            {"type": "user_attribute_list", "key": "favourites", "op": "partial_match", "value": "Chicago"},
        ),
        (
            "calculated_attribute",
            {"key": "ltv", "type": "number", "op": "between", "value": "10", "value2": "20.5"},
            {
                "type": "calculated_attribute",
                "name": "ltv",
                "op": "between",
                "data_type": "number",
                "value": 10,
                "value2": 20.5,
            },
        ),
        (
            "consent",
            {"regulation": "gdpr", "purpose": "marketing", "consented": "0"},
            {"type": "consent", "regulation": "gdpr", "purpose": "marketing", "consented": False},
        ),
        (
            "device",
            {"field": "os", "op": "contains", "value": "iOS"},
            {"type": "device", "field": "os", "op": "contains", "value": "iOS"},
        ),
        (
            "first_seen",
            {"time_mode": "between_dates", "time_date": "2025-01-01", "time_date2": "2025-01-31"},
            {"type": "first_seen", "time": {"between_dates": ["2025-01-01", "2025-01-31"]}},
        ),
        (
            "location",
            {"mode": "within", "latitude": "48.85", "longitude": "2.35", "radius_km": "25"},
            {"type": "location", "mode": "within", "latitude": 48.85, "longitude": 2.35, "radius_km": 25.0},
        ),
        (
            "identity",
            {"identity_type": "email", "op": "pattern", "value": "*@example.com"},
            {"type": "identity", "identity_type": "email", "op": "pattern", "value": "*@example.com"},
        ),
        (
            "attribution:install",
            {"publisher-op": "equals", "publisher-value": "Facebook", "campaign-op": ""},
            {"type": "attribution", "event": "install", "publisher": {"op": "equals", "value": "Facebook"}},
        ),
    ],
)
def test_every_criterion_type_has_an_editor_that_writes_valid_definitions(
    tenant, client_for, tutorial, key, fields, expected
):
    builder = Builder(client_for(tenant.marketer), tutorial)
    builder.post(f"add:{key}")
    assert builder.editor is not None, key
    builder.post("done", **fields)
    assert builder.editor is None, builder.editor and builder.editor.errors
    assert builder.definition["criteria"] == [expected]
    builder.post("save")
    tutorial.refresh_from_db()
    assert tutorial.definition["criteria"] == [expected]


def test_support_sees_the_criteria_but_cannot_build(tenant, client_for, tutorial):
    services.update_audience(tutorial, acting_user=tenant.marketer, definition=TUTORIAL)
    client = client_for(tenant.support)
    page = client.get(reverse("audiences:audience_detail", args=[tutorial.pk])).content.decode()
    assert "Play Video" in page and "Add Criteria" not in page and "Activate" not in page
    assert (
        client.post(
            reverse("audiences:audience_detail", args=[tutorial.pk]), {"action": "add:user_attribute"}
        ).status_code
        == 403
    )
    assert Audience.objects.get(pk=tutorial.pk).definition == TUTORIAL


def test_estimates_of_the_whole_audience_and_each_criterion_come_as_htmx_swaps(tenant, client_for, tutorial):
    expected = 6 + 2  # seeded by the fixture; a small account is counted exactly
    response = client_for(tenant.support).post(
        reverse("audiences:audience_estimate", args=[tutorial.pk]), {"definition": json.dumps(TUTORIAL)}
    )
    body = response.content.decode()
    assert 'id="estimate-c0" hx-swap-oob="true"' in body and 'id="estimate-total" hx-swap-oob="true"' in body
    total, each = response.context["total"], [e for _, e in response.context["each"]]
    assert total.state == "ok" and total.estimate == expected
    assert each[0].estimate == 6 + 2 + 4  # Paris intros within 3 days, whatever the status
    assert each[1].estimate == 6 + 2 + 3 + 3 + 2  # premium, any case


def test_an_estimate_that_cannot_be_made_shows_the_warning_sign_with_the_reason(tenant, client_for, make_audience):
    audience = make_audience("No inputs", input_ids=[])
    response = client_for(tenant.marketer).post(
        reverse("audiences:audience_estimate", args=[audience.pk]), {"definition": json.dumps(TUTORIAL)}
    )
    body = response.content.decode()
    assert "⚠" in body and "Select at least one input" in body
