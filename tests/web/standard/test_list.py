"""Audiences > Standard: tabs by stage, progress while calculating, search, pages, empty
states, account isolation, and a constant number of queries."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audiences import services
from audiences.models import StandardState

LIST = reverse("audiences:standard_list")


def names(response) -> list[str]:
    """The audiences on the page shown."""
    return [row.record.name for row in response.context["table"].page.object_list]


def test_tabs_hold_drafts_and_calculating_then_ready_then_expired(tenant, client_for, make_standard):
    make_standard("Draft one")
    make_standard("Busy one", state=StandardState.CALCULATING)
    make_standard("Fresh one", state=StandardState.READY, size=120)
    make_standard("Old one", state=StandardState.EXPIRED, size=80)
    client = client_for(tenant.marketer)
    assert names(client.get(LIST)) == ["Busy one", "Draft one"]
    ready = client.get(LIST, {"tab": "ready"})
    assert names(ready) == ["Fresh one"]
    assert 'data-size="120"' in ready.content.decode()
    assert names(client.get(LIST, {"tab": "archive"})) == ["Old one"]


def test_it_shows_the_date_range_and_the_state(tenant, client_for, make_standard):
    make_standard("Two years", start=dt.date(2018, 1, 1), end=dt.date(2020, 1, 1))
    make_standard("Since spring", start=dt.date(2024, 3, 1), most_recent=True)
    make_standard("Everything")
    page = client_for(tenant.support).get(LIST).content.decode()
    assert "2018-01-01 to 2020-01-01" in page
    assert "2024-03-01 to most recent" in page
    assert "All available data" in page
    assert "Draft" in page


def test_a_calculating_audience_shows_its_progress_and_the_list_refreshes_itself(tenant, client_for, make_standard):
    make_standard("Busy", state=StandardState.CALCULATING)
    page = client_for(tenant.marketer).get(LIST).content.decode()
    assert "40% calculated" in page
    assert 'hx-trigger="every 2s"' in page


def test_without_a_calculation_running_the_list_does_not_poll(tenant, client_for, make_standard):
    make_standard("Idle")
    assert 'hx-trigger="every 2s"' not in client_for(tenant.marketer).get(LIST).content.decode()


def test_each_tab_has_its_own_empty_state(tenant, client_for):
    client = client_for(tenant.marketer)
    assert "No standard audiences in progress" in client.get(LIST).content.decode()
    assert "Nothing ready yet" in client.get(LIST, {"tab": "ready"}).content.decode()
    assert "The archive is empty" in client.get(LIST, {"tab": "archive"}).content.decode()


def test_filtering_by_tags_keeps_audiences_with_all_of_them(tenant, client_for, make_standard):
    both = make_standard("Both", tags=["Retargeting", "Summer"])
    make_standard("Only one", tags=["Retargeting"])
    tags = {t.name: t.pk for t in both.tags.all()}
    client = client_for(tenant.marketer)
    assert names(client.get(LIST, {"tags": [tags["Retargeting"], tags["Summer"]]})) == ["Both"]
    assert names(client.get(LIST, {"tags": [tags["Retargeting"]]})) == ["Both", "Only one"]


def test_search_by_name_and_say_so_when_nothing_matches(tenant, client_for, make_standard):
    make_standard("Paris lovers")
    make_standard("London lovers")
    client = client_for(tenant.marketer)
    assert names(client.get(LIST, {"q": "paris"})) == ["Paris lovers"]
    assert "No standard audience matches" in client.get(LIST, {"q": "tokyo"}).content.decode()


def test_it_pages_through_many_audiences(tenant, client_for, make_standard):
    for n in range(30):
        make_standard(f"Audience {n:02}")
    client = client_for(tenant.marketer)
    assert len(names(client.get(LIST))) == 25
    assert names(client.get(LIST, {"page": 2})) == [f"Audience {n:02}" for n in range(25, 30)]


def test_real_time_audiences_and_other_accounts_never_show(tenant, other_tenant, client_for, make_standard):
    services.create_audience(
        account=tenant.account, acting_user=tenant.marketer, name="Live one", workspace_ids=[tenant.workspace.pk]
    )
    make_standard("Their secret", tenant_=other_tenant)
    page = client_for(tenant.marketer).get(LIST).content.decode()
    assert "Live one" not in page and "Their secret" not in page


def test_an_htmx_request_gets_only_the_table(tenant, client_for, make_standard):
    make_standard("Parisians")
    body = client_for(tenant.marketer).get(LIST, {"q": "par"}, headers={"HX-Request": "true"}).content.decode()
    assert "Parisians" in body
    assert "<html" not in body and "New Standard Audience" not in body


def test_editors_get_new_and_calculate_and_support_staff_do_not(tenant, client_for, make_standard):
    make_standard("Parisians")
    for user in (tenant.admin, tenant.marketer):
        page = client_for(user).get(LIST).content.decode()
        assert "New Standard Audience" in page and "Calculate" in page
    page = client_for(tenant.support).get(LIST).content.decode()
    assert "New Standard Audience" not in page
    assert "Calculate" not in page and "Clone" not in page


def test_each_stage_offers_its_own_actions(tenant, client_for, make_standard):
    draft = make_standard("Draft one")
    ready = make_standard("Fresh one", state=StandardState.READY)
    old = make_standard("Old one", state=StandardState.EXPIRED)
    client = client_for(tenant.marketer)
    page = client.get(LIST).content.decode()
    assert f"{reverse('audiences:standard_calculate')}?audience={draft.pk}" in page
    page = client.get(LIST, {"tab": "ready"}).content.decode()
    assert reverse("connections:standard_send", args=[ready.pk]) in page
    page = client.get(LIST, {"tab": "archive"}).content.decode()
    assert reverse("audiences:standard_clone", args=[old.pk]) in page
    assert reverse("connections:standard_send", args=[old.pk]) not in page
    assert reverse("connections:audience_connect", args=[old.pk]) not in page


def test_the_balance_shows_and_links_to_the_ledger_for_admins_only(tenant, client_for, grant):
    grant(3)
    ledger = reverse("audiences:standard_credits")
    assert "3 credits" in client_for(tenant.marketer).get(LIST).content.decode()
    assert ledger not in client_for(tenant.marketer).get(LIST).content.decode()
    assert ledger in client_for(tenant.admin).get(LIST).content.decode()


def _queries(client, **params) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(LIST, params)
        assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_list_costs_the_same_number_of_queries_for_5_or_30_audiences(tenant, client_for, make_standard):
    client = client_for(tenant.marketer)
    for n in range(5):
        make_standard(f"Audience {n:02}", state=StandardState.READY, tags=["Alpha", f"T{n}"])
        make_standard(f"Draft {n:02}", tags=["Alpha"])
    few = (_queries(client), _queries(client, tab="ready"))
    for n in range(5, 30):
        make_standard(f"Audience {n:02}", state=StandardState.READY, tags=["Alpha", f"T{n}"])
        make_standard(f"Draft {n:02}", state=StandardState.CALCULATING, tags=["Alpha"])
    assert (_queries(client), _queries(client, tab="ready")) == few
    assert _queries(client, tab="ready", page=2, sort="-size") == few[1]
