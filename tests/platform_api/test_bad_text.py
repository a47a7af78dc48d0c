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
