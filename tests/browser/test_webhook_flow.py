"""Acceptance in Chromium: configure the Webhook from the Directory, connect an audience, see
its members arrive at a local receiver, break the receiver, see the fault banner, Resume, and
see everything that waited arrive.

Forwarding runs in a real Celery worker (in a thread of this process, on the Redis broker),
woken the way production wakes it: on connection, on membership changes and on Resume.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import expect

from audiences.signals import announce_membership_changed
from connections.models import Connection
from tests.browser.conftest import screenshot
from tests.connections.helpers import SECRET, Receiver, add_profiles, audience_with_members, change

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(transactional_db) -> Iterator[None]:
    """A Celery worker consuming a queue of its own, so tasks of other test runs sharing the
    Redis broker never reach it (and it never takes theirs)."""
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    queue = f"browser-{uuid.uuid4().hex[:10]}"
    saved_routes = app.conf.task_routes

    def route(routes) -> None:
        app.conf.task_routes = routes
        app.amqp.flush_routes()
        app.amqp.__dict__.pop("router", None)  # a cached property: rebuilt with the new routes

    route({"connections.tasks.*": {"queue": queue}})
    fresh_broker_connections(app)
    try:
        with start_worker(app, perform_ping_check=False, queues=[queue], shutdown_timeout=30):
            yield
    finally:
        route(saved_routes)
        fresh_broker_connections(app)


def fresh_broker_connections(app) -> None:
    """Start from new broker connections: another test of this process may have closed the
    pooled ones (kombu keeps a closed pool registered, and publishing would then fail)."""
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as stub:
        yield stub


def eventually(check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.1)


def test_webhook_from_the_directory_to_a_fault_and_resume(tenant, page_for, receiver, worker):
    audience = audience_with_members(tenant, range(1, 51), name="Paris fans")
    page = page_for(tenant.admin)

    # Configure the Webhook from the Directory.
    page.goto("/directory/")
    expect(page.locator('[data-partner="webhook"]')).to_be_visible()
    screenshot(page, "directory")
    page.get_by_role("link", name="+ Add Webhook to Setup").click()
    page.get_by_label("Configuration name").fill("Our receiver")
    page.get_by_label("URL").fill(receiver.url + "/hook")
    page.get_by_label("Secret").fill(SECRET)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name=re.compile("Our receiver"))).to_be_visible()
    expect(page.locator("dl.settings")).to_contain_text("set")
    assert SECRET not in page.content()

    # Connect the audience from its Connect tab.
    page.goto(f"/audiences/{audience.pk}/connect/")
    expect(page.get_by_text("Not connected yet")).to_be_visible()
    page.get_by_role("link", name="Connect Output").click()
    page.get_by_label(re.compile("Our receiver")).check()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_test_id("attribute-warning")).to_be_visible()  # the Webhook takes user attributes
    page.get_by_label("Sending").check()
    page.get_by_role("button", name="Add connection").click()
    expect(page.get_by_text("its members are on their way")).to_be_visible()

    # The current members arrive; the tab refreshes itself until they are all delivered.
    eventually(lambda: receiver.members() == set(range(1, 51)), "the receiver has the 50 members")
    expect(page.get_by_test_id("delivered-adds")).to_have_text("50", timeout=20_000)
    connection = Connection.objects.get(audience=audience)

    # Break the receiver: the next batch is refused with 401, which faults at once.
    receiver.fail_next(401, body={"error": "signature mismatch"})
    add_profiles(tenant, range(51, 61))
    change(audience, range(51, 61), added=True)
    change(audience, [3], added=False)
    announce_membership_changed([audience.pk])
    eventually(lambda: Connection.objects.get(pk=connection.pk).faulted_at is not None, "the connection faults")

    page.reload()
    banner = page.locator(".fault-banner")
    expect(banner).to_contain_text("Forwarding to Our receiver stopped")
    expect(banner).to_contain_text("Webhook answered 401")
    expect(banner).to_contain_text("signature mismatch")
    screenshot(page, "connect-tab-fault")
    assert receiver.members() == set(range(1, 51))  # nothing went past the fault

    page.goto("/setup/outputs/")
    expect(page.get_by_text("Open faults (1)")).to_be_visible()
    expect(page.locator(".fault-list")).to_contain_text("Webhook answered 401")
    screenshot(page, "setup-outputs")

    # Resume from the Connect tab: everything that waited is delivered, in order.
    page.goto(f"/audiences/{audience.pk}/connect/")
    page.locator(".fault-banner").get_by_role("button", name="Resume").click()
    expect(page.get_by_text("resumed from where it stopped")).to_be_visible()
    eventually(lambda: receiver.members() == (set(range(1, 61)) - {3}), "the backlog reaches the receiver after Resume")
    assert receiver.history[3] == [True, False]
    page.reload()
    expect(page.locator(".fault-banner")).to_have_count(0)
    expect(page.get_by_test_id("delivered-adds")).to_have_text("60")
    for body in receiver.batches:
        assert SECRET not in str(body)
