"""Deleting asks first; an audience nested in others is refused with those audiences listed."""

from __future__ import annotations

from django.urls import reverse

from audiences.models import Audience


def _nested_pair(make_audience, tenant):
    base = make_audience(
        "Paris viewers",
        definition={"version": 1, "criteria": [{"type": "user_attribute", "key": "status", "op": "exists"}]},
    )
    tenant.admin.first_name, tenant.admin.email = "Ada", "ada@example.com"
    tenant.admin.save()
    nesting = make_audience(
        "Paris premium",
        by=tenant.admin,
        definition={"version": 1, "criteria": [{"type": "audience", "audience_id": base.pk}]},
    )
    return base, nesting


def test_delete_asks_for_confirmation_then_deletes(tenant, client_for, make_audience):
    audience = make_audience("Parisians")
    client = client_for(tenant.marketer)
    url = reverse("audiences:audience_delete", args=[audience.pk])
    assert "Delete Parisians?" in client.get(url).content.decode()
    response = client.post(url)
    assert response["Location"] == reverse("audiences:realtime_list")
    assert not Audience.objects.exists()


def test_a_nested_audience_cannot_be_deleted_and_the_dialog_names_the_nesting_ones(tenant, client_for, make_audience):
    base, _nesting = _nested_pair(make_audience, tenant)
    url = reverse("audiences:audience_delete", args=[base.pk])
    client = client_for(tenant.marketer)
    page = client.get(url).content.decode()
    assert "cannot be deleted" in page and "Delete audience" not in page
    response = client.post(url)
    assert response.status_code == 409
    body = response.content.decode()
    assert "Paris premium" in body and "Ada" in body and "ada@example.com" in body
    assert 'href="mailto:ada@example.com?subject=' in body
    assert Audience.objects.filter(pk=base.pk).exists()


def test_through_htmx_the_refusal_is_the_dialog(tenant, client_for, make_audience):
    base, _ = _nested_pair(make_audience, tenant)
    response = client_for(tenant.marketer).post(
        reverse("audiences:audience_delete", args=[base.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "Paris premium" in response.content.decode() and "<html" not in response.content.decode()
    ok = client_for(tenant.marketer).post(
        reverse("audiences:audience_delete", args=[make_audience("Lonely").pk]), headers={"HX-Request": "true"}
    )
    assert ok["HX-Redirect"] == reverse("audiences:realtime_list")
