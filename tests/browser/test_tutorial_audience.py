"""Acceptance: a marketer builds the tutorial audience by clicking, sees the estimates,
activates it, and finds its exact size on the list once a real Celery worker calculated it.

The worker is Celery's embedded test worker running the project's app (`config.celery`) in a
thread, fed through kombu's in-memory transport: the task goes through a real broker
round trip, yet no other worker on this machine can take it from a shared Redis queue.
"""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from audiences.calculation import find_members, prepare
from audiences.models import Audience, Member
from audiences.models.audiences import CalculationState
from tests.browser.builder_steps import build_tutorial
from tests.browser.conftest import screenshot
from tests.web.audiences.tutorial import seed_tutorial

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def celery_worker(live_server):
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    saved = {key: app.conf[key] for key in ("broker_url", "broker_transport_options")}
    app.conf.update(broker_url="memory://", broker_transport_options={})
    _forget_connections(app)
    try:
        with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=10) as worker:
            yield worker
    finally:
        app.conf.update(saved)
        _forget_connections(app)


def _forget_connections(app) -> None:
    """Drop pooled broker connections so the next publish uses the broker configured now
    (kombu also keeps pools registered globally: reset those too)."""
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


def test_a_marketer_builds_activates_and_sees_the_tutorial_audiences_exact_size(tenant, page_for, celery_worker):
    expected = seed_tutorial(tenant.input)
    page = page_for(tenant.marketer)

    page.goto("/audiences/real-time/")
    page.get_by_role("link", name="New Audience").click()
    dialog = page.get_by_role("dialog", name="New Audience")
    dialog.get_by_label("Audience name").fill("Paris premium")
    dialog.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", name=re.compile("Paris premium"))).to_be_visible()

    build_tutorial(page)
    # Each criterion's estimate and the whole audience's (a small account is counted exactly).
    expect(page.locator("#estimate-c0 [data-state=ok]")).to_have_text("12")
    expect(page.locator("#estimate-c1 [data-state=ok]")).to_have_text("16")
    expect(page.locator("#estimate-total [data-state=ok]")).to_have_text(str(expected))

    page.locator("#builder").get_by_role("button", name="Activate").click()
    question = page.get_by_role("dialog", name="Set up an A/B test?", exact=False)
    expect(question).to_be_visible()
    question.get_by_role("link", name="No").click()
    expect(page).to_have_url(re.compile(r"/audiences/\d+/connect/$"))

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Real-time").click()
    audience = Audience.objects.get(name="Paris premium")
    row = page.locator("tr", has=page.get_by_role("link", name="Paris premium"))
    expect(row.locator(".size")).to_have_text(str(expected), timeout=60_000)
    expect(row.locator(".calculating")).to_have_count(0)
    row.get_by_label("Add a tag to Paris premium").fill("Paris")
    row.get_by_label("Add a tag to Paris premium").press("Enter")
    expect(row.locator(".tag")).to_have_text(re.compile("Paris"))
    screenshot(page, "audience-list")

    audience.refresh_from_db()
    assert audience.status == "active" and audience.calculation_state == CalculationState.DONE
    definition, scope = prepare(audience)
    engine = find_members(definition, scope, now=timezone.now())
    assert len(engine) == expected == audience.size
    assert [t.name for t in audience.tags.all()] == ["Paris"]
    assert set(Member.objects.filter(audience=audience).values_list("mpid", flat=True)) == engine
