"""Audiences > Real-time: tabs, metrics, search and filters, HTMX table, constant queries."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audiences.models import Audience, MembershipChange
from audiences.models.audiences import CalculationState
from tests.factories import WorkspaceFactory

LIST = reverse("audiences:realtime_list")


def test_it_lists_the_workspaces_audiences_with_their_columns(tenant, client_for, make_audience):
    make_audience("Parisians", tags=["Retargeting"])
    page = client_for(tenant.support).get(LIST).content.decode()
    for text in ("Parisians", "Retargeting", "Draft", "Private", tenant.marketer.username, "Volatility"):
        assert text in page
    assert "0 active" in page


def test_it_counts_active_audiences(tenant, client_for, make_audience):
    make_audience("One")
    Audience.objects.filter(pk=make_audience("Two").pk).update(status="active")
    assert "1 active" in client_for(tenant.marketer).get(LIST).content.decode()


def test_adds_drops_and_volatility_come_from_the_last_24_hours_of_the_log(tenant, client_for, make_audience):
    audience = make_audience("Movers")
    Audience.objects.filter(pk=audience.pk).update(size=10)
    now = timezone.now()
    rows = [(1, True, now), (2, True, now), (3, True, now), (4, False, now), (5, True, now - dt.timedelta(days=2))]
    MembershipChange.objects.bulk_create(
        MembershipChange(audience=audience, mpid=mpid, added=added, at=at) for mpid, added, at in rows
    )
    response = client_for(tenant.marketer).get(LIST)
    row = next(r for r in response.context["table"].rows if r.record.pk == audience.pk)
    assert (row.record.adds_24h, row.record.drops_24h) == (3, 1)
    assert row.get_cell("volatility") == "40.0%"


def test_an_empty_audience_has_no_volatility_and_no_connected_outputs(tenant, client_for, make_audience):
    make_audience("Quiet")
    response = client_for(tenant.marketer).get(LIST)
    row = response.context["table"].rows[0]
    assert row.get_cell("volatility") == "—"
    assert row.get_cell("connected_outputs") == 0


def test_a_calculating_audience_shows_its_progress_and_the_list_refreshes_itself(tenant, client_for, make_audience):
    audience = make_audience("Busy")
    Audience.objects.filter(pk=audience.pk).update(
        calculation_state=CalculationState.CALCULATING, calculation_progress=0.4
    )
    page = client_for(tenant.marketer).get(LIST).content.decode()
    assert "40% calculated" in page
    assert 'hx-trigger="every 2s"' in page


def test_search_by_name_and_filter_by_status(tenant, client_for, make_audience):
    make_audience("Paris lovers")
    active = make_audience("London lovers")
    Audience.objects.filter(pk=active.pk).update(status="active")
    client = client_for(tenant.marketer)
    found = [r.record.name for r in client.get(LIST, {"q": "paris"}).context["table"].rows]
    assert found == ["Paris lovers"]
    found = [r.record.name for r in client.get(LIST, {"status": "active"}).context["table"].rows]
    assert found == ["London lovers"]


def test_filtering_by_several_tags_keeps_audiences_with_all_of_them(tenant, client_for, make_audience):
    both = make_audience("Both", tags=["Retargeting", "Summer"])
    make_audience("Only one", tags=["Retargeting"])
    tags = {t.name: t.pk for t in both.tags.all()}
    response = client_for(tenant.marketer).get(LIST, {"tags": [tags["Retargeting"], tags["Summer"]]})
    assert [r.record.name for r in response.context["table"].rows] == ["Both"]
    response = client_for(tenant.marketer).get(LIST, {"tags": [tags["Retargeting"]]})
    assert sorted(r.record.name for r in response.context["table"].rows) == ["Both", "Only one"]


def test_it_sorts_by_a_metric_column(tenant, client_for, make_audience):
    for name, size in (("Small", 1), ("Large", 100), ("Middle", 10)):
        Audience.objects.filter(pk=make_audience(name).pk).update(size=size)
    response = client_for(tenant.marketer).get(LIST, {"sort": "-size"})
    assert [r.record.name for r in response.context["table"].rows] == ["Large", "Middle", "Small"]


def test_tabs_separate_single_and_multi_workspace_audiences(tenant, client_for, make_audience):
    second = WorkspaceFactory(account=tenant.account, name="Zeta")
    make_audience("Single")
    from audiences import services

    services.create_audience(
        account=tenant.account,
        acting_user=tenant.marketer,
        name="Across",
        workspace_ids=[tenant.workspace.pk, second.pk],
    )
    client = client_for(tenant.marketer)
    assert [r.record.name for r in client.get(LIST).context["table"].rows] == ["Single"]
    assert [r.record.name for r in client.get(LIST, {"tab": "multi"}).context["table"].rows] == ["Across"]
    shared = client.get(LIST, {"tab": "shared"}).content.decode()
    assert "Nothing shared with you yet" in shared


def test_another_accounts_audiences_never_show(tenant, other_tenant, client_for, make_audience):
    from audiences import services

    services.create_audience(
        account=other_tenant.account,
        acting_user=other_tenant.marketer,
        name="Secret plans",
        workspace_ids=[other_tenant.workspace.pk],
    )
    assert "Secret plans" not in client_for(tenant.marketer).get(LIST, {"tab": "multi"}).content.decode()
    assert "Secret plans" not in client_for(tenant.marketer).get(LIST).content.decode()


def test_an_htmx_request_gets_only_the_table(tenant, client_for, make_audience):
    make_audience("Parisians")
    response = client_for(tenant.marketer).get(LIST, {"q": "par"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "Parisians" in body
    assert "<html" not in body and "New Audience" not in body


def test_support_sees_no_edit_controls(tenant, client_for, make_audience):
    make_audience("Parisians")
    page = client_for(tenant.support).get(LIST).content.decode()
    assert "New Audience" not in page
    assert "Clone" not in page and "Add tag" not in page


def _queries(client, **params) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(LIST, params)
        assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_list_costs_the_same_number_of_queries_for_5_or_40_audiences(tenant, client_for, make_audience):
    client = client_for(tenant.marketer)
    for n in range(5):
        make_audience(f"Audience {n:02}", tags=["Alpha", f"T{n}"])
    few = _queries(client)
    for n in range(5, 40):
        audience = make_audience(f"Audience {n:02}", tags=["Alpha", f"T{n}"])
        MembershipChange.objects.create(audience=audience, mpid=n, added=True, at=timezone.now())
    many = _queries(client)
    assert few == many
    assert _queries(client, page=2, sort="-volatility") == many
