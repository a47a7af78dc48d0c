"""The credit ledger (admins grant, support staff read, marketers see the balance where they
spend it), Clone from the Archive, and who may do what."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from audiences import standard
from audiences.models import Audience, StandardState

CREDITS = reverse("audiences:standard_credits")


def test_admins_see_the_balance_and_the_ledger_and_grant_credits(tenant, client_for, grant):
    grant(2)
    client = client_for(tenant.admin)
    page = client.get(CREDITS).content.decode()
    assert "2 credits left" in page and "Grant credits" in page and "+2" in page
    response = client.post(CREDITS, {"amount": "5", "note": "Annual plan"}, follow=True)
    page = response.content.decode()
    assert "Granted 5 credits." in page
    assert "7 credits left" in page and "Annual plan" in page
    assert standard.balance(tenant.account) == 7


def test_a_bad_grant_is_a_form_error_and_changes_nothing(tenant, client_for, grant):
    grant(2)
    client = client_for(tenant.admin)
    for amount in ("", "0", "-3", "lots", "99999999999"):
        response = client.post(CREDITS, {"amount": amount})
        assert response.status_code == 400, amount
        assert response.context["form"].errors["amount"], amount
    assert standard.balance(tenant.account) == 2


def test_support_staff_read_the_ledger_without_granting(tenant, client_for, grant):
    grant(2)
    client = client_for(tenant.support)
    page = client.get(CREDITS).content.decode()
    assert "2 credits left" in page and "Grant credits" not in page
    assert client.post(CREDITS, {"amount": "5"}).status_code == 403
    assert standard.balance(tenant.account) == 2


def test_marketers_do_not_get_the_ledger(tenant, client_for):
    client = client_for(tenant.marketer)
    assert client.get(CREDITS).status_code == 403
    assert client.post(CREDITS, {"amount": "5"}).status_code == 403


def test_the_ledger_shows_only_this_account_with_the_audiences_a_spend_paid_for(
    tenant, other_tenant, client_for, grant, make_standard
):
    grant(3)
    grant(9, account=other_tenant.account, by=other_tenant.admin)
    audience = make_standard("Two years", start=dt.date(2018, 1, 1), end=dt.date(2020, 1, 1))
    standard.start_calculation(tenant.account, [audience], acting_user=tenant.marketer)
    page = client_for(tenant.admin).get(CREDITS).content.decode()
    assert "1 credit left" in page and "-2" in page and "Two years" in page
    assert "+9" not in page


def test_the_ledger_costs_the_same_queries_for_few_or_many_entries(tenant, client_for, grant, make_standard):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(tenant.admin)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(CREDITS).status_code == 200
        return len(captured)

    grant(50)
    standard.start_calculation(tenant.account, [make_standard("A")], acting_user=tenant.marketer)
    few = queries()
    for n in range(10):
        grant(1)
        standard.start_calculation(tenant.account, [make_standard(f"B{n}")], acting_user=tenant.marketer)
    assert queries() == few


def test_clone_makes_a_new_draft_from_an_expired_audience(tenant, client_for, make_standard):
    old = make_standard("Old fans", state=StandardState.EXPIRED, start=dt.date(2023, 1, 1), end=dt.date(2023, 6, 30))
    response = client_for(tenant.marketer).post(reverse("audiences:standard_clone", args=[old.pk]))
    copy = Audience.objects.exclude(pk=old.pk).get()
    assert response.status_code == 302 and response["Location"] == copy.get_absolute_url()
    assert copy.standard_state == StandardState.DRAFT
    assert (copy.range_start, copy.range_end) == (old.range_start, old.range_end)
    assert copy.definition == old.definition
    old.refresh_from_db()
    assert old.standard_state == StandardState.EXPIRED


def test_support_staff_cannot_clone_and_outsiders_get_a_404(tenant, other_tenant, client_for, make_standard):
    old = make_standard("Old fans", state=StandardState.EXPIRED)
    url = reverse("audiences:standard_clone", args=[old.pk])
    assert client_for(tenant.support).post(url).status_code == 403
    assert client_for(other_tenant.marketer).post(url).status_code == 404
    assert Audience.objects.count() == 1


def test_every_standard_page_needs_a_login(db, make_standard, tenant):
    from django.test import Client

    audience = make_standard("Fans", state=StandardState.READY)
    anonymous = Client()
    urls = [
        reverse("audiences:standard_list"),
        reverse("audiences:standard_create"),
        reverse("audiences:standard_calculate"),
        CREDITS,
        reverse("connections:standard_send", args=[audience.pk]),
    ]
    for url in urls:
        response = anonymous.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), url


def test_posts_without_a_csrf_token_are_refused(tenant, make_standard, grant):
    from django.test import Client

    grant(5)
    draft = make_standard("Fans")
    client = Client(enforce_csrf_checks=True)
    client.force_login(tenant.marketer)
    response = client.post(reverse("audiences:standard_calculate"), {"audiences": [draft.pk]})
    assert response.status_code == 403
    assert standard.balance(tenant.account) == 5
