"""Send from the Ready tab and the Connections screen: pick connections, every member goes to
each; expired audiences cannot be connected or sent, and say so."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audiences.models import Audience, StandardState
from connections import services as connection_services
from connections.models import Connection
from outputs import services as output_services

HTMX = {"HX-Request": "true"}


@pytest.fixture
def output(tenant):
    def make(name: str):
        return output_services.create_configuration(
            account=tenant.account,
            partner="webhook",
            name=name,
            settings={"url": f"https://hooks.example.test/{name.lower()}", "secret": "s3cret-for-tests"},
        )

    return make


@pytest.fixture
def ready(tenant, make_standard, output):
    """A ready audience connected to two webhooks."""
    audience = make_standard("Fresh fans", state=StandardState.READY, size=3)
    for name in ("Alpha", "Beta"):
        connection_services.create_connection(audience, output(name), acting_user=tenant.marketer)
    return audience


def send_url(audience: Audience) -> str:
    return reverse("connections:standard_send", args=[audience.pk])


def test_the_send_dialog_offers_the_audiences_connections(tenant, client_for, ready):
    response = client_for(tenant.marketer).get(send_url(ready), headers=HTMX)
    body = response.content.decode()
    assert "Alpha" in body and "Beta" in body
    assert "It has not been sent yet" in body
    assert "<html" not in body


def test_send_forwards_to_the_connections_picked_and_says_when(tenant, client_for, ready):
    alpha = Connection.objects.get(audience=ready, output_configuration__name="Alpha")
    client = client_for(tenant.marketer)
    response = client.post(send_url(ready), {"connections": [alpha.pk]})
    assert response.status_code == 302
    assert response["Location"] == reverse("connections:audience_connect", args=[ready.pk])
    ready.refresh_from_db()
    assert ready.last_sent_at is not None
    assert alpha.standard_send.sends == 1
    beta = Connection.objects.get(audience=ready, output_configuration__name="Beta")
    assert not hasattr(beta, "standard_send") or beta.standard_send is None
    page = client.get(response["Location"]).content.decode()
    assert "Sending every member of Fresh fans to Alpha" in page
    assert "Last sent" in page


def test_sending_again_is_allowed(tenant, client_for, ready):
    alpha = Connection.objects.get(audience=ready, output_configuration__name="Alpha")
    client = client_for(tenant.marketer)
    client.post(send_url(ready), {"connections": [alpha.pk]})
    assert "Last sent" in client.get(send_url(ready)).content.decode()
    client.post(send_url(ready), {"connections": [alpha.pk]})
    alpha.refresh_from_db()
    assert alpha.standard_send.sends == 2


def test_picking_nothing_is_a_form_error(tenant, client_for, ready):
    response = client_for(tenant.marketer).post(send_url(ready), {})
    assert response.status_code == 400
    assert "Pick at least one connection" in " ".join(response.context["form"].errors["connections"])


def test_another_audiences_connection_is_not_sent(tenant, client_for, ready, make_standard, output):
    other = make_standard("Other", state=StandardState.READY)
    theirs = connection_services.create_connection(other, output("Gamma"), acting_user=tenant.marketer)
    response = client_for(tenant.marketer).post(send_url(ready), {"connections": [theirs.pk]})
    assert response.status_code == 400
    other.refresh_from_db()
    assert other.last_sent_at is None


def test_an_expired_audience_cannot_be_sent_or_connected(tenant, client_for, ready, output):
    Audience.objects.filter(pk=ready.pk).update(standard_state=StandardState.EXPIRED)
    alpha = Connection.objects.get(audience=ready, output_configuration__name="Alpha")
    client = client_for(tenant.marketer)
    assert "has expired" in client.get(send_url(ready)).content.decode()
    response = client.post(send_url(ready), {"connections": [alpha.pk]})
    assert response.status_code in (400, 409)
    assert "expired" in response.content.decode()
    ready.refresh_from_db()
    assert ready.last_sent_at is None
    # Connect Output says why and connects nothing.
    output("Delta")
    response = client.get(reverse("connections:connection_create", args=[ready.pk]), follow=True)
    assert "has expired" in response.content.decode()
    assert not Connection.objects.filter(output_configuration__name="Delta").exists()
    tab = client.get(reverse("connections:audience_connect", args=[ready.pk])).content.decode()
    assert "Connect Output" not in tab and send_url(ready) not in tab
    assert "can no longer be connected or sent" in tab


def test_a_draft_cannot_be_sent_yet(tenant, client_for, make_standard):
    draft = make_standard("Draft")
    assert (
        "can be sent once it is calculated and Ready"
        in client_for(tenant.marketer).get(send_url(draft)).content.decode()
    )


def test_the_connections_screen_offers_send_once_ready(tenant, client_for, ready):
    tab = client_for(tenant.marketer).get(reverse("connections:audience_connect", args=[ready.pk])).content.decode()
    assert send_url(ready) in tab
    assert "Not sent yet" in tab
    assert 'href="/audiences/standard/" aria-current="page"' in tab


def test_connecting_a_standard_audience_forwards_nothing_until_send(tenant, client_for, make_standard, output):
    audience = make_standard("Fresh", state=StandardState.READY)
    configuration = output("Alpha")
    url = reverse("connections:connection_create", args=[audience.pk])
    response = client_for(tenant.marketer).post(
        url, {"configuration": configuration.pk, "status": "sending"}, follow=True
    )
    assert "click Send to forward its members" in response.content.decode()
    connection = Connection.objects.get(audience=audience)
    assert connection.delivered_adds == 0


def test_support_staff_cannot_send(tenant, client_for, ready):
    alpha = Connection.objects.get(audience=ready, output_configuration__name="Alpha")
    client = client_for(tenant.support)
    assert client.post(send_url(ready), {"connections": [alpha.pk]}).status_code == 403
    ready.refresh_from_db()
    assert ready.last_sent_at is None


def test_another_accounts_audience_is_not_found(tenant, other_tenant, client_for, make_standard):
    theirs = make_standard("Theirs", state=StandardState.READY, tenant_=other_tenant)
    client = client_for(tenant.marketer)
    assert client.get(send_url(theirs)).status_code == 404
    assert client.post(send_url(theirs), {}).status_code == 404


def test_a_real_time_audience_has_no_send(tenant, client_for):
    from audiences import services

    live = services.create_audience(
        account=tenant.account, acting_user=tenant.marketer, name="Live", workspace_ids=[tenant.workspace.pk]
    )
    assert client_for(tenant.marketer).get(send_url(live)).status_code == 404


def test_the_connection_page_says_when_it_was_last_sent(tenant, client_for, ready):
    alpha = Connection.objects.get(audience=ready, output_configuration__name="Alpha")
    client = client_for(tenant.marketer)
    assert (
        "Never: a standard audience goes out when you click Send"
        in client.get(alpha.get_absolute_url()).content.decode()
    )
    client.post(send_url(ready), {"connections": [alpha.pk]})
    page = client.get(alpha.get_absolute_url()).content.decode()
    assert "(1 send)" in page and "Pending changes" not in page
