"""Calculation credits: what a calculation costs, the balance that never goes below zero, and
the ledger of grants, spends and refunds."""

from __future__ import annotations

import datetime as dt

import hypothesis
import pytest
import time_machine
from django.db import IntegrityError, transaction
from hypothesis import strategies as st

from accounts.models import Account
from audiences import services, standard
from audiences.models import Audience, CreditEntry, StandardCalculation, StandardState
from tests.standard.helpers import PLAYED, draft, give_credits, store_events

pytestmark = pytest.mark.django_db


def test_one_audience_over_two_years_costs_two_credits(tenant):
    audience = draft(tenant, {"start": "2018-01-01", "end": "2020-01-01"})

    assert standard.credits_needed([audience]) == 2


def test_three_audiences_over_the_same_year_cost_one_credit_together(tenant):
    audiences = [draft(tenant, {"start": "2019-01-01", "end": "2019-12-31"}, name=f"A{n}") for n in range(3)]

    assert standard.credits_needed(audiences) == 1


@pytest.mark.parametrize(
    ("ranges", "credits"),
    [
        ([("2019-06-01", "2019-06-01")], 1),  # a single day still costs a credit
        ([("2020-01-01", "2020-12-31")], 1),  # a leap year is one year
        ([("2019-01-01", "2020-01-02")], 2),  # a year and a day
        ([("2018-01-01", "2018-12-31"), ("2018-07-01", "2019-06-30")], 2),  # overlap counted once
        ([("2017-01-01", "2017-03-01"), ("2019-01-01", "2019-03-01")], 1),  # disjoint: their days add
        ([("2015-01-01", "2015-12-31"), ("2019-01-01", "2019-12-31")], 2),
        # Two leap years: 732 days, yet never more together than the 1 + 1 they cost apart.
        ([("2020-01-01", "2020-12-31"), ("2024-01-01", "2024-12-31")], 2),
    ],
)
def test_credits_count_the_union_of_the_date_ranges(tenant, ranges, credits):
    audiences = [draft(tenant, {"start": a, "end": b}, name=f"A{n}") for n, (a, b) in enumerate(ranges)]

    assert standard.credits_needed(audiences) == credits


@time_machine.travel("2026-06-30 12:00Z", tick=False)
def test_most_recent_ends_today_and_all_data_starts_at_the_oldest_event(tenant):
    recent = draft(tenant, {"start": "2025-06-01", "end": "most_recent"})
    assert standard.credits_needed([recent]) == 2  # 2025-06-01..2026-06-30 is over a year

    everything = draft(tenant, {"all": True}, name="All")
    assert standard.credits_needed([everything]) == 1  # nothing stored yet: today only

    store_events(tenant, [(1, "Play Video", dt.datetime(2025, 3, 1, 9, tzinfo=dt.UTC))])
    assert standard.credits_needed([everything]) == 2  # 2025-03-01 to today

    # History older than the long-term retention does not count: it is about to go.
    Account.objects.filter(pk=tenant.account.pk).update(long_term_retention_days=365)
    everything.refresh_from_db()
    assert standard.credits_needed([everything]) == 1


@time_machine.travel("2026-06-30 12:00Z", tick=False)
def test_days_after_today_cost_nothing(tenant):
    # 2025-09-01 to 2026-12-31 is over a year, but only the ten months to today hold data.
    through_year_end = draft(tenant, {"start": "2025-09-01", "end": "2026-12-31"})

    assert standard.credits_needed([through_year_end]) == 1


def test_starting_a_calculation_spends_its_credits_and_records_them(tenant):
    give_credits(tenant, 5)
    audiences = [draft(tenant, {"start": "2018-01-01", "end": "2020-01-01"}, name=f"A{n}") for n in range(2)]

    calculation = standard.start_calculation(tenant.account, audiences, acting_user=tenant.marketer)

    assert calculation.credits == 2
    assert standard.balance(tenant.account) == 3
    spend = CreditEntry.objects.get(reason="spend")
    assert (spend.change, spend.balance_after, spend.calculation, spend.by) == (-2, 3, calculation, tenant.marketer)
    for audience in audiences:
        audience.refresh_from_db()
        assert audience.standard_state == StandardState.CALCULATING


def test_too_few_credits_is_refused_and_spends_nothing(tenant):
    give_credits(tenant, 1)
    audience = draft(tenant, {"start": "2018-01-01", "end": "2020-01-01"})

    with pytest.raises(standard.StandardRefused) as refused:
        standard.start_calculation(tenant.account, [audience], acting_user=tenant.marketer)

    assert refused.value.status == 409
    assert refused.value.errors == [
        {"path": "credits", "message": "this needs 2 credits and the account has 1: ask an admin for more credits"}
    ]
    assert standard.balance(tenant.account) == 1
    assert CreditEntry.objects.filter(reason="spend").count() == 0
    assert not StandardCalculation.objects.exists()
    audience.refresh_from_db()
    assert audience.standard_state == StandardState.DRAFT


def test_a_failed_calculation_refunds_its_credits_and_returns_the_drafts_with_the_reason(tenant):
    give_credits(tenant, 3)
    audience = draft(tenant, {"start": "2019-01-01", "end": "2019-12-31"})
    nested = draft(
        tenant,
        {"start": "2019-01-01", "end": "2019-12-31"},
        name="Nested",
        definition={"version": 1, "criteria": [{"type": "audience", "audience_id": audience.pk}]},
    )
    calculation = standard.start_calculation(tenant.account, [audience, nested], acting_user=tenant.marketer)
    # Deleted meanwhile (by a path that does not check nesting): the criterion points nowhere.
    Audience.objects.filter(pk=audience.pk).delete()

    standard.calculate_standard(calculation.pk)

    calculation.refresh_from_db()
    nested.refresh_from_db()
    assert calculation.state == "failed"
    assert standard.balance(tenant.account) == 3
    refund = CreditEntry.objects.get(reason="refund")
    assert (refund.change, refund.balance_after, refund.calculation) == (1, 3, calculation)
    assert nested.standard_state == StandardState.DRAFT
    assert nested.calculation_error.startswith("The calculation failed and its credits were returned: ")
    assert calculation.error in nested.calculation_error
    assert (
        calculation.error
        == f"definition.criteria[0].audience_id: audience {audience.pk} does not exist in this account"
    )


def test_only_drafts_with_criteria_of_this_account_are_calculated(tenant, other_tenant):
    give_credits(tenant, 10)
    empty = draft(tenant, {"start": "2019-01-01", "end": "2019-12-31"}, name="Empty", definition=None)
    theirs = draft(other_tenant, {"start": "2019-01-01", "end": "2019-12-31"}, name="Theirs")

    with pytest.raises(standard.StandardRefused) as refused:
        standard.start_calculation(tenant.account, [empty, theirs], acting_user=tenant.marketer)

    assert refused.value.errors == [
        {
            "path": "audience_ids[0]",
            "message": "Empty cannot be calculated: definition: the audience has no criteria yet",
        },
        {"path": "audience_ids[1]", "message": "no such audience in this account"},
    ]
    assert standard.balance(tenant.account) == 10
    with pytest.raises(standard.StandardRefused):
        standard.start_calculation(tenant.account, [], acting_user=tenant.marketer)


def test_an_audience_already_calculating_is_not_paid_for_twice(tenant):
    give_credits(tenant, 10)
    audience = draft(tenant, {"start": "2019-01-01", "end": "2019-12-31"})
    standard.start_calculation(tenant.account, [audience], acting_user=tenant.marketer)

    with pytest.raises(standard.StandardRefused) as refused:
        standard.start_calculation(tenant.account, [audience], acting_user=tenant.marketer)

    assert "Calculating, not a draft" in refused.value.errors[0]["message"]
    assert standard.balance(tenant.account) == 9


def test_grants_and_take_backs_never_leave_the_balance_below_zero(tenant):
    give_credits(tenant, 4)
    standard.grant_credits(tenant.account, -3, acting_user=tenant.admin, note="typo")

    with pytest.raises(standard.StandardRefused) as refused:
        standard.grant_credits(tenant.account, -2, acting_user=tenant.admin)
    assert refused.value.errors[0]["path"] == "change"
    for bad in (0, 1.5, "3", True, 10**9):
        with pytest.raises(standard.StandardRefused):
            standard.grant_credits(tenant.account, bad, acting_user=tenant.admin)

    assert standard.balance(tenant.account) == 1
    assert [(e.reason, e.change, e.balance_after) for e in standard.ledger(tenant.account)] == [
        ("grant", -3, 1),
        ("grant", 4, 4),
    ]


def test_the_database_itself_refuses_a_negative_balance(tenant):
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=tenant.account.pk).update(credit_balance=-1)


@pytest.mark.django_db(transaction=True)
def test_two_calculations_started_at_once_cannot_both_spend_the_last_credits(tenant):
    import threading

    from django.db import connection as db

    give_credits(tenant, 1)
    drafts = [draft(tenant, {"start": "2019-01-01", "end": "2019-12-31"}, name=f"A{n}") for n in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def start(audience) -> None:
        barrier.wait()
        try:
            standard.start_calculation(tenant.account, [audience], acting_user=tenant.marketer)
            outcomes.append("started")
        except standard.StandardRefused:
            outcomes.append("refused")
        finally:
            db.close()

    threads = [threading.Thread(target=start, args=(a,)) for a in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["refused", "started"]
    assert standard.balance(tenant.account) == 0
    assert CreditEntry.objects.filter(reason="spend").count() == 1


def test_admins_grant_credits_in_django_admin_through_the_ledger(tenant, client):
    from django.contrib.auth import get_user_model

    superuser = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(superuser)

    added = client.post(
        "/admin/audiences/creditentry/add/", {"account": tenant.account.pk, "change": 7, "note": "annual plan"}
    )

    assert added.status_code == 302
    assert standard.balance(tenant.account) == 7
    entry = CreditEntry.objects.get()
    assert (entry.reason, entry.change, entry.balance_after, entry.by, entry.note) == (
        "grant",
        7,
        7,
        superuser,
        "annual plan",
    )
    refused = client.post("/admin/audiences/creditentry/add/", {"account": tenant.account.pk, "change": -9, "note": ""})
    assert refused.status_code == 200
    assert "Acme has 7 credits; it cannot go below zero." in refused.content.decode()
    assert standard.balance(tenant.account) == 7
    assert CreditEntry.objects.count() == 1
    assert client.get("/admin/audiences/creditentry/").status_code == 200
    assert client.get("/admin/audiences/standardcalculation/").status_code == 200


def test_an_edit_saved_from_a_page_loaded_before_calculate_neither_undoes_nor_changes_the_calculation(tenant):
    give_credits(tenant, 2)
    on_the_page = draft(tenant, {"start": "2019-01-01", "end": "2019-12-31"})
    standard.start_calculation(tenant.account, [Audience.objects.get(pk=on_the_page.pk)], acting_user=tenant.marketer)

    # The builder still holds the draft it loaded: its criteria are refused, a new name is kept.
    with pytest.raises(services.AudienceRefused) as refused:
        services.update_audience(on_the_page, acting_user=tenant.marketer, definition=PLAYED)
    assert refused.value.errors[0]["path"] == "definition"
    services.update_audience(on_the_page, acting_user=tenant.marketer, name="Renamed")

    stored = Audience.objects.get(pk=on_the_page.pk)
    assert (stored.name, stored.standard_state) == ("Renamed", StandardState.CALCULATING)
    # Still calculating, so a second Calculate is refused and nothing more is spent.
    with pytest.raises(standard.StandardRefused):
        standard.start_calculation(tenant.account, [stored], acting_user=tenant.marketer)
    assert standard.balance(tenant.account) == 1


closed_ranges = st.lists(
    st.tuples(st.dates(dt.date(2015, 1, 1), dt.date(2025, 12, 31)), st.integers(0, 800)),
    min_size=1,
    max_size=5,
)


@hypothesis.settings(max_examples=300, deadline=None)
@hypothesis.given(ranges=closed_ranges)
def test_calculating_together_never_costs_more_than_apart_nor_less_than_any_one(ranges):
    audiences = [
        Audience(kind="standard", range_start=first, range_end=first + dt.timedelta(days=n)) for first, n in ranges
    ]
    together = standard.credits_needed(audiences)

    assert together <= sum(standard.credits_needed([a]) for a in audiences)
    assert together >= max(standard.credits_needed([a]) for a in audiences)
