"""Events land in the partitioned table; a live day past the real-time window moves whole into
the long-term history, which (with historical imports) is dropped a month at a time past the
long-term retention; live ingestion drops what is already past the window and says so."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from audiences.models import Event, EventPartition
from audiences.models.events import Tier
from audiences.partitions import drop_expired, table_name
from audiences.tasks import drop_expired_events, prepare_event_partitions
from tests.events_api.conftest import retention

committed = pytest.mark.django_db(transaction=True)


def ms(when: dt.datetime) -> int:
    return int(when.timestamp() * 1000)


def batch(*times: dt.datetime, email: str = "ada@example.com") -> dict:
    return {
        "user_identities": {"email": email},
        "events": [
            {"event_type": "custom_event", "data": {"event_name": f"Day {n}", "timestamp_unixtime_ms": ms(when)}}
            for n, when in enumerate(times)
        ],
    }


def partitions_in_database() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'audiences_event'::regclass"
        )
        return {name for (name,) in cursor.fetchall()}


def tables_holding_events() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text, count(*) FROM audiences_event GROUP BY 1")
        return dict(cursor.fetchall())


@pytest.fixture
def now() -> dt.datetime:
    # Midday, so that "n days ago" never straddles a partition boundary by a few seconds.
    return timezone.now().replace(hour=12, minute=0, second=0, microsecond=0)


@committed
def test_events_land_in_daily_partitions_of_their_account(post, tenant, now):
    response = post("/v2/events", batch(now, now - dt.timedelta(days=3), now - dt.timedelta(days=3, hours=1)))

    assert response.status_code == 202
    expected = {
        table_name(tenant.account.pk, Tier.LIVE, now.date()): 1,
        table_name(tenant.account.pk, Tier.LIVE, (now - dt.timedelta(days=3)).date()): 2,
    }
    assert tables_holding_events() == expected
    assert set(expected) <= partitions_in_database()
    listed = set(EventPartition.objects.filter(account=tenant.account).values_list("table_name", flat=True))
    assert set(expected) <= listed


@committed
def test_expired_partitions_are_dropped_whole_per_account_retention(post, tenant, other_tenant, now):
    retention(other_tenant.account, 90)
    assert post("/v2/events", batch(now - dt.timedelta(days=1), now - dt.timedelta(days=10))).status_code == 202
    theirs = batch(now - dt.timedelta(days=10), email="grace@example.com")
    assert post("/v2/events", theirs, source=other_tenant.input, secret=other_tenant.secret).status_code == 202
    old = now - dt.timedelta(days=400)
    imported = post("/v2/bulkevents/historical", [batch(old, old - dt.timedelta(days=40))])
    assert imported.json() == {"batches": 1, "events": 2}
    ten_days_ago = table_name(tenant.account.pk, Tier.LIVE, (now - dt.timedelta(days=10)).date())
    assert ten_days_ago in partitions_in_database()

    # 25 days on, ours (30-day retention) is 35 days old; theirs (90 days) is kept.
    dropped = drop_expired(now=now + dt.timedelta(days=25))

    assert dropped == [ten_days_ago]
    assert ten_days_ago not in partitions_in_database()
    assert not EventPartition.objects.filter(table_name=ten_days_ago).exists()
    ours = Event.objects.filter(account_id=tenant.account.pk)
    assert sorted(ours.filter(tier=Tier.LIVE).values_list("timestamp", flat=True)) == [now - dt.timedelta(days=1)]
    assert sorted(ours.filter(tier=Tier.HISTORICAL).values_list("timestamp", flat=True)) == [
        old - dt.timedelta(days=40),
        old,
    ]
    assert Event.objects.filter(account_id=other_tenant.account.pk).count() == 1


@committed
def test_the_scheduled_task_drops_expired_partitions(post, tenant, now):
    assert post("/v2/events", batch(now - dt.timedelta(days=20), now)).status_code == 202

    with time_machine.travel(now + dt.timedelta(days=15), tick=False):
        dropped = drop_expired_events.apply().get()

    assert dropped == [table_name(tenant.account.pk, Tier.LIVE, (now - dt.timedelta(days=20)).date())]
    assert sorted(Event.objects.values_list("tier", "timestamp")) == [
        (Tier.LIVE, now),
        (Tier.LONG_TERM, now - dt.timedelta(days=20)),
    ]


@committed
def test_live_days_past_the_window_move_into_monthly_long_term_partitions(post, tenant, now):
    days = [now - dt.timedelta(days=n) for n in (1, 20, 21, 25)]
    assert post("/v2/events", batch(*days)).status_code == 202
    ids = sorted(Event.objects.values_list("id", flat=True))

    moved = drop_expired(now=now + dt.timedelta(days=15))

    assert len(moved) == 3
    rows = sorted(Event.objects.values_list("tier", "timestamp", "name"))
    assert rows == [
        (Tier.LIVE, days[0], "Day 0"),
        *sorted((Tier.LONG_TERM, day, f"Day {n}") for n, day in enumerate(days) if n),
    ]
    assert sorted(Event.objects.values_list("id", flat=True)) == ids  # the same rows, moved
    months = {partitions_span(day) for day in days[1:]}
    assert set(tables_holding_events()) == {table_name(tenant.account.pk, Tier.LIVE, days[0].date())} | {
        table_name(tenant.account.pk, Tier.LONG_TERM, month) for month in months
    }


def partitions_span(when: dt.datetime) -> dt.date:
    return when.date().replace(day=1)


@committed
def test_long_term_history_and_imports_go_a_month_at_a_time_past_the_long_term_retention(post, tenant, now):
    old = now - dt.timedelta(days=500)
    recent = now - dt.timedelta(days=300)
    assert post("/v2/bulkevents/historical", [batch(old, recent)]).json() == {"batches": 1, "events": 2}
    tenant.account.long_term_retention_days = 365  # the account keeps one year from now on
    tenant.account.save(update_fields=["long_term_retention_days"])
    assert post("/v2/events", batch(now - dt.timedelta(days=20))).status_code == 202

    gone = drop_expired(now=now + dt.timedelta(days=15))

    assert gone == [
        table_name(tenant.account.pk, Tier.LIVE, (now - dt.timedelta(days=20)).date()),  # moved
        table_name(tenant.account.pk, Tier.HISTORICAL, old.date().replace(day=1)),  # dropped
    ]
    assert sorted(Event.objects.values_list("timestamp", flat=True)) == [recent, now - dt.timedelta(days=20)]

    # A year on, the long-term month and the import of 300 days ago are past retention too.
    drop_expired(now=now + dt.timedelta(days=400))
    assert not Event.objects.exists()


@committed
def test_dropped_partitions_can_be_needed_again_after_retention_grows(post, tenant, now):
    assert post("/v2/events", batch(now - dt.timedelta(days=20))).status_code == 202
    drop_expired(now=now + dt.timedelta(days=15))
    retention(tenant.account, 60)

    response = post("/v2/events", batch(now - dt.timedelta(days=20, hours=1)))

    assert response.json() == {"batches": 1, "events": 1}
    assert Event.objects.filter(tier=Tier.LIVE).count() == 1


@committed
def test_the_scheduled_task_prepares_the_next_days(tenant, other_tenant, now):
    with time_machine.travel(now, tick=False):
        prepare_event_partitions.apply().get()

    for account in (tenant.account, other_tenant.account):
        for days in range(3):
            name = table_name(account.pk, Tier.LIVE, (now + dt.timedelta(days=days)).date())
            assert name in partitions_in_database()
            assert EventPartition.objects.filter(account=account, table_name=name).exists()


@pytest.mark.django_db
def test_live_ingestion_drops_events_past_retention_and_says_how_many(post, tenant, now):
    retention(tenant.account, 7)

    live = post("/v2/events", batch(now, now - dt.timedelta(days=8), now - dt.timedelta(days=30)))
    bulk = post("/v2/bulkevents", [batch(now - dt.timedelta(days=9))])
    historical = post("/v2/bulkevents/historical", [batch(now - dt.timedelta(days=30))])
    future = post("/v2/events", batch(now + dt.timedelta(days=3)))

    assert live.status_code == 202
    assert live.json() == {"batches": 1, "events": 1, "dropped_too_old": 2}
    assert bulk.json() == {"batches": 1, "events": 0, "dropped_too_old": 1}
    assert historical.json() == {"batches": 1, "events": 1}
    assert future.json() == {"batches": 1, "events": 0, "dropped_future": 1}
    ancient = post("/v2/bulkevents/historical", [batch(now - dt.timedelta(days=731))])
    assert ancient.json() == {"batches": 1, "events": 0, "dropped_too_old": 1}  # past the 2 years kept
    stored = sorted(Event.objects.values_list("tier", "timestamp"))
    assert stored == [(Tier.LIVE, now), (Tier.HISTORICAL, now - dt.timedelta(days=30))]


@committed
def test_two_sweeps_at_once_move_each_day_once_and_both_finish(post, tenant, now):
    import threading

    days = [now - dt.timedelta(days=n) for n in range(20, 28)]
    assert post("/v2/events", batch(*days)).status_code == 202
    ids = sorted(Event.objects.values_list("id", flat=True))
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def sweep() -> None:
        barrier.wait()
        try:
            drop_expired(now=now + dt.timedelta(days=15))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(Event.objects.values_list("id", flat=True)) == ids  # each event once, none lost
    assert set(Event.objects.values_list("tier", flat=True)) == {Tier.LONG_TERM}
