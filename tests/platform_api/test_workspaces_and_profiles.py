"""Platform API: bearer tokens, workspaces and profiles, isolated per account."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.tokens import create_token, revoke
from audiences.ingestion.service import ingest
from audiences.ingestion.wire import parse_batch


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _store(tenant, batch: dict) -> int:
    parsed, errors = parse_batch(batch)
    assert not errors
    return ingest(tenant.input, [parsed]).mpids[0]


@pytest.fixture
def token(tenant):
    return create_token(account=tenant.account, name="ci", role="support")[1]


def test_without_a_token_the_answer_is_401_with_the_error_body(db):
    response = Client().get("/platform/v1/workspaces")
    assert response.status_code == 401
    assert response.json()["errors"][0]["path"] == "Authorization"
    assert Client().get("/platform/v1/workspaces", headers=_bearer("oat_nonsense")).status_code == 401


def test_a_revoked_token_is_refused(tenant):
    record, value = create_token(account=tenant.account, name="old", role="admin")
    assert Client().get("/platform/v1/workspaces", headers=_bearer(value)).status_code == 200
    revoke(record)
    assert Client().get("/platform/v1/workspaces", headers=_bearer(value)).status_code == 401


def test_workspaces_come_with_their_inputs_and_never_a_secret(tenant, other_tenant, token):
    body = Client().get("/platform/v1/workspaces", headers=_bearer(token)).json()
    assert [w["name"] for w in body] == [tenant.workspace.name]
    assert body[0]["inputs"][0]["api_key"] == tenant.input.api_key
    assert tenant.secret not in str(body)


def test_a_profile_shows_identities_attributes_and_workspaces(tenant, token):
    mpid = _store(
        tenant,
        {
            "user_identities": {"email": "ann@example.com"},
            "user_attributes": {"status": "Premium", "$city": "Paris"},
            "events": [{"event_type": "session_start", "data": {}}],
        },
    )
    body = Client().get(f"/platform/v1/profiles/{mpid}", headers=_bearer(token)).json()
    assert body["mpid"] == mpid
    assert body["identities"] == [
        {"identity_type": "email", "value": "ann@example.com", "workspace_id": tenant.workspace.pk}
    ]
    assert body["workspaces"][0]["user_attributes"] == {"status": "Premium", "$city": "Paris"}
    found = (
        Client()
        .get("/platform/v1/profiles", {"identity_type": "email", "value": "ann@example.com"}, headers=_bearer(token))
        .json()
    )
    assert [p["mpid"] for p in found] == [mpid]


def test_another_accounts_profile_is_a_404(tenant, other_tenant, token):
    mpid = _store(other_tenant, {"user_identities": {"email": "bob@globex.test"}})
    assert Client().get(f"/platform/v1/profiles/{mpid}", headers=_bearer(token)).status_code == 404
    found = Client().get(
        "/platform/v1/profiles", {"identity_type": "email", "value": "bob@globex.test"}, headers=_bearer(token)
    )
    assert found.json() == []


def test_bad_query_parameters_name_the_field(tenant, token):
    response = Client().get(
        "/platform/v1/profiles", {"identity_type": "shoe_size", "value": "9"}, headers=_bearer(token)
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == "identity_type"
    missing = Client().get("/platform/v1/profiles", {"identity_type": "email"}, headers=_bearer(token))
    assert missing.status_code == 400
    assert missing.json()["errors"][0]["path"] == "value"
    assert Client().get("/platform/v1/profiles/notanumber", headers=_bearer(token)).status_code in (400, 404)


def test_the_openapi_schema_and_docs_are_served_without_a_cdn(db):
    schema = Client().get("/platform/v1/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/v2/events" in paths and "/platform/v1/workspaces" in paths
    docs = Client().get("/platform/v1/docs")
    assert docs.status_code == 200
    assert "cdn" not in docs.content.decode().lower()
