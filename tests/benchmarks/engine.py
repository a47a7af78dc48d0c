"""Criteria engine (issue 4): exact calculation beside hand-written SQL, estimate latency and
accuracy, on the generated data set (1,000,000 profiles, 10,000,000 events).

Calculation: the tutorial audience (Play Video with category Destination Intro and
destination Paris in the last 3 days, AND status Premium) and a 6-criterion audience (or,
and, exclude, a device criterion and a nested audience). For each, `calculate()` runs once
on an empty audience (it writes every member and its add to the change log) and once more
(nothing changed: it writes nothing); then the compiled member query and a hand-written query
for the same members are timed alternately in the same database session, and must count the
same members. The ratio compares their medians.

Estimates: 100 definitions drawn from templates covering most criterion types (seeded), each
estimated once through `estimate()` as the builder does; then the true size of every
definition is counted exactly, and for those above 1% of the profiles the estimate's
relative error is reported.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from tests.benchmarks import dataset
from tests.benchmarks.harness import Figure

SECTION = "engine"
DATA_SET = True

NESTED = {
    "version": 1,
    "criteria": [{"type": "user_attribute_list", "key": "favourite_genres", "op": "includes", "value": "Travel"}],
}


def six_criteria(nested_id: int) -> dict:
    return {
        "version": 1,
        "criteria": [
            {
                "type": "event",
                "event_type": "custom_event",
                "name": "Play Video",
                "frequency": {"op": "gte", "value": 2},
                "time": {"within_days": 7},
            },
            {
                "join": "or",
                "type": "event",
                "event_type": "commerce_event",
                "name": "add_to_cart",
                "time": {"within_days": 14},
            },
            {"join": "and", "type": "user_attribute", "key": "status", "op": "not_equals", "value": "Free"},
            {
                "join": "exclude",
                "type": "event",
                "event_type": "commerce_event",
                "name": "purchase",
                "time": {"within_days": 14},
            },
            {"join": "and", "type": "device", "field": "platform", "op": "equals", "value": "iOS"},
            {"join": "and", "type": "audience", "audience_id": nested_id},
        ],
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(SECTION)
    group.add_argument("--estimates", type=int, default=100, help="estimates of varied definitions (default 100)")
    group.add_argument("--repeats", type=int, default=5, help="timed runs of each query for the ratio (default 5)")
    group.add_argument(
        "--accuracy-checks", type=int, default=100, help="at most this many exact counts for the accuracy (default 100)"
    )


# -- hand-written queries -------------------------------------------------------------------------


def tutorial_sql(ds: dataset.DataSet) -> tuple[str, list]:
    """What a developer would write for the tutorial audience (same case-insensitive equals)."""
    sql = """
        SELECT count(*) FROM audiences_profileworkspace AS pw
        WHERE pw.workspace_id = %(w)s
          AND lower(pw.user_attributes ->> 'status') = 'premium'
          AND EXISTS (
            SELECT 1 FROM audiences_event AS e
            WHERE e.account_id = %(a)s AND e.tier = 0 AND e.workspace_id = %(w)s
              AND e.input_id = ANY(%(i)s) AND e.event_type = 'custom_event' AND e.name = 'Play Video'
              AND e."timestamp" >= %(since)s AND e."timestamp" <= %(now)s
              AND lower(e.attributes ->> 'category') = 'destination intro'
              AND lower(e.attributes ->> 'destination') = 'paris'
              AND e.mpid = pw.mpid)
    """
    return sql, _params(ds, days=3)


def six_sql(ds: dataset.DataSet, nested_id: int) -> tuple[str, list]:
    sql = """
        WITH plays AS (
            SELECT e.mpid FROM audiences_event AS e
            WHERE e.account_id = %(a)s AND e.tier = 0 AND e.workspace_id = %(w)s AND e.input_id = ANY(%(i)s)
              AND e.event_type = 'custom_event' AND e.name = 'Play Video'
              AND e."timestamp" >= %(week)s AND e."timestamp" <= %(now)s
            GROUP BY e.mpid HAVING count(*) >= 2
        ), carts AS (
            SELECT DISTINCT e.mpid FROM audiences_event AS e
            WHERE e.account_id = %(a)s AND e.tier = 0 AND e.workspace_id = %(w)s AND e.input_id = ANY(%(i)s)
              AND e.event_type = 'commerce_event' AND e.name = 'add_to_cart'
              AND e."timestamp" >= %(since)s AND e."timestamp" <= %(now)s
        ), buyers AS (
            SELECT DISTINCT e.mpid FROM audiences_event AS e
            WHERE e.account_id = %(a)s AND e.tier = 0 AND e.workspace_id = %(w)s AND e.input_id = ANY(%(i)s)
              AND e.event_type = 'commerce_event' AND e.name = 'purchase'
              AND e."timestamp" >= %(since)s AND e."timestamp" <= %(now)s
        )
        SELECT count(*) FROM audiences_profileworkspace AS pw
        JOIN audiences_member AS m ON m.audience_id = %(nested)s AND m.mpid = pw.mpid
        WHERE pw.workspace_id = %(w)s
          AND (pw.mpid IN (SELECT mpid FROM plays) OR pw.mpid IN (SELECT mpid FROM carts))
          AND lower(pw.user_attributes ->> 'status') IS DISTINCT FROM 'free'
          AND pw.mpid NOT IN (SELECT mpid FROM buyers)
          AND lower(pw.device ->> 'platform') = 'ios'
    """
    import datetime as dt

    params = _params(ds, days=14)
    params["week"] = ds.now - dt.timedelta(days=7)
    params["nested"] = nested_id
    return sql, params


def _params(ds: dataset.DataSet, days: int) -> dict:
    import datetime as dt

    return {
        "a": ds.account_id,
        "w": ds.workspace_id,
        "i": ds.input_ids,
        "since": ds.now - dt.timedelta(days=days),
        "now": ds.now,
    }


# -- estimate definitions -------------------------------------------------------------------------


def _criterion(rng: random.Random) -> dict:
    """One criterion from a template with random parameters."""
    days = rng.choice([1, 3, 7, 14, 30])
    kind = rng.randrange(14)
    if kind == 0:
        return {"type": "user_attribute", "key": "status", "op": "equals", "value": rng.choice(["Premium", "Free"])}
    if kind == 1:
        attributes = [{"key": "category", "op": "equals", "value": rng.choice(["Destination Intro", "Highlights"])}]
        if rng.random() < 0.5:
            attributes.append({"key": "destination", "op": "equals", "value": rng.choice(["Paris", "Rome", "Tokyo"])})
        return {
            "type": "event",
            "event_type": "custom_event",
            "name": "Play Video",
            "attributes": attributes,
            "time": {"within_days": days},
        }
    if kind == 2:
        return {
            "type": "event",
            "event_type": "custom_event",
            "name": "Play Video",
            "frequency": {"op": rng.choice(["gte", "lt"]), "value": rng.choice([1, 2, 3, 5])},
            "time": {"within_days": days},
        }
    if kind == 3:
        screen = rng.choice(["Home", "Search", "Player"])
        return {"type": "event", "event_type": "screen_view", "name": screen, "time": {"within_days": days}}
    if kind == 4:
        return {
            "type": "event",
            "event_type": "session_start",
            "frequency": {"op": rng.choice(["gte", "lte"]), "value": rng.choice([1, 2, 4])},
            "time": {"between_days_ago": [days + 7, days]},
        }
    if kind == 5:
        name = rng.choice(["add_to_cart", "purchase"])
        return {"type": "event", "event_type": "commerce_event", "name": name, "time": {"within_days": days}}
    if kind == 6:
        return {"type": "cart_abandonment", "wait_hours": rng.choice([1, 24]), "time": {"within_days": days}}
    if kind == 7:
        return {
            "type": "location",
            "mode": "equals",
            "field": "city",
            "value": rng.choice(["Paris", "London", "Tokyo"]),
        }
    if kind == 8:
        return {"type": "device", "field": "platform", "op": "equals", "value": rng.choice(["iOS", "Android"])}
    if kind == 9:
        low = rng.randrange(18, 60)
        return {
            "type": "user_attribute",
            "key": "age",
            "op": "between",
            "value": low,
            "value2": low + rng.choice([5, 20]),
        }
    if kind == 10:
        genre = rng.choice(["Travel", "Food", "Sport"])
        return {"type": "user_attribute_list", "key": "favourite_genres", "op": "includes", "value": genre}
    if kind == 11:
        return {"type": "consent", "regulation": "gdpr", "purpose": "marketing", "consented": rng.random() < 0.5}
    if kind == 12:
        return {"type": "first_seen", "time": {"within_days": rng.choice([7, 30, 60])}}
    return {"type": "attribution", "event": "install", "publisher": {"op": "equals", "value": "Meta"}}


def definitions(count: int, seed: int) -> list[dict]:
    rng = random.Random(seed * 7919)
    found = []
    for _ in range(count):
        criteria = [_criterion(rng) for _ in range(rng.choice([1, 1, 2, 2, 3]))]
        for criterion in criteria[1:]:
            criterion["join"] = rng.choice(["and", "and", "or", "exclude"])
        found.append({"version": 1, "criteria": criteria})
    return found


# -- the run --------------------------------------------------------------------------------------


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def timed_count(sql: str, params, *, engine_account: int | None = None) -> tuple[int, float]:
    """Run a count; with `engine_account`, under the planner settings the engine's full
    calculations use for that account (see `set_based_plans` and `statistics_known`)."""
    from django.db import connection, transaction

    from audiences.criteria.compiler import set_based_plans, statistics_known

    with transaction.atomic(), connection.cursor() as cursor:
        if engine_account is None:
            began = time.perf_counter()
            cursor.execute(sql, params)
            found = cursor.fetchone()[0]
        else:
            trusted = statistics_known(cursor, engine_account)
            began = time.perf_counter()
            with set_based_plans(cursor, trust_statistics=trusted):
                cursor.execute(sql, params)
                found = cursor.fetchone()[0]
        return found, time.perf_counter() - began


def compare(audience, ds: dataset.DataSet, hand: tuple[str, dict], repeats: int) -> tuple[dict, int]:
    """Time, alternately in one session, the compiled member query as calculations run it (the
    engine's planner settings), the same query as PostgreSQL plans it by default, and the
    hand-written one; answer the timings by name and the member count (checked equal)."""
    from audiences.calculation import prepare
    from audiences.criteria.compiler import compile_definition

    definition, scope = prepare(audience)
    members_sql, params = compile_definition(definition, scope, now=ds.now).members()
    compiled_sql = f"SELECT count(*) FROM ({members_sql}) AS members"
    runs = {
        "engine": lambda: timed_count(compiled_sql, params, engine_account=ds.account_id),
        "default": lambda: timed_count(compiled_sql, params),
        "hand": lambda: timed_count(*hand),
    }
    times: dict[str, list[float]] = {name: [] for name in runs}
    counts = set()
    for _ in range(repeats):
        for name, run in runs.items():
            found, took = run()
            times[name].append(took)
            counts.add(found)
    if len(counts) != 1:
        raise RuntimeError(f"the compiled and the hand-written queries disagree: {sorted(counts)}")
    return times, counts.pop()


def fresh_account(ds: dataset.DataSet) -> None:
    """Remove every audience an earlier run left in the data set's account."""
    from audiences.models import Audience
    from connections.models import Connection
    from outputs.models import OutputConfiguration

    Connection.objects.filter(audience__account_id=ds.account_id).delete()
    OutputConfiguration.objects.filter(account_id=ds.account_id).delete()
    Audience.objects.filter(account_id=ds.account_id).delete()


def make_audience(ds: dataset.DataSet, name: str, definition: dict):
    from accounts.models import Account
    from audiences import services

    audience = services.create_audience(
        account=Account.objects.get(pk=ds.account_id),
        acting_user=None,
        name=name,
        workspace_ids=[ds.workspace_id],
        definition=definition,
    )
    audience.status = "active"
    audience.save(update_fields=["status"])
    return audience


def calculation_figures(ds: dataset.DataSet, options: argparse.Namespace) -> list[Figure]:
    from audiences.calculation import calculate

    figures = []
    from audiences.demo.realtime import TUTORIAL  # the demo's; models load after use_dataset()

    tutorial = make_audience(ds, "Bench: tutorial", TUTORIAL)
    nested = make_audience(ds, "Bench: travel fans", NESTED)
    calculate(nested, now=ds.now)
    six = make_audience(ds, "Bench: six criteria", six_criteria(nested.pk))
    cases = [
        (
            "tutorial audience (Play Video, category + destination, 3 days; AND status Premium)",
            tutorial,
            tutorial_sql(ds),
        ),
        ("6 criteria (or, and not_equals, exclude, device, nested audience)", six, six_sql(ds, nested.pk)),
    ]
    for label, audience, hand in cases:
        print(f"[{SECTION}] calculating {audience.name}", flush=True)
        began = time.perf_counter()
        changes = calculate(audience, now=ds.now)
        first = time.perf_counter() - began
        began = time.perf_counter()
        again = calculate(audience, now=ds.now)
        second = time.perf_counter() - began
        if again.changed or changes.dropped:
            raise RuntimeError(f"recalculating {audience.name} changed something: {again}")
        times, members = compare(audience, ds, hand, options.repeats)
        if members != changes.added:
            raise RuntimeError(f"calculate() added {changes.added} members, the queries count {members}")
        hand_ms = median_ms(times["hand"])
        figures.append(
            Figure(
                SECTION,
                f"calculate(): {label}",
                f"{first:.2f} s",
                f"{members:,} members written; recalculation with nothing changed {second:.2f} s",
            )
        )
        for name, how in (("engine", "as calculations plan it"), ("default", "PostgreSQL's default plan")):
            figures.append(
                Figure(
                    SECTION,
                    f"  compiled member query ({how}) vs hand-written SQL",
                    f"{median_ms(times[name]):,.0f} ms vs {hand_ms:,.0f} ms",
                    f"ratio {median_ms(times[name]) / hand_ms:.2f} (aim <= 1.5); medians of {options.repeats}, "
                    "same session, counts equal",
                )
            )
    return figures


def estimate_figures(ds: dataset.DataSet, options: argparse.Namespace) -> list[Figure]:
    from audiences.criteria.compiler import compile_definition
    from audiences.criteria.datatypes import resolve_types
    from audiences.criteria.definition import parse_definition
    from audiences.criteria.scope import Scope
    from audiences.estimator import DEFAULT_SAMPLING, estimate

    scope = Scope(account_id=ds.account_id, workspace_ids=(ds.workspace_id,), input_ids=tuple(ds.input_ids))
    chosen = definitions(options.estimates, options.seed)
    estimate(chosen[0], scope, now=ds.now)  # warm-up: imports, catalogue, plans
    print(f"[{SECTION}] {len(chosen)} estimates", flush=True)
    latencies, answers = [], []
    for definition in chosen:
        began = time.perf_counter()
        answer = estimate(definition, scope, now=ds.now)
        latencies.append(time.perf_counter() - began)
        answers.append(answer.whole)
    timed_out = sum(1 for a in answers if a.state == "error")

    # The true size of every definition whose estimate could be above 1% of the profiles (an
    # estimate under 0.5% from a sample of thousands cannot hide a true size above 1%).
    threshold = ds.profiles / 100
    candidates = [
        (definition, answer)
        for definition, answer in zip(chosen, answers, strict=True)
        if answer.state == "ok" and answer.estimate >= threshold / 2
    ][: options.accuracy_checks]
    print(f"[{SECTION}] counting the true size of {len(candidates)} definitions", flush=True)
    checked, within, covered, worst, exact_seconds = 0, 0, 0, 0.0, []
    for definition, answer in candidates:
        parsed, _ = parse_definition(definition)
        sql, params = compile_definition(resolve_types(parsed, scope), scope, now=ds.now).members()
        true_size, took = timed_count(f"SELECT count(*) FROM ({sql}) AS members", params, engine_account=ds.account_id)
        exact_seconds.append(took)
        if true_size <= threshold:
            continue
        checked += 1
        error = abs(answer.estimate - true_size) / true_size
        within += error <= 0.10
        covered += answer.low <= true_size <= answer.high
        worst = max(worst, error)
    fractions = ", ".join(sorted({f"{a.sample_fraction:.0%}" for a in answers if a.state != "error"}))
    figures = [
        Figure(
            SECTION,
            f"estimate() latency over {len(chosen)} varied definitions",
            f"p50 {median_ms(latencies):,.0f} ms, p95 {percentile(latencies, 0.95) * 1000:,.0f} ms",
            f"aim p95 < 200 ms; max {max(latencies) * 1000:,.0f} ms; {timed_out} hit the estimator's "
            f"{DEFAULT_SAMPLING.timeout_ms / 1000:.0f} s limit (state error); samples used: {fractions}",
        ),
        Figure(
            SECTION,
            "estimate accuracy where the true size > 1% of profiles",
            f"{within} of {checked} within 10%",
            f"worst error {worst:.1%}; true size inside [low, high] for {covered} of {checked}",
        ),
    ]
    if exact_seconds:
        figures.append(
            Figure(
                SECTION,
                "  exact count of those definitions (no sample), for comparison",
                f"p50 {median_ms(exact_seconds):,.0f} ms, p95 {percentile(exact_seconds, 0.95) * 1000:,.0f} ms",
                f"{len(exact_seconds)} compiled queries over all {ds.profiles:,} profiles",
            )
        )
    return figures


def run(options: argparse.Namespace) -> list[Figure]:
    ds = dataset.current()
    fresh_account(ds)
    try:
        figures = calculation_figures(ds, options)
        figures += estimate_figures(ds, options)
    finally:
        fresh_account(ds)
    return figures
