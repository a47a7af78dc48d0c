"""The catalogue lists, per workspace, the event names and attribute keys received, with the
data type their values suggest."""

from __future__ import annotations

import pytest

from audiences.models import CatalogueAttribute, CatalogueEvent
from tests.factories import WorkspaceFactory, make_input

pytestmark = pytest.mark.django_db


def play(**attributes) -> dict:
    return {"event_type": "custom_event", "data": {"event_name": "Play", "custom_attributes": attributes}}


def types_in(workspace) -> dict[tuple[str, str, str], str]:
    return {
        (a.event_type, a.event_name, a.key): a.detected_type
        for a in CatalogueAttribute.objects.filter(workspace=workspace)
    }


def test_names_and_keys_appear_with_their_detected_types(post, tenant):
    response = post(
        "/v2/events",
        {
            "user_attributes": {
                "$city": "Leeds",
                "age": 37,
                "vip": True,
                "signup": "2024-05-01T10:00:00Z",
                "genres": ["jazz", "folk"],
                "nickname": None,
            },
            "events": [
                play(song="So What", seconds=545, rating="4.5", released="1959-08-17", explicit=False),
                {"event_type": "screen_view", "data": {"screen_name": "Home"}},
                {"event_type": "commerce_event", "data": {"product_action": {"action": "purchase"}}},
                {
                    "event_type": "application_state_transition",
                    "data": {"application_transition_type": "application_initialized", "is_first_run": True},
                },
            ],
        },
    )

    assert response.status_code == 202
    events = set(CatalogueEvent.objects.filter(workspace=tenant.workspace).values_list("event_type", "name"))
    assert events == {
        ("custom_event", "Play"),
        ("screen_view", "Home"),
        ("commerce_event", "purchase"),
        ("install", "application_initialized"),
    }
    assert types_in(tenant.workspace) == {
        ("", "", "$city"): "string",
        ("", "", "age"): "number",
        ("", "", "vip"): "boolean",
        ("", "", "signup"): "date",
        ("", "", "genres"): "list",
        ("custom_event", "Play", "song"): "string",
        ("custom_event", "Play", "seconds"): "number",
        ("custom_event", "Play", "rating"): "number",
        ("custom_event", "Play", "released"): "date",
        ("custom_event", "Play", "explicit"): "boolean",
    }


def test_a_key_whose_values_disagree_becomes_a_string(post, tenant):
    post("/v2/events", {"user_attributes": {"age": 37}, "events": [play(seconds=545)]})
    post("/v2/events", {"user_attributes": {"age": "thirty-seven"}, "events": [play(seconds=12)]})

    types = types_in(tenant.workspace)
    assert types[("", "", "age")] == "string"
    assert types[("custom_event", "Play", "seconds")] == "number"


def test_each_workspace_has_its_own_catalogue(post, tenant, client_for):
    radio = WorkspaceFactory(account=tenant.account, name="Radio")
    radio_input, radio_secret = make_input(radio, name="Radio web", platform="web")

    post("/v2/events", {"events": [play(song="So What")]})
    post(
        "/v2/events",
        {"events": [{"event_type": "custom_event", "data": {"event_name": "Tune In", "custom_attributes": {"x": 1}}}]},
        source=radio_input,
        secret=radio_secret,
    )

    assert set(CatalogueEvent.objects.filter(workspace=tenant.workspace).values_list("name", flat=True)) == {"Play"}
    assert set(CatalogueEvent.objects.filter(workspace=radio).values_list("name", flat=True)) == {"Tune In"}
    assert types_in(radio) == {("custom_event", "Tune In", "x"): "number"}
    page = client_for(tenant.marketer).get("/setup/catalogue/")
    assert page.status_code == 200
    assert "song" in page.content.decode()
    assert "Tune In" not in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_committed_requests_keep_the_catalogue_right_across_requests(post, tenant):
    # Committed, so the web process remembers which entries are stored and skips writing
    # them again: what it skips must never hide a new name, a new key or a change of type.
    post("/v2/events", {"user_attributes": {"age": 37}, "events": [play(seconds=545)]})
    post("/v2/events", {"user_attributes": {"age": 41}, "events": [play(seconds=60)]})
    post(
        "/v2/events",
        {
            "user_attributes": {"age": "forty", "plan": "gold"},
            "events": [play(seconds=12, song="Blue"), {"event_type": "screen_view", "data": {"screen_name": "Home"}}],
        },
    )
    post("/v2/events", {"user_attributes": {"age": 50}, "events": [play(seconds=3)]})

    assert types_in(tenant.workspace) == {
        ("", "", "age"): "string",
        ("", "", "plan"): "string",
        ("custom_event", "Play", "seconds"): "number",
        ("custom_event", "Play", "song"): "string",
    }
    events = set(CatalogueEvent.objects.filter(workspace=tenant.workspace).values_list("event_type", "name"))
    assert events == {("custom_event", "Play"), ("screen_view", "Home")}
