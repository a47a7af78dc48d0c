"""Every page needs a login, shows only the person's own account, and resolves."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

PAGES = [
    "audiences:realtime_list",
    "audiences:standard_list",
    "audiences:input_list",
    "audiences:input_create",
    "audiences:catalogue",
    "audiences:profile_search",
    "outputs:output_list",
    "outputs:directory",
]


@pytest.mark.parametrize("name", PAGES)
def test_it_sends_anonymous_visitors_to_login(db, name):
    response = Client().get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", [page for page in PAGES if page != "audiences:input_create"])
def test_every_navigation_link_resolves_for_a_marketer(tenant, client_for, name):
    response = client_for(tenant.marketer).get(reverse(name))
    assert response.status_code == 200


def test_the_shell_shows_navigation_workspace_name_and_role(tenant, client_for):
    page = client_for(tenant.support).get(reverse("audiences:input_list")).content.decode()
    for label in ("Real-time", "Standard", "Inputs", "Outputs", "Directory"):
        assert label in page
    assert tenant.workspace.name in page
    assert tenant.support.username in page
    assert "Support" in page


def test_a_user_without_an_account_sees_a_friendly_explanation(db):
    client = Client()
    client.force_login(UserFactory())
    response = client.get(reverse("audiences:realtime_list"), follow=True)
    assert response.status_code == 404 or "No account yet" in response.content.decode()


def test_the_switcher_moves_to_another_workspace_of_my_accounts_only(tenant, other_tenant, client_for):
    from tests.factories import WorkspaceFactory

    second = WorkspaceFactory(account=tenant.account, name="Acme EU")
    client = client_for(tenant.admin)
    client.post(reverse("switch"), {"workspace": second.pk})
    assert "Acme EU" in client.get(reverse("audiences:input_list")).content.decode()
    refused = client.post(reverse("switch"), {"workspace": other_tenant.workspace.pk})
    assert refused.status_code == 404


def test_login_page_logs_a_person_in(tenant):
    from tests.factories import PASSWORD

    client = Client()
    response = client.post(reverse("login"), {"username": tenant.marketer.username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("audiences:input_list")).status_code == 200


def test_forms_need_a_csrf_token(tenant):
    client = Client(enforce_csrf_checks=True)
    client.force_login(tenant.admin)
    response = client.post(reverse("audiences:input_create"), {"name": "Web", "platform": "web", "rate_limit": 10})
    assert response.status_code == 403
