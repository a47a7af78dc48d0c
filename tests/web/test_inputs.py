"""Setup > Inputs: admins create, disable, enable and rotate; support views; nobody sees a secret twice."""

from __future__ import annotations

import re

from django.urls import reverse

from audiences.inputs import secret_matches
from audiences.models import Input


def test_admin_creates_an_input_and_sees_its_secret_exactly_once(tenant, client_for):
    client = client_for(tenant.admin)
    response = client.post(
        reverse("audiences:input_create"), {"name": "Android app", "platform": "android", "rate_limit": 50}
    )
    page = response.content.decode()
    secret = re.search(r'data-testid="api-secret">([^<]+)<', page).group(1)
    source = Input.objects.get(workspace=tenant.workspace, name="Android app")
    assert secret_matches(source, secret)
    assert secret not in source.secret_hash
    detail = client.get(source.get_absolute_url()).content.decode()
    assert source.api_key in detail
    assert secret not in detail
    assert secret not in client.get(reverse("audiences:input_list")).content.decode()


def test_the_form_names_the_faulty_field_and_saves_nothing(tenant, client_for):
    client = client_for(tenant.admin)
    before = Input.objects.count()
    response = client.post(reverse("audiences:input_create"), {"name": "  ", "platform": "fax", "rate_limit": -1})
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"name", "platform", "rate_limit"}
    duplicate = client.post(
        reverse("audiences:input_create"), {"name": tenant.input.name, "platform": "ios", "rate_limit": 5}
    )
    assert "already has an input with that name" in duplicate.content.decode()
    assert Input.objects.count() == before


def test_disable_enable_and_rotate(tenant, client_for):
    client = client_for(tenant.admin)
    client.post(reverse("audiences:input_toggle", args=[tenant.input.pk]))
    tenant.input.refresh_from_db()
    assert not tenant.input.enabled
    client.post(reverse("audiences:input_toggle", args=[tenant.input.pk]))
    tenant.input.refresh_from_db()
    assert tenant.input.enabled
    page = client.post(reverse("audiences:input_rotate", args=[tenant.input.pk])).content.decode()
    new_secret = re.search(r'data-testid="api-secret">([^<]+)<', page).group(1)
    tenant.input.refresh_from_db()
    assert secret_matches(tenant.input, new_secret)
    assert not secret_matches(tenant.input, tenant.secret)


def test_support_and_marketers_may_look_but_not_change_setup(tenant, client_for):
    for user in (tenant.support, tenant.marketer):
        client = client_for(user)
        listing = client.get(reverse("audiences:input_list")).content.decode()
        assert tenant.input.name in listing
        assert "Add input" not in listing
        assert client.get(reverse("audiences:input_create")).status_code == 403
        assert client.post(reverse("audiences:input_toggle", args=[tenant.input.pk])).status_code == 403
        assert client.post(reverse("audiences:input_rotate", args=[tenant.input.pk])).status_code == 403
    tenant.input.refresh_from_db()
    assert tenant.input.enabled


def test_another_accounts_input_is_a_404(tenant, other_tenant, client_for):
    client = client_for(tenant.admin)
    assert client.get(reverse("audiences:input_detail", args=[other_tenant.input.pk])).status_code == 404
    assert client.post(reverse("audiences:input_toggle", args=[other_tenant.input.pk])).status_code == 404
    assert other_tenant.input.name not in client.get(reverse("audiences:input_list")).content.decode()


def test_the_input_list_is_paginated_with_a_constant_number_of_queries(
    tenant, client_for, django_assert_max_num_queries
):
    from tests.factories import make_input

    client = client_for(tenant.admin)
    client.get(reverse("audiences:input_list"))
    for n in range(30):
        make_input(tenant.workspace, name=f"Feed {n}", platform="feed")
    with django_assert_max_num_queries(12):
        response = client.get(reverse("audiences:input_list"))
    assert response.status_code == 200
    assert "page=2" in response.content.decode()


def test_the_empty_state_explains_inputs(tenant, client_for):
    Input.objects.all().delete()
    page = client_for(tenant.support).get(reverse("audiences:input_list")).content.decode()
    assert "No inputs yet" in page
