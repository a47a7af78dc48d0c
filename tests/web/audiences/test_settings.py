"""Settings: names, access, tags (here and from the list), clone, activate/deactivate; access rules."""

from __future__ import annotations

from django.urls import reverse

from audiences.models import Audience, Tag
from tests.web.audiences.conftest import TUTORIAL


def _url(name: str, audience) -> str:
    return reverse(f"audiences:{name}", args=[audience.pk])


def test_settings_change_names_and_access(tenant, client_for, make_audience):
    audience = make_audience("Parisians")
    response = client_for(tenant.marketer).post(
        _url("audience_settings", audience), {"name": "Paris fans", "external_name": "FR-Paris", "access": "usable"}
    )
    assert response.status_code == 302
    audience.refresh_from_db()
    assert (audience.name, audience.external_name, audience.access) == ("Paris fans", "FR-Paris", "usable")


def test_settings_refuse_an_empty_name_on_its_field(tenant, client_for, make_audience):
    audience = make_audience("Parisians")
    response = client_for(tenant.marketer).post(
        _url("audience_settings", audience), {"name": "", "external_name": "", "access": "private"}
    )
    assert response.context["form"].errors["name"] == ["give the audience a name"]
    audience.refresh_from_db()
    assert audience.name == "Parisians"


def test_settings_refuse_an_unknown_access(tenant, client_for, make_audience):
    audience = make_audience("Parisians")
    response = client_for(tenant.marketer).post(
        _url("audience_settings", audience), {"name": "X", "external_name": "", "access": "public"}
    )
    assert "access" in response.context["form"].errors
    assert Audience.objects.get().name == "Parisians"


def test_a_tag_is_created_on_the_fly_and_removed_again(tenant, client_for, make_audience):
    audience = make_audience("Parisians")
    client = client_for(tenant.marketer)
    client.post(_url("tag_add", audience), {"tag": "Summer sale"})
    assert [t.name for t in audience.tags.all()] == ["Summer sale"]
    assert Tag.objects.filter(account=tenant.account, name="Summer sale").exists()
    client.post(_url("tag_remove", audience), {"tag": "Summer sale"})
    assert not audience.tags.exists()


def test_a_tag_over_18_characters_is_refused_with_the_field_named(tenant, client_for, make_audience):
    audience = make_audience("Parisians")
    response = client_for(tenant.marketer).post(
        _url("tag_add", audience), {"tag": "x" * 19}, headers={"HX-Request": "true"}
    )
    assert "at most 18 characters" in response.content.decode()
    assert response.context["tag_form"].errors["tag"]
    assert not Tag.objects.exists()


def test_tagging_from_the_list_answers_the_tags_cell_to_htmx(tenant, client_for, make_audience):
    audience = make_audience("Parisians")
    response = client_for(tenant.marketer).post(
        _url("tag_add", audience),
        {"tag": "Retargeting", "next": "/audiences/real-time/?q=par"},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert f'id="tags-{audience.pk}"' in body and "Retargeting" in body and "<html" not in body
    without_js = client_for(tenant.marketer).post(
        _url("tag_add", audience), {"tag": "Summer", "next": "/audiences/real-time/?q=par"}
    )
    assert without_js["Location"] == "/audiences/real-time/?q=par"


def test_a_redirect_never_leaves_the_site(tenant, client_for, make_audience):
    audience = make_audience("Parisians")
    response = client_for(tenant.marketer).post(
        _url("tag_add", audience), {"tag": "A", "next": "https://evil.example/"}
    )
    assert response["Location"] == _url("audience_settings", audience)


def test_clone_copies_definition_and_tags_as_a_draft_named_copy_of(tenant, client_for, make_audience):
    audience = make_audience("Parisians", tags=["Retargeting"], definition=TUTORIAL, input_ids=[tenant.input.pk])
    Audience.objects.filter(pk=audience.pk).update(status="active")
    response = client_for(tenant.admin).post(_url("audience_clone", audience))
    copy = Audience.objects.get(name="Copy of Parisians")
    assert response["Location"] == copy.get_absolute_url()
    assert copy.definition == TUTORIAL and copy.status == "draft"
    assert [t.name for t in copy.tags.all()] == ["Retargeting"]
    assert copy.created_by == tenant.admin


def test_a_draft_without_criteria_cannot_be_activated(tenant, client_for, make_audience):
    audience = make_audience("Empty")
    response = client_for(tenant.marketer).post(_url("audience_activate", audience), follow=True)
    assert "Add at least one criterion" in response.content.decode()
    audience.refresh_from_db()
    assert audience.status == "draft"


def test_activation_asks_about_an_ab_test_and_no_goes_to_connect(tenant, client_for, make_audience):
    audience = make_audience("Parisians", definition=TUTORIAL)
    client = client_for(tenant.marketer)
    page = client.get(_url("audience_activated", audience)).content.decode()
    assert "Set up an A/B test?" in page
    assert f'href="{_url("audience_connect", audience)}">No<' in page
    assert f'href="{_url("audience_abtest", audience)}">Yes<' in page
    assert client.get(_url("audience_connect", audience)).status_code == 200
    assert "Add A/B Test Variation" in client.get(_url("audience_abtest", audience)).content.decode()


def test_support_can_look_but_every_change_is_forbidden(tenant, client_for, make_audience):
    audience = make_audience("Parisians", definition=TUTORIAL)
    client = client_for(tenant.support)
    for name in ("audience_settings", "audience_connect", "audience_abtest", "audience_detail", "audience_delete"):
        assert client.get(_url(name, audience)).status_code == 200, name
    assert "Save settings" not in client.get(_url("audience_settings", audience)).content.decode()
    posts = {
        "audience_settings": {"name": "Hacked", "external_name": "", "access": "usable"},
        "tag_add": {"tag": "Hacked"},
        "tag_remove": {"tag": "x"},
        "audience_clone": {},
        "audience_delete": {},
        "audience_activate": {},
        "audience_deactivate": {},
        "audience_detail": {"action": "save", "definition": "{}"},
    }
    for name, data in posts.items():
        assert client.post(_url(name, audience), data).status_code == 403, name
    audience.refresh_from_db()
    assert audience.name == "Parisians" and audience.status == "draft"
    assert Audience.objects.count() == 1 and not Tag.objects.exists()


def test_another_accounts_audience_is_a_404_on_every_page(tenant, other_tenant, client_for, make_audience):
    audience = make_audience("Parisians")
    client = client_for(other_tenant.admin)
    for name in (
        "audience_settings",
        "audience_connect",
        "audience_abtest",
        "audience_detail",
        "audience_delete",
        "audience_activated",
    ):
        assert client.get(_url(name, audience)).status_code == 404, name
    for name in (
        "audience_settings",
        "tag_add",
        "tag_remove",
        "audience_clone",
        "audience_delete",
        "audience_activate",
        "audience_deactivate",
        "audience_detail",
        "audience_estimate",
    ):
        assert client.post(_url(name, audience), {"name": "x", "tag": "x"}).status_code == 404, name
    assert Audience.objects.get().name == "Parisians"


def test_every_audience_page_needs_a_login(tenant, make_audience):
    from django.test import Client

    audience = make_audience("Parisians")
    for name in ("audience_settings", "audience_detail", "audience_delete", "audience_connect"):
        response = Client().get(_url(name, audience))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
