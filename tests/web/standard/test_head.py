"""An audience's own pages show a calculation's progress in their head, which redraws itself
(HTMX, every 2 s, like the list) until the audience is Ready; then Send is offered."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audiences import services
from audiences.models import Audience, StandardState

POLL = 'hx-trigger="every 2s"'


def head_url(audience, tab: str = "build") -> str:
    return reverse("audiences:standard_head", args=[audience.pk]) + f"?tab={tab}"


@pytest.mark.parametrize("page", ["audiences:audience_detail", "connections:audience_connect"])
def test_a_calculating_audiences_pages_redraw_their_head(tenant, client_for, make_standard, page):
    audience = make_standard("Busy", state=StandardState.CALCULATING)

    html = client_for(tenant.marketer).get(reverse(page, args=[audience.pk])).content.decode()

    assert "40% calculated" in html
    assert POLL in html
    assert reverse("audiences:standard_head", args=[audience.pk]) in html


def test_the_head_follows_the_calculation_to_ready_then_stops_polling(tenant, client_for, make_standard):
    audience = make_standard("Busy", state=StandardState.CALCULATING)
    client = client_for(tenant.marketer)

    busy = client.get(head_url(audience), HTTP_HX_REQUEST="true").content.decode()
    assert "40% calculated" in busy and POLL in busy
    assert "<nav" not in busy  # only the head: the tabs and the page stay

    Audience.objects.filter(pk=audience.pk).update(standard_state=StandardState.READY, size=42)
    ready = client.get(head_url(audience), HTTP_HX_REQUEST="true").content.decode()
    assert POLL not in ready
    assert 'data-size="42"' in ready
    assert reverse("connections:standard_send", args=[audience.pk]) in ready
    # The Connections tab has Send in the page itself, so the head leaves it out there.
    on_connect = client.get(head_url(audience, "connect"), HTTP_HX_REQUEST="true").content.decode()
    assert reverse("connections:standard_send", args=[audience.pk]) not in on_connect


def test_a_ready_or_draft_audiences_page_does_not_poll(tenant, client_for, make_standard):
    client = client_for(tenant.marketer)
    for audience in (make_standard("Draft"), make_standard("Fresh", state=StandardState.READY)):
        assert POLL not in client.get(reverse("audiences:audience_detail", args=[audience.pk])).content.decode()


def test_support_staff_see_the_head_without_actions(tenant, client_for, make_standard):
    audience = make_standard("Fresh", state=StandardState.READY)

    html = client_for(tenant.support).get(head_url(audience)).content.decode()

    assert "Fresh" in html
    assert reverse("connections:standard_send", args=[audience.pk]) not in html


def test_another_accounts_or_a_real_time_audience_is_not_found(tenant, other_tenant, client_for, make_standard):
    theirs = make_standard("Theirs", state=StandardState.CALCULATING, tenant_=other_tenant)
    realtime_audience = services.create_audience(
        account=tenant.account, acting_user=tenant.marketer, name="Live", workspace_ids=[tenant.workspace.pk]
    )
    client = client_for(tenant.marketer)

    assert client.get(head_url(theirs)).status_code == 404
    assert client.get(head_url(realtime_audience)).status_code == 404
