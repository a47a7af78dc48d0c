"""Whatever comes back from the page (tampered hidden fields, stray buttons, odd query
strings), the audience pages answer with a page or a redirect, never a server error."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audiences.builder.vocabulary import CRITERION_KINDS

KEYS = [
    "type",
    "event_type",
    "name",
    "attributes",
    "frequency",
    "time",
    "key",
    "op",
    "value",
    "value2",
    "join",
    "data_type",
    "workspace_id",
    "audience_id",
    "member",
    "within_days",
    "publisher",
    "event",
    "mode",
    "field",
]
FIELDS = [
    "name",
    "key",
    "op",
    "value",
    "value2",
    "type",
    "join",
    "join-1",
    "attr-count",
    "attr-0-key",
    "attr-0-op",
    "attr-0-value",
    "attr-0-type",
    "freq-op",
    "freq-value",
    "time-mode",
    "time-days",
    "time-a",
    "time-date",
    "wait_hours",
    "audience_id",
    "member",
    "regulation",
    "purpose",
    "mode",
    "latitude",
    "radius_km",
    "identity_type",
    "publisher-op",
    "workspace_id",
    "editing",
]
ACTIONS = [
    "edit:²",
    "remove:\u0661",
    "up:99999999999999999999999",
    "refresh",
    "done",
    "cancel",
    "attr-add",
    "attr-remove:0",
    "attr-remove:9",
    "save",
    "activate",
    "add:event:custom_event",
    "add:event:nope",
    "add:attribution:install",
    "add:user_attribute",
    "edit:0",
    "edit:x",
    "remove:0",
    "remove:-1",
    "up:1",
    "down:0",
    "down:99",
]

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=10,
)
criteria = st.dictionaries(st.sampled_from(KEYS), values, max_size=6).map(
    lambda c: c if "type" in c else {**c, "type": "user_attribute"}
) | st.builds(
    lambda kind, rest: {**rest, "type": kind},
    st.sampled_from((*CRITERION_KINDS, "bogus")),
    st.dictionaries(st.sampled_from(KEYS), values, max_size=5),
)
definitions = st.one_of(
    st.builds(lambda cs: json.dumps({"version": 1, "criteria": cs}), st.lists(criteria, max_size=3)),
    st.builds(json.dumps, values),
    st.text(max_size=20),
    st.just("[" * 50_000),
)

pytestmark = pytest.mark.filterwarnings("ignore")


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    action=st.sampled_from(ACTIONS) | st.text(max_size=10),
    definition=definitions,
    draft=st.one_of(st.builds(json.dumps, criteria), st.text(max_size=10)),
    editing=st.sampled_from(["", "0", "1", "7", "x", "-1", "²", "99999999999999999999"]),
    fields=st.dictionaries(st.sampled_from(FIELDS), st.text(max_size=6), max_size=10),
)
def test_the_builder_never_fails_on_whatever_is_posted(
    tenant, client_for, tutorial, action, definition, draft, editing, fields
):
    client = client_for(tenant.marketer)
    data = {**fields, "action": action, "definition": definition, "draft": draft, "editing": editing}
    for headers in ({}, {"HX-Request": "true"}):
        response = client.post(reverse("audiences:audience_detail", args=[tutorial.pk]), data, headers=headers)
        assert response.status_code in (200, 302), response.status_code
    estimate = client.post(reverse("audiences:audience_estimate", args=[tutorial.pk]), {"definition": definition})
    assert estimate.status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "bogus"},
        {"page": "abc"},
        {"page": "999"},
        {"page": "-3"},
        {"per_page": "-1"},
        {"per_page": "0"},
        {"per_page": "100000"},
        {"tags": "xyz"},
        {"tags": "999999"},
        {"status": "bad"},
        {"tab": "nope"},
        {"q": "\x00"},
    ],
)
def test_the_list_never_fails_on_odd_query_strings(tenant, client_for, make_audience, params):
    make_audience("Parisians")
    response = client_for(tenant.marketer).get(reverse("audiences:realtime_list"), params)
    assert response.status_code == 200


def test_a_page_never_holds_more_than_100_audiences(tenant, client_for, make_audience):
    for n in range(3):
        make_audience(f"A{n}")
    response = client_for(tenant.marketer).get(reverse("audiences:realtime_list"), {"per_page": "1"})
    assert len(response.context["table"].page.object_list) == 1
    response = client_for(tenant.marketer).get(reverse("audiences:realtime_list"), {"per_page": "100000"})
    assert response.context["table"].paginator.per_page == 100


def test_nul_characters_never_reach_the_database(tenant, client_for, tutorial):
    from tests.web.audiences.driving import Builder

    builder = Builder(client_for(tenant.marketer), tutorial)
    builder.post("add:user_attribute")
    builder.post("done", key="sta\x00tus", op="equals", value="Pre\x00mium")
    assert builder.definition["criteria"][0]["value"] == "Premium"
    tampered = json.dumps(
        {"version": 1, "criteria": [{"type": "user_attribute", "key": "s", "op": "equals", "value": "a\x00"}]}
    )
    url = reverse("audiences:audience_detail", args=[tutorial.pk])
    response = client_for(tenant.marketer).post(url, {"action": "save", "definition": tampered})
    assert response.status_code == 200 and "NUL" in response.content.decode()
    estimate = client_for(tenant.marketer).post(
        reverse("audiences:audience_estimate", args=[tutorial.pk]), {"definition": tampered}
    )
    assert "NUL" in estimate.content.decode()
    tutorial.refresh_from_db()
    assert tutorial.definition is None


@pytest.mark.parametrize(
    "data",
    [
        {"action": "edit:²"},
        {"action": "remove:\u0661"},
        {"action": "down:99999999999999999999999"},
        {"action": "refresh", "definition": "[" * 50_000},
        {"action": "done", "editing": "0", "draft": '{"type": "audience"}', "audience_id": "99999999999999999999999"},
        {"action": "done", "editing": "²", "draft": '{"type": "consent"}'},
    ],
)
def test_odd_builder_posts_answer_a_page(tenant, client_for, tutorial, data):
    response = client_for(tenant.marketer).post(reverse("audiences:audience_detail", args=[tutorial.pk]), data)
    assert response.status_code == 200
