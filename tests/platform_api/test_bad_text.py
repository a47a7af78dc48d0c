"""Text PostgreSQL cannot store is refused with its path by every Platform API endpoint."""

from __future__ import annotations

from django.test import Client

from accounts.tokens import create_token
from audiences.models import Audience


def test_nul_and_lone_surrogates_are_a_400_naming_the_field(tenant):
    api = Client(headers={"Authorization": "Bearer " + create_token(account=tenant.account, name="t", role="admin")[1]})
    for body in (
        '{"name": "a\\u0000b", "workspace_ids": [%d]}',
        '{"name": "ok", "tags": ["\\ud800"], "workspace_ids": [%d]}',
    ):
        response = api.post("/platform/v1/audiences", body % tenant.workspace.pk, content_type="application/json")
        assert response.status_code == 400
        assert response.json()["errors"][0]["path"] in ("name", "tags[0]")
    huge = api.post("/platform/v1/audiences", '{"name": 1e400}', content_type="application/json")
    assert huge.status_code == 400
    assert not Audience.objects.exists()


def test_nul_in_a_query_parameter_is_a_400_naming_it(tenant):
    api = Client(headers={"Authorization": "Bearer " + create_token(account=tenant.account, name="t", role="admin")[1]})

    for query, name in (("tag=a%00b", "tag"), ("q=x%00", "q"), ("kind=standard&tag=ok&tag=%00", "tag")):
        response = api.get(f"/platform/v1/audiences?{query}")
        assert response.status_code == 400, query
        assert response.json()["errors"][0]["path"] == name

    assert api.get("/platform/v1/audiences?tag=ok&q=fine").status_code == 200
