"""Platform API: partners, output configurations (secrets write-only), connections, faults, Resume."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from accounts.tokens import create_token
from connections import forwarding
from outputs.models import OutputConfiguration
from tests.connections.helpers import SECRET, Receiver, audience_with_members


def _client(tenant, role: str) -> Client:
    value = create_token(account=tenant.account, name=role, role=role, created_by=tenant.admin)[1]
    return Client(headers={"Authorization": f"Bearer {value}"})


def _send(client: Client, method: str, path: str, body=None):
    return getattr(client, method)(
        path, json.dumps(body) if body is not None else None, content_type="application/json"
    )


@pytest.fixture
def receiver():
    with Receiver() as stub:
        yield stub


@pytest.fixture
def admin(tenant):
    return _client(tenant, "admin")


def test_the_catalogue_lists_every_partner_with_its_schemas(tenant, admin):
    partners = {p["kind"]: p for p in admin.get("/platform/v1/partners").json()}
    assert "webhook" in partners
    assert partners["webhook"]["takes_user_attributes"] is True
    assert "secret" in partners["webhook"]["configuration_schema"]["properties"]


def test_secrets_are_write_only_and_kept_when_not_replaced(tenant, admin):
    created = _send(
        admin,
        "post",
        "/platform/v1/output-configurations",
        {"partner": "webhook", "name": "Hook", "settings": {"url": "https://example.test/h", "secret": SECRET}},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["settings"] == {"url": "https://example.test/h", "secret": "set"}
    assert SECRET not in json.dumps(admin.get("/platform/v1/output-configurations").json())
    stored = OutputConfiguration.objects.get(pk=body["id"])
    assert SECRET not in stored.sealed_settings
    changed = _send(
        admin,
        "patch",
        f"/platform/v1/output-configurations/{body['id']}",
        {"settings": {"url": "https://example.test/new", "secret": "set"}},
    )
    assert changed.status_code == 200
    stored.refresh_from_db()
    assert stored.settings == {"url": "https://example.test/new", "secret": SECRET}


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"partner": "fax", "name": "x", "settings": {}}, "partner"),
        ({"partner": "webhook", "name": "", "settings": {"url": "https://a.test", "secret": SECRET}}, "name"),
        ({"partner": "webhook", "name": "x", "settings": {"url": "nope", "secret": SECRET}}, "settings.url"),
        (
            {"partner": "webhook", "name": "x", "settings": {"url": "https://a.test", "secret": "short"}},
            "settings.secret",
        ),
    ],
)
def test_bad_configurations_name_the_field(tenant, admin, body, path):
    response = _send(admin, "post", "/platform/v1/output-configurations", body)
    assert response.status_code == 400
    assert path in [e["path"] for e in response.json()["errors"]]
    assert not OutputConfiguration.objects.exists()


def test_only_admins_change_outputs(tenant):
    marketer = _client(tenant, "marketer")
    response = _send(
        marketer,
        "post",
        "/platform/v1/output-configurations",
        {"partner": "webhook", "name": "x", "settings": {"url": "https://a.test", "secret": SECRET}},
    )
    assert response.status_code == 403


def test_connect_forward_fault_and_resume_through_the_api(tenant, other_tenant, admin, receiver):
    audience = audience_with_members(tenant, [1, 2])
    configuration = _send(
        admin,
        "post",
        "/platform/v1/output-configurations",
        {"partner": "webhook", "name": "Hook", "settings": {"url": receiver.url, "secret": "wrong-secret-for-now"}},
    ).json()
    marketer = _client(tenant, "marketer")
    made = _send(
        marketer,
        "post",
        f"/platform/v1/audiences/{audience.pk}/connections",
        {"output_configuration_id": configuration["id"]},
    )
    assert made.status_code == 201, made.content
    connection_id = made.json()["id"]
    forwarding.forward(connection_id)
    state = admin.get(f"/platform/v1/connections/{connection_id}").json()
    assert state["state"] == "faulted" and "signature mismatch" in state["fault"]["message"]
    faults = admin.get("/platform/v1/faults").json()
    assert [f["connection_id"] for f in faults] == [connection_id]
    assert _client(other_tenant, "admin").get("/platform/v1/faults").json() == []
    assert marketer.post(f"/platform/v1/connections/{connection_id}/resume").status_code == 403
    _send(admin, "patch", f"/platform/v1/output-configurations/{configuration['id']}", {"settings": {"secret": SECRET}})
    support = _client(tenant, "support")
    assert support.post(f"/platform/v1/connections/{connection_id}/resume").status_code == 202
    assert support.post(f"/platform/v1/connections/{connection_id}/resume").status_code == 409
    forwarding.forward(connection_id)
    assert receiver.members() == {1, 2}
    done = admin.get(f"/platform/v1/connections/{connection_id}").json()
    assert (done["state"], done["delivered_adds"], done["pending_changes"]) == ("sending", 2, 0)
    in_use = admin.delete(f"/platform/v1/output-configurations/{configuration['id']}")
    assert in_use.status_code == 409


def test_bulk_connect_answers_per_audience(tenant, admin, receiver):
    first = audience_with_members(tenant, [1], name="One")
    configuration = _send(
        admin,
        "post",
        "/platform/v1/output-configurations",
        {"partner": "webhook", "name": "Hook", "settings": {"url": receiver.url, "secret": SECRET}},
    ).json()
    results = _send(
        admin,
        "post",
        f"/platform/v1/output-configurations/{configuration['id']}/connect-audiences",
        {"audience_ids": [first.pk, 999999], "status": "inactive"},
    ).json()
    assert results[0]["result"] == "connected" and results[0]["connection_id"]
    assert results[1] == {
        "audience_id": 999999,
        "result": "error",
        "connection_id": None,
        "reason": "no such audience in this account",
    }


def test_another_accounts_connection_is_a_404(tenant, other_tenant, admin, receiver):
    audience = audience_with_members(other_tenant, [1])
    theirs = _client(other_tenant, "admin")
    configuration = _send(
        theirs,
        "post",
        "/platform/v1/output-configurations",
        {"partner": "webhook", "name": "Hook", "settings": {"url": receiver.url, "secret": SECRET}},
    ).json()
    made = _send(
        theirs,
        "post",
        f"/platform/v1/audiences/{audience.pk}/connections",
        {"output_configuration_id": configuration["id"], "status": "inactive"},
    ).json()
    assert admin.get(f"/platform/v1/connections/{made['id']}").status_code == 404
    assert admin.get(f"/platform/v1/output-configurations/{configuration['id']}").status_code == 404
    assert (
        _send(
            admin,
            "post",
            f"/platform/v1/audiences/{audience.pk}/connections",
            {"output_configuration_id": configuration["id"]},
        ).status_code
        == 404
    )
