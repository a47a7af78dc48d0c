"""Standard audiences (issue 9): a calculation over 12 months of history beside hand-written SQL.

The data set is `dataset.STANDARD`: 1,000,000 profiles and 50,000,000 events over 365 days,
the days before the account's 30-day real-time window in the monthly long-term tier (as the
roll-up leaves them), built once in `openaudience_bench_standard` and kept.

A standard audience over the data set's last 12 months (at least 3 Play Video events in the
range AND status Premium) is created, credits are granted, and the real service calculates
it: `start_calculation` (spends the credits) then `calculate_standard`, the Celery task's
body, run here in this process and timed. Then the compiled member query, as that
calculation plans it, and a hand-written query for the same members over the same tiers and
range are timed alternately in one database session (engine.compare): counts must be equal
to each other and to the members written; the ratio compares their medians.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

from tests.benchmarks import dataset
from tests.benchmarks.engine import compare, fresh_account, median_ms
from tests.benchmarks.harness import Figure, broker_url

SECTION = "standard"
DATA_SET = dataset.STANDARD
MONTHS_DAYS = 365  # the date range: the data set's last 365 days, its last day included
PLAYS = 3

DEFINITION = {
    "version": 1,
    "criteria": [
        {
            "type": "event",
            "event_type": "custom_event",
            "name": "Play Video",
            "frequency": {"op": "gte", "value": PLAYS},
        },
        {"join": "and", "type": "user_attribute", "key": "status", "op": "equals", "value": "Premium"},
    ],
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(SECTION)
    group.add_argument(
        "--standard-repeats", type=int, default=3, help="timed runs of each query for the ratio (default 3)"
    )


def date_range(ds: dataset.DataSet) -> tuple[dt.date, dt.date]:
    last = ds.now.date()
    return last - dt.timedelta(days=MONTHS_DAYS - 1), last


def hand_sql(ds: dataset.DataSet) -> tuple[str, dict]:
    """What a developer would write: the range's events in every tier a standard audience
    reads (live, historical imports, long-term), same case-insensitive equals."""
    from audiences.models.events import Tier

    first, last = date_range(ds)
    sql = """
        SELECT count(*) FROM audiences_profileworkspace AS pw
        WHERE pw.workspace_id = %(w)s
          AND lower(pw.user_attributes ->> 'status') = 'premium'
          AND pw.mpid IN (
            SELECT e.mpid FROM audiences_event AS e
            WHERE e.account_id = %(a)s AND e.tier = ANY(%(tiers)s) AND e.workspace_id = %(w)s
              AND e.input_id = ANY(%(i)s) AND e.event_type = 'custom_event' AND e.name = 'Play Video'
              AND e."timestamp" >= %(since)s AND e."timestamp" < %(until)s AND e."timestamp" <= %(now)s
            GROUP BY e.mpid HAVING count(*) >= %(plays)s)
    """
    midnight = dt.time(0, tzinfo=dt.UTC)
    return sql, {
        "a": ds.account_id,
        "w": ds.workspace_id,
        "i": ds.input_ids,
        "tiers": [int(Tier.LIVE), int(Tier.HISTORICAL), int(Tier.LONG_TERM)],
        "since": dt.datetime.combine(first, midnight),
        "until": dt.datetime.combine(last + dt.timedelta(days=1), midnight),
        "now": ds.now,
        "plays": PLAYS,
    }


def run(options: argparse.Namespace) -> list[Figure]:
    import redis

    from accounts.models import Account
    from audiences import standard
    from audiences.models import Audience, StandardCalculationState

    ds = dataset.current()
    fresh_account(ds)
    try:
        account = Account.objects.get(pk=ds.account_id)
        first, last = date_range(ds)
        audience = standard.create(
            account=account,
            acting_user=None,
            name="Bench: 12 months of Play Video, Premium",
            workspace_ids=[ds.workspace_id],
            date_range={"start": first.isoformat(), "end": last.isoformat()},
            definition=DEFINITION,
        )
        needed = standard.credits_needed([audience])
        standard.grant_credits(account, needed, acting_user=None, note="benchmark")
        print(f"[{SECTION}] calculating {audience.name} ({first} to {last}, {needed} credit)", flush=True)
        began = time.perf_counter()
        calculation = standard.start_calculation(account, [audience], acting_user=None)
        # The task start_calculation queued: run here instead, so drop it from the bench broker.
        redis.Redis.from_url(broker_url()).flushdb()
        done = standard.calculate_standard(calculation.pk, now=ds.now)
        took = time.perf_counter() - began
        if done is None or done.state != StandardCalculationState.DONE:
            raise RuntimeError(f"the standard calculation did not finish: {done and done.error}")
        audience = Audience.objects.get(pk=audience.pk)
        times, members = compare(audience, ds, hand_sql(ds), options.standard_repeats)
        if members != audience.size:
            raise RuntimeError(f"the calculation wrote {audience.size} members, the queries count {members}")
    finally:
        fresh_account(ds)
    hand_ms = median_ms(times["hand"])
    figures = [
        Figure(
            SECTION,
            f"standard calculation: >= {PLAYS} Play Video in 12 months AND status Premium",
            f"{took:.1f} s",
            f"{members:,} members written; start_calculation + calculate_standard, {needed} credit; "
            f"{ds.events:,} events, {ds.profiles:,} profiles",
        )
    ]
    for name, how in (("engine", "as calculations plan it"), ("default", "PostgreSQL's default plan")):
        figures.append(
            Figure(
                SECTION,
                f"  compiled member query ({how}) vs hand-written SQL",
                f"{median_ms(times[name]):,.0f} ms vs {hand_ms:,.0f} ms",
                f"ratio {median_ms(times[name]) / hand_ms:.2f} (aim <= 1.5); medians of {options.standard_repeats}, "
                "same session, counts equal",
            )
        )
    return figures
