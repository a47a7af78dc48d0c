"""New Audience: a page that also opens as a dialog; bad input names its field and saves nothing."""

from __future__ import annotations

from django.urls import reverse

from audiences.models import Audience
from tests.factories import WorkspaceFactory, make_input

NEW = reverse("audiences:audience_create")


def _post(client, tenant, **fields):
    data = {"name": "Parisians", "external_name": "", "scope": "single", "workspace": tenant.workspace.pk}
    data["inputs"] = [tenant.input.pk]
    data.update(fields)
    return client.post(NEW, {k: v for k, v in data.items() if v is not None})


def test_creating_an_audience_opens_its_build_tab(tenant, client_for):
    response = _post(client_for(tenant.marketer), tenant)
    audience = Audience.objects.get(name="Parisians")
    assert response.status_code == 302
    assert response["Location"] == reverse("audiences:audience_detail", args=[audience.pk])
    assert list(audience.inputs.all()) == [tenant.input]
    assert list(audience.workspaces.all()) == [tenant.workspace]
    assert audience.created_by == tenant.marketer
    assert audience.status == "draft" and not audience.multi_workspace


def test_a_blank_external_name_means_the_name(tenant, client_for):
    _post(client_for(tenant.marketer), tenant, external_name="  ")
    assert Audience.objects.get().forwarded_name == "Parisians"
    _post(client_for(tenant.marketer), tenant, name="Second", external_name="Paris deals")
    assert Audience.objects.get(name="Second").forwarded_name == "Paris deals"


def test_the_dialog_offers_the_current_workspace_and_its_inputs_checked(tenant, client_for):
    page = client_for(tenant.marketer).get(NEW).content.decode()
    assert tenant.input.name in page
    assert f'value="{tenant.input.pk}"' in page and "checked" in page
    assert "External name" in page


def test_through_htmx_the_dialog_comes_alone_and_create_redirects_the_browser(tenant, client_for):
    client = client_for(tenant.marketer)
    dialog = client.get(NEW, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in dialog and 'role="dialog"' in dialog
    response = client.post(
        NEW,
        {"name": "Quick", "scope": "single", "workspace": tenant.workspace.pk, "inputs": [tenant.input.pk]},
        headers={"HX-Request": "true"},
    )
    audience = Audience.objects.get(name="Quick")
    assert response["HX-Redirect"] == audience.get_absolute_url()


def test_an_empty_name_is_refused_on_the_name_field_and_nothing_is_saved(tenant, client_for):
    response = _post(client_for(tenant.marketer), tenant, name="   ")
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == ["give the audience a name"]
    assert not Audience.objects.exists()


def test_a_too_long_external_name_is_refused_on_its_field(tenant, client_for):
    response = _post(client_for(tenant.marketer), tenant, external_name="x" * 101)
    assert "external_name" in response.context["form"].errors
    assert not Audience.objects.exists()


def test_inputs_of_another_workspace_are_refused_on_the_inputs_field(tenant, client_for):
    other_workspace = WorkspaceFactory(account=tenant.account, name="Zeta")
    foreign, _ = make_input(other_workspace, name="Zeta Web", platform="web")
    response = _post(client_for(tenant.marketer), tenant, inputs=[tenant.input.pk, foreign.pk])
    errors = response.context["form"].errors
    assert "inputs" in errors and "not in the audience's workspaces" in errors["inputs"][0]
    assert not Audience.objects.exists()


def test_another_accounts_input_is_not_even_a_choice(tenant, other_tenant, client_for):
    response = _post(client_for(tenant.marketer), tenant, inputs=[other_tenant.input.pk])
    assert "inputs" in response.context["form"].errors
    assert not Audience.objects.exists()


def test_no_input_at_all_is_refused_when_the_workspace_has_some(tenant, client_for):
    response = _post(client_for(tenant.marketer), tenant, inputs=[])
    assert "inputs" in response.context["form"].errors
    assert not Audience.objects.exists()


def test_a_multi_workspace_audience_takes_several_workspaces_and_their_inputs(tenant, client_for):
    second = WorkspaceFactory(account=tenant.account, name="Zeta")
    web, _ = make_input(second, name="Zeta Web", platform="web")
    response = client_for(tenant.marketer).post(
        NEW,
        {
            "name": "Everywhere",
            "scope": "multi",
            "workspaces": [tenant.workspace.pk, second.pk],
            "inputs": [tenant.input.pk, web.pk],
        },
    )
    assert response.status_code == 302
    audience = Audience.objects.get()
    assert audience.multi_workspace
    assert set(audience.inputs.all()) == {tenant.input, web}


def test_picking_another_workspace_redraws_the_dialog_with_its_inputs_checked(tenant, client_for):
    second = WorkspaceFactory(account=tenant.account, name="Zeta")
    web, _ = make_input(second, name="Zeta Web", platform="web")
    response = client_for(tenant.marketer).post(
        NEW,
        {
            "refresh": "1",
            "name": "Draft name",
            "scope": "multi",
            "workspaces": [tenant.workspace.pk, second.pk],
            "inputs": [tenant.input.pk],
        },
        headers={"HX-Request": "true"},
    )
    form = response.context["form"]
    assert set(form.initial["inputs"]) == {tenant.input.pk, web.pk}
    assert "Draft name" in response.content.decode()
    assert not Audience.objects.exists()


def test_support_cannot_create_audiences(tenant, client_for):
    client = client_for(tenant.support)
    assert client.get(NEW).status_code == 403
    assert _post(client, tenant).status_code == 403
    assert not Audience.objects.exists()
