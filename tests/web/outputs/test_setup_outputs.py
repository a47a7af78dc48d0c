"""Setup > Outputs: configurations with connections and faults; edit, delete; Connect Audiences."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from audiences.models import AudienceKind
from connections.models import Connection
from outputs.models import OutputConfiguration
from tests.web.outputs.conftest import SECRET, fault

OUTPUTS = reverse("outputs:output_list")


def test_an_empty_account_is_told_where_to_start(tenant, client_for):
    page = client_for(tenant.admin).get(OUTPUTS).content.decode()
    assert "No outputs yet" in page and reverse("outputs:directory") in page
    support = client_for(tenant.support).get(OUTPUTS).content.decode()
    assert "an account admin adds it" in support


def test_the_list_shows_partner_connections_and_open_faults_with_the_message(
    tenant, client_for, make_configuration, make_audience, make_connection
):
    configuration = make_configuration("Receiver")
    make_configuration("Spare")
    faulted = make_connection(make_audience("Paris fans"), configuration)
    make_connection(make_audience("Lyon fans"), configuration)
    fault(faulted, "Webhook answered 401: signature mismatch")
    response = client_for(tenant.support).get(OUTPUTS)
    page = response.content.decode()
    rows = {row.record.name: row.record for row in response.context["table"].rows}
    assert (rows["Receiver"].connection_count, rows["Receiver"].fault_count) == (2, 1)
    assert (rows["Spare"].connection_count, rows["Spare"].fault_count) == (0, 0)
    assert "Webhook answered 401: signature mismatch" in page
    assert "Open faults (1)" in page
    assert "1 fault" in page
    assert f'action="{reverse("connections:connection_resume", args=[faulted.pk])}"' in page  # support resumes
    assert SECRET not in page


def test_marketers_see_faults_but_no_resume_button(
    tenant, client_for, make_configuration, make_audience, make_connection
):
    connection = fault(make_connection(make_audience(), make_configuration()))
    page = client_for(tenant.marketer).get(OUTPUTS).content.decode()
    assert connection.fault_message in page
    assert reverse("connections:connection_resume", args=[connection.pk]) not in page


def test_the_configuration_page_shows_settings_connections_and_no_secret(
    tenant, client_for, make_configuration, make_audience, make_connection
):
    configuration = make_configuration("Receiver")
    connection = fault(make_connection(make_audience("Paris fans"), configuration), "gave up after 9 attempts: 503")
    Connection.objects.filter(pk=connection.pk).update(delivered_adds=12, delivered_drops=3)
    for user in (tenant.admin, tenant.marketer, tenant.support):
        page = client_for(user).get(configuration.get_absolute_url()).content.decode()
        assert "https://hooks.example.test/audiences" in page
        assert "<dt>Secret</dt><dd>set</dd>" in page
        assert "Paris fans" in page and "Faulted" in page and "gave up after 9 attempts: 503" in page
        assert ">12<" in page and ">3<" in page
        assert SECRET not in page
    admin_page = client_for(tenant.admin).get(configuration.get_absolute_url()).content.decode()
    assert reverse("outputs:configuration_edit", args=[configuration.pk]) in admin_page
    assert reverse("connections:bulk_connect", args=[configuration.pk]) in admin_page
    support_page = client_for(tenant.support).get(configuration.get_absolute_url()).content.decode()
    assert reverse("outputs:configuration_edit", args=[configuration.pk]) not in support_page
    assert reverse("connections:bulk_connect", args=[configuration.pk]) not in support_page


def test_editing_keeps_the_secret_when_left_empty_and_replaces_it_when_typed(tenant, client_for, make_configuration):
    configuration = make_configuration("Receiver")
    client = client_for(tenant.admin)
    edit = reverse("outputs:configuration_edit", args=[configuration.pk])
    form_page = client.get(edit).content.decode()
    assert 'placeholder="set"' in form_page and SECRET not in form_page
    response = client.post(
        edit, {"name": "Renamed", "settings-url": "https://other.example.test/hook", "settings-secret": ""}
    )
    assert response.status_code == 302
    configuration.refresh_from_db()
    assert configuration.name == "Renamed"
    assert configuration.settings == {"url": "https://other.example.test/hook", "secret": SECRET}
    client.post(edit, {"name": "Renamed", "settings-url": "https://other.example.test/hook", "settings-secret": "set"})
    configuration.refresh_from_db()
    assert configuration.settings["secret"] == SECRET
    new_secret = "a-brand-new-secret-value-77"
    client.post(
        edit, {"name": "Renamed", "settings-url": "https://other.example.test/hook", "settings-secret": new_secret}
    )
    configuration.refresh_from_db()
    assert configuration.settings["secret"] == new_secret
    for url in (OUTPUTS, configuration.get_absolute_url(), edit):
        assert new_secret not in client.get(url).content.decode()


def test_an_invalid_edit_names_the_field_and_changes_nothing(tenant, client_for, make_configuration):
    configuration = make_configuration("Receiver")
    response = client_for(tenant.admin).post(
        reverse("outputs:configuration_edit", args=[configuration.pk]),
        {"name": "Receiver", "settings-url": "ftp://nope", "settings-secret": "short"},
    )
    assert response.status_code == 200
    assert "url" in response.context["settings_form"].errors
    configuration.refresh_from_db()
    assert configuration.settings["url"] == "https://hooks.example.test/audiences"
    assert configuration.settings["secret"] == SECRET


def test_only_admins_change_or_delete(tenant, client_for, make_configuration):
    configuration = make_configuration("Receiver")
    for user in (tenant.marketer, tenant.support):
        client = client_for(user)
        assert client.get(reverse("outputs:configuration_edit", args=[configuration.pk])).status_code == 403
        assert (
            client.post(reverse("outputs:configuration_edit", args=[configuration.pk]), {"name": "x"}).status_code
            == 403
        )
        assert client.post(reverse("outputs:configuration_delete", args=[configuration.pk])).status_code == 403
    assert OutputConfiguration.objects.filter(pk=configuration.pk, name="Receiver").exists()


def test_delete_is_refused_while_audiences_are_connected(
    tenant, client_for, make_configuration, make_audience, make_connection
):
    configuration = make_configuration("Receiver")
    connection = make_connection(make_audience("Paris fans"), configuration)
    client = client_for(tenant.admin)
    delete = reverse("outputs:configuration_delete", args=[configuration.pk])
    confirm = client.get(delete).content.decode()
    assert "cannot be deleted while audiences are connected" in confirm and "Paris fans" in confirm
    response = client.post(delete)
    assert response.status_code == 409
    assert "Disconnect them first" in response.content.decode()
    assert OutputConfiguration.objects.filter(pk=configuration.pk).exists()
    connection.delete()
    response = client.post(delete)
    assert response.status_code == 302 and response.url == OUTPUTS
    assert not OutputConfiguration.objects.filter(pk=configuration.pk).exists()


def test_another_accounts_configuration_is_a_404(tenant, other_tenant, client_for, make_configuration):
    theirs = make_configuration("Theirs", account=other_tenant.account)
    client = client_for(tenant.admin)
    for name in ("configuration_detail", "configuration_edit", "configuration_delete"):
        assert client.get(reverse(f"outputs:{name}", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("outputs:configuration_delete", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("connections:bulk_connect", args=[theirs.pk])).status_code == 404
    assert "Theirs" not in client.get(OUTPUTS).content.decode()


def test_bulk_connect_offers_the_accounts_unconnected_real_time_audiences(
    tenant, other_tenant, client_for, make_configuration, make_audience, make_connection
):
    configuration = make_configuration("Receiver")
    make_audience("Free one")
    make_connection(make_audience("Already connected"), configuration)
    make_audience("A standard one", kind=AudienceKind.STANDARD)
    make_audience("Theirs", account=other_tenant.account, workspace=other_tenant.workspace)
    response = client_for(tenant.marketer).get(reverse("connections:bulk_connect", args=[configuration.pk]))
    assert [a.name for a in response.context["offered"]] == ["Free one"]


def test_bulk_connect_reports_each_success_and_each_failure_by_audience(
    tenant, other_tenant, client_for, make_configuration, make_audience
):
    configuration = make_configuration("Receiver")
    audiences = [make_audience(f"Audience {n}") for n in range(3)]
    theirs = make_audience("Theirs", account=other_tenant.account, workspace=other_tenant.workspace)
    client = client_for(tenant.marketer)
    url = reverse("connections:bulk_connect", args=[configuration.pk])
    # Someone connects Audience 1 while the form is open.
    Connection.objects.create(audience=audiences[1], output_configuration=configuration)
    response = client.post(url, {"audiences": [a.pk for a in audiences] + [theirs.pk], "status": "inactive"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "2 connected, 2 could not be connected" in page
    assert "this audience is already connected to it" in page
    assert "no such audience in this account" in page
    assert escape(f"Audience #{theirs.pk}") in page and "Theirs" not in page
    assert set(
        Connection.objects.filter(output_configuration=configuration, status="inactive").values_list(
            "audience__name", flat=True
        )
    ) == {"Audience 0", "Audience 2"}


def test_bulk_connect_with_partner_settings_refuses_all_on_a_bad_setting(tenant, client_for, make_audience):
    from outputs import services

    mailchimp = services.create_configuration(
        account=tenant.account, partner="mailchimp", name="Newsletter", settings={"api_key": "abc123-us6"}
    )
    audience = make_audience("Readers")
    client = client_for(tenant.admin)
    url = reverse("connections:bulk_connect", args=[mailchimp.pk])
    response = client.post(url, {"audiences": [audience.pk], "status": "sending", "settings-list_id": "not valid!"})
    assert "list_id" in response.context["settings_form"].errors
    assert not Connection.objects.exists()
    response = client.post(url, {"audiences": [audience.pk], "status": "sending", "settings-list_id": "a1b2c3"})
    assert "1 connected" in response.content.decode()
    assert Connection.objects.get().settings == {"list_id": "a1b2c3"}


def test_bulk_connect_needs_at_least_one_audience(tenant, client_for, make_configuration, make_audience):
    configuration = make_configuration()
    make_audience()
    response = client_for(tenant.admin).post(
        reverse("connections:bulk_connect", args=[configuration.pk]), {"status": "sending"}
    )
    assert "Pick at least one audience" in response.content.decode()
    response = client_for(tenant.admin).post(
        reverse("connections:bulk_connect", args=[configuration.pk]), {"audiences": ["x"], "status": "loud"}
    )
    assert response.status_code == 200 and not Connection.objects.exists()


def test_support_cannot_bulk_connect(tenant, client_for, make_configuration, make_audience):
    configuration = make_configuration()
    audience = make_audience()
    url = reverse("connections:bulk_connect", args=[configuration.pk])
    client = client_for(tenant.support)
    assert client.get(url).status_code == 403
    assert client.post(url, {"audiences": [audience.pk], "status": "sending"}).status_code == 403
    assert not Connection.objects.exists()


def test_setup_changes_need_a_csrf_token(tenant, make_configuration):
    configuration = make_configuration()
    client = Client(enforce_csrf_checks=True)
    client.force_login(tenant.admin)
    assert client.post(reverse("outputs:configuration_delete", args=[configuration.pk])).status_code == 403
    assert OutputConfiguration.objects.filter(pk=configuration.pk).exists()


def test_setup_outputs_costs_the_same_queries_for_2_or_20_rows(
    tenant, client_for, make_configuration, make_audience, make_connection, count_queries, django_assert_max_num_queries
):
    client = client_for(tenant.support)

    def grow(start: int, stop: int) -> None:
        for n in range(start, stop):
            configuration = make_configuration(f"Output {n}")
            fault(make_connection(make_audience(f"Audience {n}"), configuration))

    grow(0, 2)
    baseline = count_queries(lambda: client.get(OUTPUTS))
    grow(2, 20)
    with django_assert_max_num_queries(baseline):
        page = client.get(OUTPUTS).content.decode()
    assert "Open faults (20)" in page


def test_a_configuration_page_costs_the_same_queries_for_2_or_20_connections(
    tenant, client_for, make_configuration, make_audience, make_connection, count_queries, django_assert_max_num_queries
):
    configuration = make_configuration()
    client = client_for(tenant.admin)

    def grow(start: int, stop: int) -> None:
        for n in range(start, stop):
            fault(make_connection(make_audience(f"Audience {n}"), configuration))

    grow(0, 2)
    baseline = count_queries(lambda: client.get(configuration.get_absolute_url()))
    grow(2, 20)
    with django_assert_max_num_queries(baseline):
        client.get(configuration.get_absolute_url())


def test_odd_input_is_answered_never_a_server_error(
    tenant, client_for, make_configuration, make_audience, make_connection
):
    configuration = make_configuration()
    audience = make_audience()
    make_connection(audience, make_configuration("Other"))
    client = client_for(tenant.admin)
    huge = str(2**70)
    for url, params in (
        (OUTPUTS, {"page": "abc", "sort": "nonsense"}),
        (OUTPUTS, {"page": "999"}),
        (configuration.get_absolute_url(), {"page": "-1", "sort": "-state"}),
        (reverse("outputs:directory"), {"q": "x" * 5000, "category": huge, "audiences": "maybe"}),
        (reverse("connections:connection_create", args=[audience.pk]), {"configuration": huge}),
    ):
        assert client.get(url, params).status_code in (200, 404), (url, params)
    bulk = reverse("connections:bulk_connect", args=[configuration.pk])
    response = client.post(bulk, {"audiences": [huge, "0", str(audience.pk)], "status": "sending"})
    assert response.status_code == 200
    assert list(Connection.objects.filter(output_configuration=configuration).values_list("audience", flat=True)) == [
        audience.pk
    ]
