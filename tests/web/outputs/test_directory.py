"""The Directory: partner cards, filters, and "+ Add {partner} to Setup" (admins only)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.html import escape

from outputs.models import OutputConfiguration
from outputs.partners import PARTNERS, partner_class
from tests.web.outputs.conftest import SECRET

DIRECTORY = reverse("outputs:directory")

# The least each partner's configuration form needs, as a person would type it.
VALID = {
    "webhook": {"url": "https://hooks.example.test/a", "secret": SECRET},
    "mailchimp": {"api_key": "0123456789abcdef-us6", "base_url": ""},
    "braze": {"api_key": "braze-rest-key-1", "base_url": "https://rest.fra-01.braze.eu"},
    "facebook": {"access_token": "EAAB-token", "ad_account_id": "act_1234", "api_version": "v25.0"},
    "iterable": {"api_key": "iterable-key-1"},
    "customerio": {"site_id": "site-1", "api_key": "track-key", "region": "eu"},
    "firehose": {
        "delivery_stream_name": "audiences",
        "region": "eu-west-1",
        "aws_access_key_id": "AKIAIOSFODNN7EXAMPLE",
        "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG",
    },
}


def _post(values: dict, name: str) -> dict:
    return {"name": name, **{f"settings-{key}": value for key, value in values.items()}}


def test_every_partner_has_a_card_with_what_it_takes_and_what_deleting_does(tenant, client_for):
    page = client_for(tenant.marketer).get(DIRECTORY).content.decode()
    for kind in PARTNERS:
        partner = partner_class(kind)
        assert f'data-partner="{kind}"' in page
        assert escape(partner.name) in page and escape(partner.category) in page
        assert partner.logo in page
    assert "Every identity type" in page  # the Webhook takes them all
    assert "customerid, email, push_token" in page  # Braze's identities, as it declares them
    assert "Deletes the custom audience in Facebook." in page
    assert "Takes user attributes" in page and "Identities only" in page


def test_only_admins_see_add_to_setup(tenant, client_for):
    assert "+ Add Webhook to Setup" in client_for(tenant.admin).get(DIRECTORY).content.decode()
    for user in (tenant.marketer, tenant.support):
        page = client_for(user).get(DIRECTORY).content.decode()
        assert "+ Add" not in page
        assert "Only an account admin can add partners" in page


def test_search_category_and_identity_filters(tenant, client_for):
    client = client_for(tenant.marketer)
    found = client.get(DIRECTORY, {"q": "chimp", "filtered": "1", "audiences": "on"}).context["cards"]
    assert [c.kind for c in found] == ["mailchimp"]
    found = client.get(DIRECTORY, {"category": "Email", "filtered": "1"}).context["cards"]
    assert {c.kind for c in found} == {"mailchimp", "iterable"}
    found = client.get(DIRECTORY, {"identity": "push_token", "filtered": "1"}).context["cards"]
    assert {c.kind for c in found} == {"braze", "webhook", "firehose"}
    empty = client.get(DIRECTORY, {"q": "nothing like this", "filtered": "1"}).content.decode()
    assert "No partner matches" in empty


def test_audience_support_is_on_by_default_and_every_partner_has_it(tenant, client_for):
    client = client_for(tenant.marketer)
    first = client.get(DIRECTORY)
    assert first.context["form"]["audiences"].value() is True
    assert len(first.context["cards"]) == len(PARTNERS)


def test_the_filters_answer_htmx_with_the_cards_only(tenant, client_for):
    response = client_for(tenant.marketer).get(DIRECTORY, {"q": "braze", "filtered": "1"}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert 'data-partner="braze"' in page
    assert "<html" not in page and "Directory</h1>" not in page


def test_bad_filter_values_are_ignored_not_an_error(tenant, client_for):
    response = client_for(tenant.marketer).get(DIRECTORY, {"category": "Fax", "identity": "x" * 500, "filtered": "1"})
    assert response.status_code == 200


def test_the_directory_shows_how_many_are_in_setup(tenant, client_for, make_configuration):
    make_configuration("One")
    make_configuration("Two")
    page = client_for(tenant.marketer).get(DIRECTORY).content.decode()
    assert "2 in Setup" in page


def test_an_admin_adds_a_webhook_and_the_secret_is_stored_encrypted_and_never_shown(tenant, client_for):
    client = client_for(tenant.admin)
    form_page = client.get(reverse("outputs:configuration_create", args=["webhook"])).content.decode()
    assert 'type="password"' in form_page
    response = client.post(
        reverse("outputs:configuration_create", args=["webhook"]), _post(VALID["webhook"], "Our receiver")
    )
    configuration = OutputConfiguration.objects.get(account=tenant.account, name="Our receiver")
    assert response.status_code == 302 and response.url == configuration.get_absolute_url()
    assert configuration.settings == {"url": "https://hooks.example.test/a", "secret": SECRET}
    assert SECRET not in configuration.sealed_settings
    detail = client.get(configuration.get_absolute_url()).content.decode()
    assert "https://hooks.example.test/a" in detail
    assert "<dd>set</dd>" in detail
    assert SECRET not in detail


@pytest.mark.parametrize("kind", list(PARTNERS))
def test_every_partners_configuration_form_is_built_from_its_settings(tenant, client_for, kind):
    client = client_for(tenant.admin)
    url = reverse("outputs:configuration_create", args=[kind])
    page = client.get(url).content.decode()
    for name in partner_class(kind).Configuration.model_fields:
        assert f'name="settings-{name}"' in page
    for name in partner_class(kind).Configuration.secret_fields():
        assert f'type="password" name="settings-{name}"' in page
    response = client.post(url, _post(VALID[kind], f"My {kind}"))
    assert response.status_code == 302, response.context and response.context["settings_form"].errors
    configuration = OutputConfiguration.objects.get(account=tenant.account, name=f"My {kind}")
    assert configuration.typed_settings  # valid for the partner


def test_a_wrong_url_and_a_short_secret_are_named_and_nothing_is_saved(tenant, client_for):
    response = client_for(tenant.admin).post(
        reverse("outputs:configuration_create", args=["webhook"]),
        _post({"url": "not a url", "secret": "short"}, "Broken"),
    )
    assert response.status_code == 200
    errors = response.context["settings_form"].errors
    assert set(errors) == {"url", "secret"}
    assert "16 characters" in str(errors["secret"])
    assert not OutputConfiguration.objects.filter(name="Broken").exists()
    assert 'value="short"' not in response.content.decode()  # a typed secret is not echoed back


def test_a_choice_setting_refuses_values_outside_its_choices(tenant, client_for):
    response = client_for(tenant.admin).post(
        reverse("outputs:configuration_create", args=["customerio"]),
        _post({**VALID["customerio"], "region": "mars"}, "CIO"),
    )
    assert "region" in response.context["settings_form"].errors


def test_a_missing_required_setting_and_a_duplicate_name(tenant, client_for, make_configuration):
    make_configuration("Taken")
    response = client_for(tenant.admin).post(
        reverse("outputs:configuration_create", args=["webhook"]), _post({"url": "https://x.test/"}, "Taken")
    )
    assert "secret" in response.context["settings_form"].errors
    response = client_for(tenant.admin).post(
        reverse("outputs:configuration_create", args=["webhook"]), _post(VALID["webhook"], "taken")
    )
    assert "already has an output configuration with that name" in response.content.decode()
    assert OutputConfiguration.objects.filter(account=tenant.account).count() == 1


def test_marketers_and_support_cannot_add_to_setup(tenant, client_for):
    url = reverse("outputs:configuration_create", args=["webhook"])
    for user in (tenant.marketer, tenant.support):
        client = client_for(user)
        assert client.get(url).status_code == 403
        assert client.post(url, _post(VALID["webhook"], "Sneaky")).status_code == 403
    assert not OutputConfiguration.objects.exists()


def test_an_unknown_partner_is_a_404(tenant, client_for):
    assert client_for(tenant.admin).get(reverse("outputs:configuration_create", args=["fax"])).status_code == 404


def test_adding_needs_a_csrf_token(tenant):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(tenant.admin)
    response = client.post(reverse("outputs:configuration_create", args=["webhook"]), _post(VALID["webhook"], "X"))
    assert response.status_code == 403
    assert not OutputConfiguration.objects.exists()


def test_the_directory_needs_a_login(db, client):
    response = client.get(DIRECTORY)
    assert response.status_code == 302 and "/login" in response.url


def test_the_directory_costs_the_same_queries_with_2_or_20_configurations(
    tenant, client_for, make_configuration, count_queries, django_assert_max_num_queries
):
    client = client_for(tenant.admin)
    for n in range(2):
        make_configuration(f"C{n}")
    baseline = count_queries(lambda: client.get(DIRECTORY))
    for n in range(2, 20):
        make_configuration(f"C{n}")
    with django_assert_max_num_queries(baseline):
        client.get(DIRECTORY)
