"""A calculation whose task was lost (a killed worker took its broker message along) is queued
again by the beat sweep, never while a worker still holds it, and two workers never calculate
one calculation at once. One lost again and again fails and refunds its credits."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.db import connection as db
from django.db import connections
from django.utils import timezone

from audiences import standard
from audiences.models import Audience, CreditEntry, StandardCalculation, StandardState
from tests.standard.helpers import draft, give_credits, store_events

pytestmark = pytest.mark.django_db

LATER = standard.STALLED_AFTER + dt.timedelta(seconds=1)


@pytest.fixture
def queued(tenant) -> StandardCalculation:
    """A paid calculation of one draft whose task never ran (no worker in these tests)."""
    store_events(tenant, [(m, "Play Video", timezone.now() - dt.timedelta(days=90)) for m in (31, 32)])
    give_credits(tenant, 1)
    audience = draft(tenant, {"all": True})
    return standard.start_calculation(tenant.account, [audience], acting_user=tenant.marketer)


@contextmanager
def held_by_another_worker(calculation: StandardCalculation) -> Iterator[None]:
    """Another process's database session holds the calculation, as a worker calculating it does."""
    taken, release = threading.Event(), threading.Event()

    def worker() -> None:
        with standard._running(calculation.pk) as mine:
            assert mine
            taken.set()
            release.wait(10)
        connections.close_all()

    thread = threading.Thread(target=worker)
    thread.start()
    assert taken.wait(10)
    try:
        yield
    finally:
        release.set()
        thread.join()


def test_a_calculation_without_a_sign_of_life_is_queued_again_and_then_completes(queued):
    assert standard.requeue_stalled() == []  # just queued: its task may still be on its way

    assert standard.requeue_stalled(timezone.now() + LATER) == [queued.pk]
    assert standard.requeue_stalled(timezone.now() + LATER) == []  # not twice in one stall

    standard.calculate_standard(queued.pk)  # what the queued task does
    queued.refresh_from_db()
    assert (queued.state, queued.restarts) == ("done", 1)
    assert Audience.objects.get(standard_calculations=queued).standard_state == StandardState.READY
    assert standard.requeue_stalled(timezone.now() + LATER * 3) == []  # finished: left alone


def test_a_calculation_a_worker_is_still_on_is_neither_queued_again_nor_run_twice(queued):
    with held_by_another_worker(queued):
        assert standard.requeue_stalled(timezone.now() + LATER) == []
        assert standard.calculate_standard(queued.pk) is None  # the same task delivered twice

        queued.refresh_from_db()
        assert (queued.state, queued.restarts) == ("queued", 0)
        assert Audience.objects.get(standard_calculations=queued).standard_state == StandardState.CALCULATING

    # That worker died without finishing: its lock went with its connection.
    assert standard.requeue_stalled(timezone.now() + LATER) == [queued.pk]


def test_a_calculation_lost_again_and_again_fails_and_refunds(tenant, queued):
    moment = timezone.now()
    for _ in range(standard.MAX_RESTARTS):
        moment += LATER
        assert standard.requeue_stalled(moment) == [queued.pk]

    assert standard.requeue_stalled(moment + LATER) == []

    queued.refresh_from_db()
    assert queued.state == "failed"
    assert "stopped 4 times" in queued.error
    audience = Audience.objects.get(standard_calculations=queued)
    assert audience.standard_state == StandardState.DRAFT
    assert "credits were returned" in audience.calculation_error
    assert standard.balance(tenant.account) == 1
    assert CreditEntry.objects.filter(reason="refund", calculation=queued).count() == 1


def test_the_sweep_runs_on_the_beat():
    entries = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert "audiences.tasks.requeue_stalled_standard_calculations" in entries


@pytest.mark.django_db(transaction=True)
def test_a_calculation_whose_message_was_lost_is_calculated_by_a_real_worker_after_the_sweep(tenant):
    from tests.workers import WorkerProcess, wait_for

    store_events(tenant, [(m, "Play Video", timezone.now() - dt.timedelta(days=90)) for m in (41, 42)])
    give_credits(tenant, 1)
    audience = draft(tenant, {"all": True})
    calculation = standard.start_calculation(tenant.account, [audience], acting_user=tenant.marketer)

    # Starting the worker empties its broker: the calculation's message is lost, as with a
    # broker restarted without persistence or a worker killed holding it.
    with WorkerProcess(beat=False):
        StandardCalculation.objects.filter(pk=calculation.pk).update(progressed_at=timezone.now() - LATER)
        assert standard.requeue_stalled() == [calculation.pk]
        db.close()

        wait_for(
            lambda: Audience.objects.get(pk=audience.pk).standard_state == StandardState.READY,
            timeout=60,
            message="the worker to calculate the queued-again calculation",
        )
    assert set(Audience.objects.get(pk=audience.pk).members.values_list("mpid", flat=True)) == {41, 42}
