"""Platform API: audiences without the criteria engine's parts (definitions have their own tests)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from accounts.tokens import create_token
from audiences.models import Audience, Member, MembershipChange
from tests.factories import WorkspaceFactory, make_input


def _client(tenant, role="marketer") -> Client:
    value = create_token(account=tenant.account, name=role, role=role, created_by=tenant.marketer)[1]
    return Client(headers={"Authorization": f"Bearer {value}"})


def _post(client: Client, path: str, body) -> object:
    return client.post(path, json.dumps(body), content_type="application/json")


def _patch(client: Client, path: str, body) -> object:
    return client.patch(path, json.dumps(body), content_type="application/json")


@pytest.fixture
def api(tenant):
    return _client(tenant)


def test_create_read_list_and_clone(tenant, api):
    created = _post(
        api,
        "/platform/v1/audiences",
        {"name": "Paris fans", "workspace_ids": [tenant.workspace.pk], "tags": ["travel"]},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["external_name"] == "Paris fans"
    assert body["input_ids"] == [tenant.input.pk]
    assert body["status"] == "draft" and body["scope"] == "single" and body["tags"] == ["travel"]
    assert api.get(f"/platform/v1/audiences/{body['id']}").json()["name"] == "Paris fans"
    listed = api.get("/platform/v1/audiences", {"tag": "travel"}).json()
    assert [a["name"] for a in listed] == ["Paris fans"]
    copy = api.post(f"/platform/v1/audiences/{body['id']}/clone")
    assert copy.status_code == 201
    assert copy.json()["name"] == "Copy of Paris fans" and copy.json()["tags"] == ["travel"]


def test_tag_filters_require_every_tag_and_search_by_name(tenant, api):
    for name, tags in (("A", ["x", "y"]), ("B", ["x"]), ("C", [])):
        _post(api, "/platform/v1/audiences", {"name": name, "workspace_ids": [tenant.workspace.pk], "tags": tags})
    both = api.get("/platform/v1/audiences?tag=x&tag=y").json()
    assert [a["name"] for a in both] == ["A"]
    assert [a["name"] for a in api.get("/platform/v1/audiences", {"q": "b"}).json()] == ["B"]


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"name": "", "workspace_ids": [1]}, "name"),
        ({"name": "x" * 101, "workspace_ids": [1]}, "name"),
        ({"name": "ok", "external_name": "y" * 101, "workspace_ids": [1]}, "external_name"),
        ({"name": "ok", "workspace_ids": [1], "tags": ["this tag is far too long"]}, "tags[0]"),
        ({"name": "ok", "workspace_ids": []}, "workspace_ids"),
        ({"name": "ok"}, "workspace_ids"),
        ({"name": "ok", "workspace_ids": [1], "colour": "red"}, "colour"),
        ({"name": 5, "workspace_ids": "nope"}, "name"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(tenant, api, body, path):
    if body.get("workspace_ids") == [1]:
        body["workspace_ids"] = [tenant.workspace.pk]
    response = _post(api, "/platform/v1/audiences", body)
    assert response.status_code == 400, response.content
    assert path in [e["path"] for e in response.json()["errors"]]
    assert not Audience.objects.exists()


def test_inputs_and_workspaces_of_elsewhere_are_refused(tenant, other_tenant, api):
    other = _post(api, "/platform/v1/audiences", {"name": "x", "workspace_ids": [other_tenant.workspace.pk]})
    assert other.status_code == 400 and other.json()["errors"][0]["path"] == "workspace_ids[0]"
    second = WorkspaceFactory(account=tenant.account)
    foreign_input, _ = make_input(second, name="Web", platform="web")
    wrong = _post(
        api,
        "/platform/v1/audiences",
        {"name": "x", "workspace_ids": [tenant.workspace.pk], "input_ids": [tenant.input.pk, foreign_input.pk]},
    )
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["path"] == "input_ids[1]"
    assert not Audience.objects.exists()


def test_access_is_per_account_and_per_role(tenant, other_tenant, api):
    mine = _post(api, "/platform/v1/audiences", {"name": "Mine", "workspace_ids": [tenant.workspace.pk]}).json()
    outsider = _client(other_tenant)
    assert outsider.get(f"/platform/v1/audiences/{mine['id']}").status_code == 404
    assert outsider.delete(f"/platform/v1/audiences/{mine['id']}").status_code == 404
    assert outsider.get("/platform/v1/audiences").json() == []
    support = _client(tenant, role="support")
    assert support.get(f"/platform/v1/audiences/{mine['id']}").status_code == 200
    assert _patch(support, f"/platform/v1/audiences/{mine['id']}", {"name": "Changed"}).status_code == 403
    assert support.delete(f"/platform/v1/audiences/{mine['id']}").status_code == 403
    assert Audience.objects.get(pk=mine["id"]).name == "Mine"
    assert api.get("/platform/v1/audiences/99999999999999999999").status_code in (400, 404)


def test_patch_changes_only_what_is_given(tenant, api):
    made = _post(api, "/platform/v1/audiences", {"name": "Old", "workspace_ids": [tenant.workspace.pk]}).json()
    changed = _patch(api, f"/platform/v1/audiences/{made['id']}", {"external_name": "Partner name", "tags": ["a"]})
    assert changed.status_code == 200
    assert changed.json()["name"] == "Old" and changed.json()["external_name"] == "Partner name"
    bad = _patch(api, f"/platform/v1/audiences/{made['id']}", {"tags": ["ok", "x" * 19]})
    assert bad.status_code == 400 and bad.json()["errors"][0]["path"] == "tags[1]"
    assert api.get(f"/platform/v1/audiences/{made['id']}").json()["tags"] == ["a"]


def test_delete_of_a_nested_audience_is_refused_with_the_nesting_audiences(tenant, api):
    inner = _post(api, "/platform/v1/audiences", {"name": "Inner", "workspace_ids": [tenant.workspace.pk]}).json()
    outer = Audience.objects.create(
        account=tenant.account,
        name="Outer",
        created_by=tenant.marketer,
        definition={"version": 1, "criteria": [{"type": "audience", "audience_id": inner["id"]}]},
    )
    refused = api.delete(f"/platform/v1/audiences/{inner['id']}")
    assert refused.status_code == 409
    assert refused.json()["nesting_audiences"] == [
        {"id": outer.pk, "name": "Outer", "created_by": tenant.marketer.username}
    ]
    assert Audience.objects.filter(pk=inner["id"]).exists()
    outer.delete()
    assert api.delete(f"/platform/v1/audiences/{inner['id']}").status_code == 204
    assert not Audience.objects.filter(pk=inner["id"]).exists()


def test_members_are_paged_by_ascending_mpid_and_metrics_come_from_the_log(tenant, api):
    from django.utils import timezone

    made = _post(api, "/platform/v1/audiences", {"name": "M", "workspace_ids": [tenant.workspace.pk]}).json()
    now = timezone.now()
    Member.objects.bulk_create(Member(audience_id=made["id"], mpid=m, added_at=now) for m in (5, 1, 9, 3))
    MembershipChange.objects.bulk_create(
        MembershipChange(audience_id=made["id"], mpid=m, added=True, at=now) for m in (5, 1, 9, 3, 7)
    )
    MembershipChange.objects.create(audience_id=made["id"], mpid=7, added=False, at=now)
    Audience.objects.filter(pk=made["id"]).update(size=4)
    first = api.get(f"/platform/v1/audiences/{made['id']}/members", {"limit": 3}).json()
    assert first == {"mpids": [1, 3, 5], "next": 5}
    rest = api.get(f"/platform/v1/audiences/{made['id']}/members", {"limit": 3, "after": 5}).json()
    assert rest == {"mpids": [9], "next": None}
    row = api.get("/platform/v1/audiences").json()[0]
    assert (row["size"], row["adds_24h"], row["drops_24h"]) == (4, 5, 1)
    assert row["volatility"] == pytest.approx(6 / 4)


def test_calculation_state_is_readable(tenant, api):
    made = _post(api, "/platform/v1/audiences", {"name": "C", "workspace_ids": [tenant.workspace.pk]}).json()
    state = api.get(f"/platform/v1/audiences/{made['id']}/calculation").json()
    assert state == {"state": "idle", "progress": 0.0, "calculated_at": None, "error": None}
    refused = api.post(f"/platform/v1/audiences/{made['id']}/activate")
    assert refused.status_code == 400 and refused.json()["errors"][0]["path"] == "definition"


def test_estimates_of_saved_and_unsaved_definitions(tenant, api):
    from audiences.ingestion.service import ingest
    from audiences.ingestion.wire import parse_batch

    for n in range(30):
        parsed, _ = parse_batch(
            {"user_identities": {"email": f"u{n}@x.test"}, "user_attributes": {"status": "Premium"}}
        )
        ingest(tenant.input, [parsed])
    definition = {
        "version": 1,
        "criteria": [{"type": "user_attribute", "key": "status", "op": "equals", "value": "Premium"}],
    }
    unsaved = _post(api, "/platform/v1/estimate", {"workspace_ids": [tenant.workspace.pk], "definition": definition})
    assert unsaved.status_code == 200, unsaved.content
    body = unsaved.json()
    assert body["state"] in ("ok", "too_small") and len(body["criteria"]) == 1
    made = _post(
        api, "/platform/v1/audiences", {"name": "E", "workspace_ids": [tenant.workspace.pk], "definition": definition}
    )
    saved = api.get(f"/platform/v1/audiences/{made.json()['id']}/estimate").json()
    assert saved["state"] == body["state"] and saved["estimate"] == body["estimate"]
    foreign = _post(
        api,
        "/platform/v1/estimate",
        {"workspace_ids": [tenant.workspace.pk], "input_ids": [999999], "definition": definition},
    ).json()
    assert foreign["state"] == "error" and "999999" in foreign["message"]
    bad = _post(api, "/platform/v1/estimate", {"workspace_ids": [2**70], "definition": definition})
    assert bad.status_code == 400 and bad.json()["errors"][0]["path"].startswith("workspace_ids")
    assert not Audience.objects.exclude(name="E").exists()
