"""Validating definitions: every fault is answered with the JSON path that names it, and
references are checked against the account (audiences, inputs, workspaces, nesting)."""

from __future__ import annotations

from typing import Any

import pytest

from audiences.criteria.definition import validate_definition
from audiences.models import Audience
from tests.engine.world import World

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
            "frequency": {"op": "gte", "value": 1},
            "time": {"within_days": 3},
        },
        {"join": "and", "type": "user_attribute", "key": "status", "op": "equals", "value": "Premium"},
    ],
}


def check(world: World, data: Any, *, audience: Audience | None = None, workspaces=(0,)) -> list[dict[str, str]]:
    workspace_ids = [world.workspaces[w].pk for w in workspaces]
    inputs = [i for w in workspace_ids for i in world.inputs[w]]
    definition, errors = validate_definition(
        data,
        account=world.account,
        workspace_ids=workspace_ids,
        input_ids=inputs,
        audience_id=audience.pk if audience else None,
    )
    assert (definition is None) == bool(errors)
    return errors


def with_criteria(*criteria: dict) -> dict:
    return {"version": 1, "criteria": list(criteria)}


def paths(errors: list[dict[str, str]]) -> list[str]:
    return [e["path"] for e in errors]


def test_the_tutorial_definition_is_valid(world):
    assert check(world, TUTORIAL) == []


def test_every_criterion_type_can_be_written(world):
    nested = world.nested[0].pk
    data = with_criteria(
        {"type": "event", "event_type": "commerce_event", "name": "purchase", "time": {"between_days_ago": [6, 4]}},
        {"join": "or", "type": "cart_abandonment", "wait_hours": 24, "time": {"after": "2018-09-01"}},
        {"join": "and", "type": "user_attribute", "key": "age", "op": "between", "value": 18, "value2": 30},
        {"join": "and", "type": "user_attribute_list", "key": "movies", "op": "includes", "value": "Chicago"},
        {"join": "exclude", "type": "audience", "audience_id": nested, "member": True},
        {"join": "and", "type": "calculated_attribute", "name": "ltv", "op": "gte", "value": 100},
        {"join": "and", "type": "consent", "regulation": "gdpr", "purpose": "marketing", "consented": True},
        {"join": "and", "type": "consent", "regulation": "ccpa", "consented": False},
        {"join": "and", "type": "device", "field": "carrier", "op": "contains", "value": "veri"},
        {"join": "and", "type": "first_seen", "time": {"between_dates": ["2018-09-01", "2018-09-09"]}},
        {"join": "and", "type": "location", "mode": "equals", "field": "dma", "value": "602"},
        {"join": "or", "type": "location", "mode": "within", "latitude": 41.9, "longitude": -87.6, "radius_km": 25},
        {"join": "and", "type": "identity", "identity_type": "ios_advertising_id", "op": "exists"},
        {"join": "and", "type": "attribution", "event": "install", "publisher": {"op": "equals", "value": "fb"}},
        {"join": "and", "type": "user_attribute", "key": "signup", "op": "time", "value": {"on": "2018-09-01"}},
        {"join": "and", "type": "user_attribute", "key": "optin", "op": "is_true"},
    )
    assert check(world, data) == []


def ua(**fields: Any) -> dict:
    return with_criteria({"type": "user_attribute", "key": "k", **fields})


def ev(**fields: Any) -> dict:
    return with_criteria({"type": "event", "event_type": "custom_event", **fields})


FIRST = TUTORIAL["criteria"][0]
SEEN = {"type": "first_seen", "time": {"within_days": 1}}


@pytest.mark.parametrize(
    ("data", "path"),
    [
        (ev(attributes=[{"key": "k", "op": "like", "value": "x"}]), "criteria[0].attributes[0].op"),
        (ua(op="equals", value="x", colour=1), "criteria[0].colour"),
        (ua(op="gt", value="ten"), "criteria[0].value"),
        (ua(op="between", value=5, value2=1), "criteria[0].value2"),
        (ua(op="equals"), "criteria[0].value"),
        (ua(op="equals", value=[1]), "criteria[0].value"),
        (ua(op="equals", value="x", data_type="number"), "criteria[0].value"),
        (ua(op="time", value={"within_days": "3"}), "criteria[0].value"),
        (with_criteria({"type": "telepathy"}), "criteria[0]"),
        (ev(time={"within_days": 3, "on": "2018-09-01"}), "criteria[0].time"),
        (ev(time={"between_days_ago": [4, 6]}), "criteria[0].time"),
        (ev(time={"before": "09/01/2018"}), "criteria[0].time.before"),
        (ev(time={"on": "2018-02-30"}), "criteria[0].time.on"),
        (ev(frequency={"op": "gt", "value": -1}), "criteria[0].frequency.value"),
        (ev(frequency={"op": "gt", "value": 1.5}), "criteria[0].frequency.value"),
        (with_criteria({"type": "event", "event_type": "page_view"}), "criteria[0].event_type"),
        (with_criteria({"type": "identity", "identity_type": "passport", "op": "exists"}), "criteria[0].identity_type"),
        (with_criteria({"type": "consent", "regulation": "gdpr", "consented": True}), "criteria[0]"),
        (
            with_criteria({"type": "location", "mode": "within", "latitude": 91, "longitude": 0, "radius_km": 5}),
            "criteria[0].latitude",
        ),
        (with_criteria({"type": "audience", "audience_id": "42"}), "criteria[0].audience_id"),
        (with_criteria({"join": "and", **SEEN}), "criteria[0].join"),
        (with_criteria(FIRST, SEEN), "criteria[1].join"),
        (with_criteria(FIRST, {**SEEN, "join": "xor"}), "criteria[1].join"),
        ({"version": 2, "criteria": TUTORIAL["criteria"]}, "version"),
        ({"version": 1, "criteria": []}, "criteria"),
        ({"version": 1}, "criteria"),
        ([1, 2], "$"),
    ],
)
def test_faults_name_their_path(world, data, path):
    errors = check(world, data)
    assert path in paths(errors), errors
    assert all(e["message"] for e in errors)


def test_references_must_exist_in_the_account(world, other_tenant):
    foreign = Audience.objects.create(account=other_tenant.account, name="Theirs")
    data = with_criteria(
        {"type": "audience", "audience_id": foreign.pk},
        {"join": "and", "type": "event", "event_type": "custom_event", "input_ids": [other_tenant.input.pk]},
        {
            "join": "and",
            "type": "user_attribute",
            "key": "k",
            "op": "exists",
            "workspace_id": other_tenant.workspace.pk,
        },
    )
    errors = check(world, data, workspaces=(0, 1))
    assert paths(errors) == ["criteria[0].audience_id", "criteria[1].input_ids[0]", "criteria[2].workspace_id"]
    assert "does not exist" in errors[0]["message"]


def test_only_audiences_that_nest_none_can_be_nested(world):
    inner = world.nested[0]
    middle = Audience.objects.create(
        account=world.account, name="Middle", definition=with_criteria({"type": "audience", "audience_id": inner.pk})
    )
    errors = check(world, with_criteria({"type": "audience", "audience_id": middle.pk}))
    assert paths(errors) == ["criteria[0].audience_id"]
    assert "nests other audiences" in errors[0]["message"]


def test_an_audience_cannot_include_itself(world):
    audience = world.nested[0]
    errors = check(world, with_criteria({"type": "audience", "audience_id": audience.pk}), audience=audience)
    assert paths(errors) == ["criteria[0].audience_id"]


def test_an_audience_nested_elsewhere_cannot_start_nesting_so_no_cycle_can_form(world):
    a, b = world.nested
    a.definition = with_criteria({"type": "audience", "audience_id": b.pk})
    a.save()
    # b is nested in a: b may not nest a (a cycle), nor any other audience.
    for target in (a, Audience.objects.create(account=world.account, name="Plain")):
        errors = check(world, with_criteria({"type": "audience", "audience_id": target.pk}), audience=b)
        assert errors and all(e["path"] == "criteria[0].audience_id" for e in errors)


def test_a_single_workspace_audience_ignores_a_criterions_workspace(world):
    data = with_criteria({"type": "user_attribute", "key": "k", "op": "exists", "workspace_id": 999999})
    assert check(world, data) == []
