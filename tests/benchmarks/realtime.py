"""Real time (issue 6): latency from the Events API's 202 to the change log under load, the cost
of a clock sweep over 1,000,000 profiles, and the audience list with 500 audiences.

Sweep: an audience is calculated "as of" the data set's moment T0, then `realtime.sweep()`
runs with the clock moved on 30 seconds (the beat schedule's interval) and, separately, one
hour. The sweep re-evaluates only the users with a qualifying event that crossed a window
edge in that time; beside it, a full `calculate()` of the same audience at the same moment is
the baseline, and it must find nothing left to change (the sweep was exact).

List page: 500 real-time audiences in the data set's account (sizes, tags, creators, some
connections and a faulted one, and about a million change-log rows in the last two days
for the 24-hour metrics) rendered by the Django test client, logged in as an admin: the
first page (25 rows, by name) and 100 rows sorted by adds in the last 24 hours; queries
counted with 5 audiences and with 500.

Latency: see `live.py`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time

from tests.benchmarks import dataset, engine, live
from tests.benchmarks.harness import Figure

SECTION = "realtime"
DATA_SET = True

PLAYED_THIS_WEEK = {
    "version": 1,
    "criteria": [{"type": "event", "event_type": "custom_event", "name": "Play Video", "time": {"within_days": 7}}],
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(f"{SECTION} (the live load is also the forwarding section's)")
    live.add_arguments(group)
    group.add_argument("--list-audiences", type=int, default=500, help="audiences on the list page (default 500)")
    group.add_argument("--list-renders", type=int, default=20, help="timed renders of each list page (default 20)")


# -- the clock sweep ------------------------------------------------------------------------------


def sweep_figures(ds: dataset.DataSet) -> list[Figure]:
    from django.db import connection

    from audiences import realtime
    from audiences.calculation import calculate
    from audiences.demo.realtime import TUTORIAL
    from audiences.models import Audience

    figures = []
    t0 = ds.now
    # A sweep visits every active real-time audience of the database: only this section's.
    live.drop_account(live.ACCOUNT_NAME)
    for label, definition in (
        ("tutorial audience", TUTORIAL),
        ("Play Video in the last 7 days", PLAYED_THIS_WEEK),
    ):
        audience = engine.make_audience(ds, f"Bench: sweep {label}", definition)
        calculate(audience, now=t0)
        for step in (dt.timedelta(seconds=30), dt.timedelta(hours=1)):
            Audience.objects.filter(pk=audience.pk).update(swept_at=t0)
            moment = t0 + step
            print(f"[{SECTION}] sweep of the {label} at T0 + {_span(step)}", flush=True)
            began = time.perf_counter()
            touched = realtime.sweep(now=moment)
            took = time.perf_counter() - began
            audience.refresh_from_db()
            began = time.perf_counter()
            left = calculate(audience, now=moment)
            full = time.perf_counter() - began
            if left.changed:
                raise RuntimeError(f"the sweep missed changes a full calculation found: {left}")
            figures.append(
                Figure(
                    SECTION,
                    f"sweep over {ds.profiles:,} profiles: {label}, clock +{_span(step)}",
                    f"{took * 1000:,.0f} ms",
                    f"re-evaluated {touched.get(audience.pk, 0):,} users of {audience.size:,} members; a full "
                    f"calculate() at the same moment {full * 1000:,.0f} ms (sweep / full {took / full:.2f}), "
                    "and it found nothing left to change",
                )
            )
        audience.delete()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audiences_pendingevaluation")  # queued by sweeps, for nesting audiences
    return figures


def _span(step: dt.timedelta) -> str:
    seconds = int(step.total_seconds())
    return f"{seconds} s" if seconds < 3600 else f"{seconds // 3600} h"


# -- the list page --------------------------------------------------------------------------------


def admin_user(ds: dataset.DataSet):
    from django.contrib.auth import get_user_model

    from accounts.models import Person, Role

    user, _ = get_user_model().objects.get_or_create(username="bench-admin", defaults={"first_name": "Bench"})
    Person.objects.get_or_create(user=user, account_id=ds.account_id, defaults={"role": Role.ADMIN})
    return user


def make_list_audiences(ds: dataset.DataSet, count: int, user, rng: random.Random) -> None:
    """`count` more real-time audiences with sizes, tags, connections and a change log."""
    from django.db import connection
    from django.utils import timezone

    from audiences.demo.realtime import TUTORIAL
    from audiences.models import Audience, Tag
    from connections.models import Connection
    from outputs.services import create_configuration

    now = timezone.now()
    start = Audience.objects.filter(account_id=ds.account_id).count()
    statuses = ["active"] * 6 + ["inactive", "draft"]
    audiences = Audience.objects.bulk_create(
        [
            Audience(
                account_id=ds.account_id,
                name=f"List audience {start + n:03d}",
                external_name=f"list_{start + n}",
                definition=TUTORIAL,
                status=rng.choice(statuses),
                access=rng.choice(["private", "view_only", "usable"]),
                created_by=user,
                calculation_state="done",
                calculated_at=now,
                size=rng.randrange(1_000, 400_000),
            )
            for n in range(count)
        ]
    )
    through = Audience.workspaces.through
    through.objects.bulk_create([through(audience_id=a.pk, workspace_id=ds.workspace_id) for a in audiences])
    tags = [Tag.objects.get_or_create(account_id=ds.account_id, name=f"team-{n}")[0] for n in range(8)]
    tagged = Audience.tags.through
    tagged.objects.bulk_create(
        [tagged(audience_id=a.pk, tag_id=t.pk) for a in audiences for t in rng.sample(tags, rng.randrange(3))]
    )
    configuration = create_configuration(
        account=user.people.get(account_id=ds.account_id).account,
        partner="webhook",
        name=f"List receiver {start}",
        settings={"url": "https://receiver.example/hook", "secret": "a" * 32},
    )
    connected = audiences[::10]
    Connection.objects.bulk_create(
        [
            Connection(
                audience=a,
                output_configuration=configuration,
                status="inactive",
                faulted_at=now if n == 0 else None,
                fault_message="401 Unauthorized" if n == 0 else "",
            )
            for n, a in enumerate(connected)
        ]
    )
    with connection.cursor() as cursor:
        # About 2,000 changes per audience spread over the last 48 hours (the metrics read 24).
        cursor.execute(
            "INSERT INTO audiences_membershipchange (audience_id, mpid, variation_id, added, at) "
            "SELECT a, (random() * 1e15)::bigint, NULL, random() < 0.6, %s - random() * interval '48 hours' "
            "FROM unnest(%s::bigint[]) AS a, generate_series(1, 1 + (random() * 4000)::int)",
            [now, [a.pk for a in audiences]],
        )
        cursor.execute("ANALYZE audiences_membershipchange")


def render(client, url: str) -> tuple[float, float, float, int]:
    """Wall-clock seconds, this process's CPU seconds (Python: view, template), seconds spent in
    queries, and the number of queries of one request."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        began, cpu = time.perf_counter(), time.process_time()
        answer = client.get(url)
        took, cpu = time.perf_counter() - began, time.process_time() - cpu
    if answer.status_code != 200:
        raise RuntimeError(f"{url} answered {answer.status_code}")
    in_queries = sum(float(query["time"]) for query in queries.captured_queries)
    return took, cpu, in_queries, len(queries.captured_queries)


def list_figures(ds: dataset.DataSet, options: argparse.Namespace) -> list[Figure]:
    from django.test import Client
    from django.urls import reverse

    rng = random.Random(options.seed)
    user = admin_user(ds)
    client = Client()
    client.force_login(user)
    base = reverse("audiences:realtime_list")
    pages = {
        "first page (25 rows, by name)": base,
        "100 rows sorted by adds (24 h)": f"{base}?per_page=100&sort=-adds_24h",
    }
    make_list_audiences(ds, 5, user, rng)
    few = {label: render(client, url)[3] for label, url in pages.items()}
    print(f"[{SECTION}] list page with {options.list_audiences} audiences", flush=True)
    make_list_audiences(ds, options.list_audiences - 5, user, rng)
    figures = []
    for label, url in pages.items():
        for _ in range(3):
            render(client, url)  # warm-up: templates, plans
        timings, cpus, in_queries, counts = [], [], [], set()
        for _ in range(options.list_renders):
            took, cpu, database, queries = render(client, url)
            timings.append(took)
            cpus.append(cpu)
            in_queries.append(database)
            counts.add(queries)
        figures.append(
            Figure(
                SECTION,
                f"audience list, {options.list_audiences} audiences: {label}",
                f"p50 {statistics.median(timings) * 1000:.0f} ms, p95 {live.percentile(timings, 0.95) * 1000:.0f} ms",
                f"{max(counts)} queries ({few[label]} with 5 audiences); aim < 300 ms, constant queries; medians: "
                f"{statistics.median(in_queries) * 1000:.0f} ms in queries, {statistics.median(cpus) * 1000:.0f} ms "
                f"of Python CPU; Django test client, {options.list_renders} renders",
            )
        )
    return figures


def live_figures(result: live.LiveResult, options: argparse.Namespace) -> list[Figure]:
    return [
        Figure(
            SECTION,
            f"Events API 202 -> change-log row, {result.rate:.0f} events/s across {result.users:,} users, "
            f"{result.audiences} audiences",
            live.describe(result.log_latencies),
            f"aim p95 < 2 s; {len(result.log_latencies):,} changes from {result.requests} requests in "
            f"{result.seconds:.0f} s; of which waiting for an evaluation to start: "
            f"{live.describe(result.queue_waits)}; 202 p95 {result.answer_p95 * 1000:.0f} ms; Celery worker "
            f"({options.worker_concurrency} processes) CPU {result.worker_cpu / result.seconds:.0%} of a core",
        )
    ]


def run(options: argparse.Namespace) -> list[Figure]:
    ds = dataset.current()
    engine.fresh_account(ds)
    try:
        figures = sweep_figures(ds)
        figures += list_figures(ds, options)
    finally:
        engine.fresh_account(ds)
    print(f"[{SECTION}] real-time load", flush=True)
    figures += live_figures(live.run(options, seed=options.seed), options)
    return figures
