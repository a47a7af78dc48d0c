"""Platform API tokens from account settings, and `manage.py provision`."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from accounts.models import PlatformToken
from audiences.inputs import secret_matches
from audiences.models import Input


def test_an_admin_creates_a_token_that_works_and_is_shown_once(tenant, client_for):
    client = client_for(tenant.admin)
    page = client.post(reverse("token_create"), {"name": "CI", "role": "support"}).content.decode()
    value = re.search(r'data-testid="token-value">([^<]+)<', page).group(1)
    api = Client(headers={"Authorization": f"Bearer {value}"})
    assert api.get("/platform/v1/workspaces").status_code == 200
    listing = client.get(reverse("token_list")).content.decode()
    assert "CI" in listing and value not in listing
    token = PlatformToken.objects.get(name="CI")
    client.post(reverse("token_revoke", args=[token.pk]))
    assert api.get("/platform/v1/workspaces").status_code == 401


def test_only_admins_manage_tokens_and_bad_names_are_refused(tenant, other_tenant, client_for):
    assert client_for(tenant.marketer).post(reverse("token_create"), {"name": "x", "role": "admin"}).status_code == 403
    bad = client_for(tenant.admin).post(reverse("token_create"), {"name": " ", "role": "wizard"})
    assert bad.status_code == 400
    assert set(bad.context["form"].errors) == {"name", "role"}
    assert not PlatformToken.objects.exists()
    foreign = PlatformToken.objects.create(account=other_tenant.account, name="g", prefix="oat_x", token_hash="h")
    assert client_for(tenant.admin).post(reverse("token_revoke", args=[foreign.pk])).status_code == 404


def _provision(*args) -> dict:
    out = io.StringIO()
    call_command("provision", *args, stdout=out)
    return json.loads(out.getvalue())


def test_provision_creates_what_is_missing_and_is_idempotent(db):
    args = [
        "--account",
        "Initech",
        "--workspace",
        "Main",
        "--input",
        "iOS app:ios",
        "--input",
        "Site:web",
        "--user",
        "ops@initech.test",
        "--role",
        "admin",
    ]
    first = _provision(*args)
    assert [i["created"] for i in first["inputs"]] == [True, True]
    source = Input.objects.get(pk=first["inputs"][0]["id"])
    assert secret_matches(source, first["inputs"][0]["api_secret"])
    assert (
        Client(headers={"Authorization": f"Bearer {first['platform_token']}"})
        .get("/platform/v1/workspaces")
        .json()[0]["name"]
        == "Main"
    )
    again = _provision(*args)
    assert again["account"]["id"] == first["account"]["id"]
    assert [i["api_secret"] for i in again["inputs"]] == [None, None]
    assert Input.objects.filter(workspace_id=first["workspace"]["id"]).count() == 2
    rotated = _provision(*args, "--rotate")
    source.refresh_from_db()
    assert secret_matches(source, rotated["inputs"][0]["api_secret"])


def test_provision_refuses_a_bad_input_spec(db):
    with pytest.raises(CommandError, match="NAME:PLATFORM"):
        _provision("--account", "A", "--workspace", "W", "--input", "no-platform")
    with pytest.raises(CommandError, match="platform is one of"):
        _provision("--account", "A", "--workspace", "W", "--input", "x:fax")
