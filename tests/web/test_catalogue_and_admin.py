"""The data catalogue page and Django admin."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from audiences.models import CatalogueAttribute, Input


def _attribute(workspace, key="destination", detected="string", event_name="Play Video"):
    return CatalogueAttribute.objects.create(
        workspace=workspace,
        event_type="custom_event",
        event_name=event_name,
        key=key,
        detected_type=detected,
        first_seen=timezone.now(),
    )


def test_catalogue_lists_this_workspaces_keys_and_filters_them(tenant, other_tenant, client_for):
    _attribute(tenant.workspace, "destination")
    _attribute(tenant.workspace, "duration", "number")
    _attribute(other_tenant.workspace, "secret_key_of_globex")
    client = client_for(tenant.marketer)
    page = client.get(reverse("audiences:catalogue")).content.decode()
    assert "destination" in page and "duration" in page
    assert "secret_key_of_globex" not in page
    filtered = client.get(reverse("audiences:catalogue"), {"key": "dur"}, headers={"HX-Request": "true"})
    body = filtered.content.decode()
    assert "duration" in body and "destination" not in body
    assert "<html" not in body  # the HTMX answer is the table partial only


def test_a_marketer_overrides_the_detected_type(tenant, client_for):
    attribute = _attribute(tenant.workspace, "price", "string")
    page = client_for(tenant.marketer).get(reverse("audiences:catalogue")).content.decode()
    assert '<option value="number"' in page
    assert (
        '<option value="number"' not in client_for(tenant.support).get(reverse("audiences:catalogue")).content.decode()
    )
    client_for(tenant.marketer).post(
        reverse("audiences:catalogue_override", args=[attribute.pk]), {"override_type": "number"}
    )
    attribute.refresh_from_db()
    assert attribute.data_type == "number"
    refused = client_for(tenant.support).post(
        reverse("audiences:catalogue_override", args=[attribute.pk]), {"override_type": "date"}
    )
    assert refused.status_code == 403
    bad = client_for(tenant.marketer).post(
        reverse("audiences:catalogue_override", args=[attribute.pk]), {"override_type": "colour"}, follow=True
    )
    assert "Pick one of the listed data types" in bad.content.decode()
    attribute.refresh_from_db()
    assert attribute.data_type == "number"


def test_another_workspaces_attribute_cannot_be_changed(tenant, other_tenant, client_for):
    foreign = _attribute(other_tenant.workspace, "x")
    response = client_for(tenant.marketer).post(
        reverse("audiences:catalogue_override", args=[foreign.pk]), {"override_type": "number"}
    )
    assert response.status_code == 404


def test_admin_pages_open_and_never_show_a_secret(tenant, admin_client):
    for name in (
        "accounts_account",
        "accounts_person",
        "audiences_input",
        "audiences_profile",
        "audiences_event",
        "audiences_identity",
        "audiences_catalogueattribute",
        "audiences_audience",
        "audiences_download",
    ):
        assert admin_client.get(reverse(f"admin:{name}_changelist")).status_code == 200, name
    page = admin_client.get(reverse("admin:audiences_input_change", args=[tenant.input.pk])).content.decode()
    assert tenant.input.api_key in page
    assert tenant.secret not in page
    assert tenant.input.secret_hash not in page


def test_admin_creates_an_input_and_shows_its_secret_once(tenant, admin_client):
    response = admin_client.post(
        reverse("admin:audiences_input_add"),
        {"workspace": tenant.workspace.pk, "name": "Web", "platform": "web", "rate_limit": 10, "enabled": "on"},
        follow=True,
    )
    assert response.status_code == 200
    created = Input.objects.get(name="Web")
    assert f"Secret for {created.api_key}" in response.content.decode()
