"""Real time with a real Celery worker: data posted through the Events API moves users in
and out of audiences (and audiences nesting them) within seconds."""

from __future__ import annotations

import time

import mparticle
import pytest
from mparticle import AppEvent, Batch, UserIdentities

from audiences import services
from audiences.calculation import calculate
from audiences.models import MembershipChange
from tests.realtime.hammer import hammer
from tests.workers import WorkerProcess, wait_for

PREMIUM = {"version": 1, "criteria": [{"type": "user_attribute", "key": "status", "op": "equals", "value": "Premium"}]}


def _api(live_server, tenant) -> mparticle.EventsApi:
    config = mparticle.Configuration()
    config.api_key = tenant.input.api_key
    config.api_secret = tenant.secret
    config.host = live_server.url + "/v2"
    return mparticle.EventsApi(config)


def _batch(email: str, status: str) -> Batch:
    batch = Batch()
    batch.environment = "production"
    batch.user_identities = UserIdentities()
    batch.user_identities.email = email
    batch.user_attributes = {"status": status}
    batch.events = [AppEvent("Play Video", "navigation", custom_attributes={"destination": "Paris"})]
    return batch


def _log(audience) -> list[tuple[int, bool]]:
    return list(MembershipChange.objects.filter(audience=audience).order_by("seq").values_list("mpid", "added"))


def _active(tenant, name: str, definition: dict):
    audience = services.create_audience(
        account=tenant.account,
        acting_user=tenant.marketer,
        name=name,
        workspace_ids=[tenant.workspace.pk],
        definition=definition,
    )
    audience.status = "active"
    audience.save()
    calculate(audience)
    return audience


@pytest.mark.django_db(transaction=True)
def test_a_batch_puts_a_user_in_and_a_later_one_takes_them_out_within_seconds(live_server, tenant):
    premium = _active(tenant, "Premium", PREMIUM)
    nesting = _active(
        tenant,
        "Premium watchers",
        {
            "version": 1,
            "criteria": [
                {"type": "audience", "audience_id": premium.pk},
                {"join": "and", "type": "event", "event_type": "custom_event", "name": "Play Video"},
            ],
        },
    )
    api = _api(live_server, tenant)
    with WorkerProcess(beat=False):
        started = time.monotonic()
        _, status, _ = api.upload_events_with_http_info(_batch("ann@example.com", "Premium"))
        assert status == 202
        wait_for(lambda: _log(premium), timeout=5, message="the add in the change log")
        wait_for(lambda: _log(nesting), timeout=5 - (time.monotonic() - started), message="the nested add")
        mpid = _log(premium)[0][0]
        started = time.monotonic()
        api.upload_events(_batch("ann@example.com", "Free"))
        wait_for(lambda: len(_log(premium)) == 2, timeout=5, message="the drop in the change log")
        wait_for(lambda: len(_log(nesting)) == 2, timeout=5 - (time.monotonic() - started), message="the nested drop")
    assert _log(premium) == [(mpid, True), (mpid, False)]
    assert _log(nesting) == [(mpid, True), (mpid, False)]
    premium.refresh_from_db()
    assert premium.size == 0


def test_time_alone_drops_a_user_whose_event_leaves_the_window_and_adds_a_cart_abandoner(tenant):
    import datetime as dt

    import time_machine
    from django.utils import timezone

    from audiences import realtime
    from audiences.ingestion.service import ingest
    from audiences.ingestion.wire import parse_batch

    start = timezone.now().replace(microsecond=0)

    def send(batch: dict) -> int:
        parsed, errors = parse_batch(batch)
        assert not errors
        return ingest(tenant.input, [parsed], now=start).mpids[0]

    ms = int(start.timestamp() * 1000)
    watcher = send(
        {
            "user_identities": {"email": "w@example.com"},
            "events": [
                {
                    "event_type": "custom_event",
                    "data": {"event_name": "Play Video", "timestamp_unixtime_ms": ms - 3600_000},
                }
            ],
        }
    )
    shopper = send(
        {
            "user_identities": {"email": "s@example.com"},
            "events": [
                {
                    "event_type": "commerce_event",
                    "data": {"timestamp_unixtime_ms": ms - 600_000, "product_action": {"action": "add_to_cart"}},
                }
            ],
        }
    )
    with time_machine.travel(start, tick=False):
        watched = _active(
            tenant,
            "Watched lately",
            {
                "version": 1,
                "criteria": [
                    {"type": "event", "event_type": "custom_event", "name": "Play Video", "time": {"within_days": 1}}
                ],
            },
        )
        abandoned = _active(
            tenant, "Abandoned carts", {"version": 1, "criteria": [{"type": "cart_abandonment", "wait_hours": 2}]}
        )
    assert _log(watched) == [(watcher, True)]
    assert _log(abandoned) == []
    later = start + dt.timedelta(hours=23)
    with time_machine.travel(later, tick=False):
        swept = realtime.sweep()
    assert _log(abandoned) == [(shopper, True)]
    assert _log(watched) == [(watcher, True)]
    assert swept[abandoned.pk] == 1
    with time_machine.travel(start + dt.timedelta(hours=24, minutes=5), tick=False):
        realtime.sweep()
    assert _log(watched) == [(watcher, True), (watcher, False)]


@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_for_one_user_keep_the_log_alternating(live_server, tenant):
    import itertools
    import multiprocessing
    import random

    from audiences.models import Member, PendingEvaluation, ProfileWorkspace

    premium = _active(tenant, "Premium", PREMIUM)
    tenant.input.rate_limit = 10_000
    tenant.input.save()
    rng = random.Random(3)
    plans = [[rng.choice(["Premium", "Free"]) for _ in range(25)] for _ in range(4)]
    with WorkerProcess(beat=True, concurrency=2):
        context = multiprocessing.get_context("spawn")
        senders = [
            context.Process(
                target=hammer, args=(live_server.url + "/v2/events", tenant.input.api_key, tenant.secret, p)
            )
            for p in plans
        ]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join(timeout=120)
            assert sender.exitcode == 0
        wait_for(lambda: not PendingEvaluation.objects.exists(), timeout=30, message="the queue to drain")
        time.sleep(1)  # a drain that took the last rows may still be writing
    log = _log(premium)
    assert log, "the user never entered the audience"
    flags = [added for _, added in log]
    assert flags[0] is True
    assert all(a != b for a, b in itertools.pairwise(flags)), f"two equal changes in a row: {flags}"
    final = ProfileWorkspace.objects.get(profile_id=log[0][0]).user_attributes["status"]
    is_member = Member.objects.filter(audience=premium, mpid=log[0][0]).exists()
    assert is_member == (final == "Premium") == flags[-1]
