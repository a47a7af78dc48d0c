"""The audience's Connect tab, Connect Output, the connection page, Resume and fault icons."""

from __future__ import annotations

from django.contrib.admin.sites import site
from django.template import Context, RequestContext, Template
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from audiences.models import CatalogueAttribute, MembershipChange
from connections.models import Connection
from outputs import services as output_services
from tests.factories import WorkspaceFactory
from tests.web.outputs.conftest import SECRET, fault


def _tab(audience) -> str:
    return reverse("connections:audience_connect", args=[audience.pk])


def _new(audience) -> str:
    return reverse("connections:connection_create", args=[audience.pk])


def test_the_audience_tabs_lead_to_the_connect_tab(tenant, client_for, make_audience):
    audience = make_audience("Paris fans")
    assert reverse("connections:audience_connect", args=[audience.pk]) == f"/audiences/{audience.pk}/connect/"
    response = client_for(tenant.support).get(_tab(audience))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Not connected yet" in page and "Admins and marketers can connect it" in page
    assert _new(audience) not in page  # support does not connect
    assert _new(audience) in client_for(tenant.marketer).get(_tab(audience)).content.decode()


def test_the_tab_lists_connections_with_state_delivered_pending_and_last_delivery(
    tenant, client_for, make_configuration, make_audience, make_connection
):
    audience = make_audience("Paris fans")
    connection = make_connection(audience, make_configuration("Receiver"))
    now = timezone.now()
    MembershipChange.objects.bulk_create(
        MembershipChange(audience=audience, mpid=m, added=True, at=now) for m in (1, 2, 3)
    )
    Connection.objects.filter(pk=connection.pk).update(
        delivered_adds=40, delivered_drops=2, last_delivery_at=now, snapshot_state="done"
    )
    response = client_for(tenant.marketer).get(_tab(audience))
    page = response.content.decode()
    row = response.context["connections"][0]
    assert row.pending == 3
    assert "Receiver" in page and "Sending" in page
    assert '<span class="delivered" data-testid="delivered-adds">40</span> adds, 2 drops' in page
    assert now.strftime("%Y-%m-%d") in page
    assert 'hx-trigger="every 3s"' in page  # changes are on their way: the panel refreshes itself
    assert SECRET not in page


def test_a_fault_shows_a_banner_with_the_message_and_resume_for_admins_and_support(
    tenant, client_for, make_configuration, make_audience, make_connection
):
    audience = make_audience("Paris fans")
    connection = fault(make_connection(audience, make_configuration("Receiver")), "Webhook answered 401: bad key")
    resume = reverse("connections:connection_resume", args=[connection.pk])
    for user in (tenant.admin, tenant.support):
        page = client_for(user).get(_tab(audience)).content.decode()
        assert "Forwarding to Receiver stopped" in page and "Webhook answered 401: bad key" in page
        assert f'action="{resume}"' in page
    marketer_page = client_for(tenant.marketer).get(_tab(audience)).content.decode()
    assert "Webhook answered 401: bad key" in marketer_page and resume not in marketer_page
    assert 'hx-trigger="every 3s"' not in marketer_page  # a faulted connection sends nothing


def test_resume_clears_the_fault_and_continues_from_the_cursor(
    tenant, client_for, make_configuration, make_audience, make_connection
):
    audience = make_audience()
    connection = fault(make_connection(audience, make_configuration()))
    Connection.objects.filter(pk=connection.pk).update(cursor=17)
    assert (
        client_for(tenant.marketer).post(reverse("connections:connection_resume", args=[connection.pk])).status_code
        == 403
    )
    response = client_for(tenant.support).post(
        reverse("connections:connection_resume", args=[connection.pk]), {"next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response.url == _tab(audience)
    connection.refresh_from_db()
    assert (connection.faulted_at, connection.fault_message, connection.cursor) == (None, "", 17)
    again = client_for(tenant.admin).post(
        reverse("connections:connection_resume", args=[connection.pk]),
        {"next": reverse("outputs:output_list")},
        follow=True,
    )
    assert "not faulted; nothing to resume" in again.content.decode()
    assert again.redirect_chain[-1][0] == reverse("outputs:output_list")


def test_connect_output_picks_a_configuration_then_its_settings_then_adds_it(
    tenant, client_for, make_configuration, make_audience
):
    audience = make_audience("Paris fans")
    configuration = make_configuration("Receiver")
    client = client_for(tenant.marketer)
    choose = client.get(_new(audience)).content.decode()
    assert "Receiver" in choose and 'name="configuration"' in choose
    form = client.get(_new(audience), {"configuration": configuration.pk}).content.decode()
    assert "Add connection" in form and 'value="sending"' in form and 'value="inactive"' in form
    assert "needs no settings per connection" in form
    response = client.post(_new(audience), {"configuration": configuration.pk, "status": "sending"})
    assert response.status_code == 302 and response.url == _tab(audience)
    connection = Connection.objects.get(audience=audience)
    assert (connection.output_configuration, connection.status, connection.created_by) == (
        configuration,
        "sending",
        tenant.marketer,
    )
    again = client.get(_new(audience)).content.decode()
    assert "already connected to every output" in again


def test_connect_output_with_partner_settings_names_the_bad_field(tenant, client_for, make_audience):
    mailchimp = output_services.create_configuration(
        account=tenant.account, partner="mailchimp", name="Newsletter", settings={"api_key": "abc123-us6"}
    )
    audience = make_audience()
    client = client_for(tenant.admin)
    response = client.post(_new(audience), {"configuration": mailchimp.pk, "status": "sending", "settings-list_id": ""})
    assert "list_id" in response.context["settings_form"].errors
    assert not Connection.objects.exists()
    response = client.post(
        _new(audience), {"configuration": mailchimp.pk, "status": "sending", "settings-list_id": "x9"}
    )
    assert Connection.objects.get().settings == {"list_id": "x9"}


def test_an_inactive_connection_leads_to_its_page(tenant, client_for, make_configuration, make_audience):
    audience = make_audience()
    configuration = make_configuration()
    response = client_for(tenant.admin).post(_new(audience), {"configuration": configuration.pk, "status": "inactive"})
    connection = Connection.objects.get()
    assert connection.status == "inactive"
    assert response.url == connection.get_absolute_url()


def test_there_is_nothing_to_connect_to_without_outputs(tenant, client_for, make_audience):
    page = client_for(tenant.marketer).get(_new(make_audience())).content.decode()
    assert "No output is set up yet" in page and "An account admin adds outputs" in page


def test_another_accounts_configuration_cannot_be_picked(
    tenant, other_tenant, client_for, make_configuration, make_audience
):
    theirs = make_configuration("Theirs", account=other_tenant.account)
    make_configuration("Ours")
    audience = make_audience()
    client = client_for(tenant.admin)
    page = client.get(_new(audience), {"configuration": theirs.pk}).content.decode()
    assert "Pick one of the outputs" in page
    client.post(_new(audience), {"configuration": theirs.pk, "status": "sending"})
    client.post(_new(audience), {"configuration": "not-a-number", "status": "sending"})
    assert not Connection.objects.exists()


def test_the_form_warns_to_create_inactive_where_attributes_can_be_shared(
    tenant, client_for, make_configuration, make_audience
):
    webhook = make_configuration("Receiver")
    facebook = output_services.create_configuration(
        account=tenant.account, partner="facebook", name="Ads", settings={"access_token": "t", "ad_account_id": "1"}
    )
    single = make_audience("Single")
    multi = make_audience("Multi", multi_workspace=True)
    multi.workspaces.add(WorkspaceFactory(account=tenant.account))
    client = client_for(tenant.marketer)

    def warned(audience, configuration) -> bool:
        page = client.get(_new(audience), {"configuration": configuration.pk}).content.decode()
        return 'data-testid="attribute-warning"' in page

    assert warned(single, webhook)
    assert not warned(single, facebook)  # takes no user attributes
    assert not warned(multi, webhook)  # multi-workspace audiences share none


def test_the_connection_page_offers_the_workspaces_user_attributes_none_picked(
    tenant, client_for, make_configuration, make_audience, make_connection
):
    audience = make_audience()
    connection = make_connection(audience, make_configuration(), status="inactive")
    now = timezone.now()
    CatalogueAttribute.objects.bulk_create(
        [
            CatalogueAttribute(workspace=tenant.workspace, key="ltv", detected_type="number", first_seen=now),
            CatalogueAttribute(workspace=tenant.workspace, key="status", detected_type="string", first_seen=now),
            CatalogueAttribute(
                workspace=tenant.workspace,
                event_type="custom_event",
                event_name="Play Video",
                key="category",
                detected_type="string",
                first_seen=now,
            ),
        ]
    )
    client = client_for(tenant.marketer)
    page = client.get(connection.get_absolute_url()).content.decode()
    assert 'value="ltv"' in page and 'value="status"' in page
    assert 'value="category"' not in page  # an event attribute, not a user attribute
    assert "checked" not in page.split('id="attributes"')[1].split("</section>")[0]
    url = reverse("connections:connection_attributes", args=[connection.pk])
    client.post(url, {"attributes": ["ltv", "status"]})
    connection.refresh_from_db()
    assert connection.shared_attributes == ["ltv", "status"]
    client.post(url, {})
    connection.refresh_from_db()
    assert connection.shared_attributes == []
    assert client_for(tenant.support).post(url, {"attributes": ["ltv"]}).status_code == 403


def test_attributes_cannot_be_shared_from_a_multi_workspace_audience(
    tenant, client_for, make_configuration, make_audience, make_connection
):
    audience = make_audience("Multi", multi_workspace=True)
    connection = make_connection(audience, make_configuration())
    client = client_for(tenant.admin)
    page = client.get(connection.get_absolute_url()).content.decode()
    assert "only from single-workspace real-time audiences" in page
    client.post(reverse("connections:connection_attributes", args=[connection.pk]), {"attributes": ["ltv"]})
    connection.refresh_from_db()
    assert connection.shared_attributes == []


def test_the_connection_page_changes_status_and_disconnects(
    tenant, client_for, make_configuration, make_audience, make_connection
):
    audience = make_audience()
    connection = make_connection(audience, make_configuration(), status="inactive")
    client = client_for(tenant.marketer)
    response = client.post(connection.get_absolute_url(), {"status": "sending"})
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.status == "sending"
    assert client.post(connection.get_absolute_url(), {"status": "paused"}).status_code == 400
    support = client_for(tenant.support)
    assert support.get(connection.get_absolute_url()).status_code == 200
    assert support.post(connection.get_absolute_url(), {"status": "inactive"}).status_code == 403
    assert support.post(reverse("connections:connection_delete", args=[connection.pk])).status_code == 403
    response = client.post(reverse("connections:connection_delete", args=[connection.pk]))
    assert response.url == _tab(audience)
    assert not Connection.objects.exists()


def test_the_connection_page_shows_recent_deliveries_and_never_the_secret(
    tenant, client_for, make_configuration, make_audience, make_connection
):
    connection = make_connection(make_audience(), make_configuration())
    now = timezone.now()
    connection.deliveries.create(batch_id="c1-q1-9", adds=7, drops=2, outcome="delivered", started_at=now)
    connection.deliveries.create(
        batch_id="c1-q10-12",
        adds=1,
        outcome="fault",
        status_code=401,
        message="Webhook answered 401: no",
        started_at=now,
    )
    page = client_for(tenant.support).get(connection.get_absolute_url()).content.decode()
    assert "c1-q1-9" in page and "Webhook answered 401: no" in page and "Delivered" in page
    assert SECRET not in page


def test_another_accounts_audience_and_connection_are_404(
    tenant, other_tenant, client_for, make_configuration, make_audience, make_connection
):
    theirs = make_audience("Theirs", account=other_tenant.account, workspace=other_tenant.workspace)
    connection = make_connection(theirs, make_configuration("Theirs", account=other_tenant.account))
    fault(connection)
    client = client_for(tenant.admin)
    assert client.get(_tab(theirs)).status_code == 404
    assert client.get(_new(theirs)).status_code == 404
    assert client.get(connection.get_absolute_url()).status_code == 404
    for name in ("connection_resume", "connection_delete", "connection_attributes"):
        assert client.post(reverse(f"connections:{name}", args=[connection.pk])).status_code == 404
    connection.refresh_from_db()
    assert connection.faulted_at is not None


def test_support_views_but_does_not_connect(tenant, client_for, make_configuration, make_audience):
    audience = make_audience()
    configuration = make_configuration()
    client = client_for(tenant.support)
    assert client.get(_new(audience)).status_code == 403
    assert client.post(_new(audience), {"configuration": configuration.pk, "status": "sending"}).status_code == 403
    assert not Connection.objects.exists()


def test_connecting_needs_a_csrf_token(tenant, make_configuration, make_audience):
    audience = make_audience()
    configuration = make_configuration()
    client = Client(enforce_csrf_checks=True)
    client.force_login(tenant.marketer)
    assert client.post(_new(audience), {"configuration": configuration.pk, "status": "sending"}).status_code == 403
    assert not Connection.objects.exists()


def test_the_connect_tab_costs_the_same_queries_for_2_or_20_connections(
    tenant, client_for, make_configuration, make_audience, make_connection, count_queries, django_assert_max_num_queries
):
    audience = make_audience()
    client = client_for(tenant.admin)

    def grow(start: int, stop: int) -> None:
        for n in range(start, stop):
            connection = make_connection(audience, make_configuration(f"Output {n}"))
            if n % 2:
                fault(connection)

    grow(0, 2)
    baseline = count_queries(lambda: client.get(_tab(audience)))
    grow(2, 20)
    with django_assert_max_num_queries(baseline):
        response = client.get(_tab(audience))
    assert len(response.context["connections"]) == 20


def test_the_fault_icon_tag_reads_the_accounts_faults_once(
    tenant, make_configuration, make_audience, make_connection, django_assert_max_num_queries
):
    configuration = make_configuration("Receiver")
    audiences = [make_audience(f"Audience {n}") for n in range(20)]
    for audience in audiences[:3]:
        make_connection(audience, configuration)
    fault(audiences[0].connections.get(), "Webhook answered 403: forbidden")
    request = RequestFactory().get("/")
    template = Template("{% load connections_tags %}{% for a in audiences %}[{% audience_faults a %}]{% endfor %}")
    with django_assert_max_num_queries(1):
        html = template.render(RequestContext(request, {"audiences": audiences}))
    assert html.count('data-testid="audience-fault"') == 1
    assert "Webhook answered 403: forbidden" in html
    assert reverse("connections:audience_connect", args=[audiences[0].pk]) in html
    assert "[]" in Template("{% load connections_tags %}[{% audience_faults a %}]").render(Context({"a": audiences[5]}))


def test_the_admin_resumes_faulted_connections(
    tenant, make_configuration, make_audience, make_connection, admin_client
):
    connection = fault(make_connection(make_audience(), make_configuration()))
    other = make_connection(make_audience("Other"), make_configuration("Other"))
    response = admin_client.post(
        reverse("admin:connections_connection_changelist"),
        {"action": "resume_connections", "_selected_action": [connection.pk, other.pk]},
        follow=True,
    )
    page = response.content.decode()
    assert "Resumed 1 connection(s)." in page and "1 selected connection(s) were not faulted." in page
    connection.refresh_from_db()
    assert connection.faulted_at is None
    assert site.is_registered(Connection)


def test_the_admin_never_shows_a_secret(tenant, make_configuration, admin_client):
    configuration = make_configuration()
    page = admin_client.get(
        reverse("admin:outputs_outputconfiguration_change", args=[configuration.pk])
    ).content.decode()
    assert "secret: set" in page and SECRET not in page
    assert admin_client.get(reverse("admin:outputs_outputconfiguration_add")).status_code == 403


def test_the_audience_list_shows_a_fault_icon_with_the_detailed_message(
    tenant, client_for, make_configuration, make_audience, make_connection, count_queries, django_assert_max_num_queries
):
    configuration = make_configuration("Receiver")
    fault(make_connection(make_audience("Audience 0"), configuration), "Webhook answered 401: bad key")
    make_connection(make_audience("Audience 1"), make_configuration("Healthy"))
    client = client_for(tenant.marketer)
    audience_list = reverse("audiences:realtime_list")
    baseline = count_queries(lambda: client.get(audience_list))
    page = client.get(audience_list).content.decode()
    assert page.count('data-testid="audience-fault"') == 1
    assert "Webhook answered 401: bad key" in page
    for n in range(2, 20):
        fault(make_connection(make_audience(f"Audience {n}"), configuration))
    with django_assert_max_num_queries(baseline):
        page = client.get(audience_list).content.decode()
    assert page.count('data-testid="audience-fault"') == 19
