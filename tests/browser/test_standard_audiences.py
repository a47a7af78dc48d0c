"""Standard audiences in Chromium: New Standard Audience over a period, its criteria in the
builder, Save as Draft, Calculate with the credits shown, a real Celery worker calculating it
over two months of history, the audience in Ready with its size, then Send to a Webhook."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from audiences import standard
from audiences.ingestion.service import ingest
from audiences.ingestion.wire import parse_batch
from audiences.models import Audience, StandardState
from connections import services as connection_services
from tests.browser.builder_steps import add_criterion, click_and_settle, settle, type_and_leave
from tests.browser.conftest import screenshot
from tests.connections.helpers import Receiver, webhook_configuration
from tests.workers import WorkerProcess, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(transactional_db) -> Iterator[WorkerProcess]:
    with WorkerProcess(beat=False) as process:
        yield process


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as stub:
        yield stub


def watched(source, people: range, days_ago: int, *, historical: bool) -> None:
    """Each of `people` played a video `days_ago` days ago (a back-fill when `historical`)."""
    now = timezone.now()
    batches = []
    for n in people:
        at = now - dt.timedelta(days=days_ago, minutes=n)
        parsed, errors = parse_batch(
            {
                "user_identities": {"customerid": f"viewer-{n}"},
                "events": [
                    {
                        "event_type": "custom_event",
                        "data": {
                            "event_name": "Play Video",
                            "custom_event_type": "media",
                            "timestamp_unixtime_ms": int(at.timestamp() * 1000),
                        },
                    }
                ],
            }
        )
        assert not errors, errors
        batches.append(parsed)
    ingest(source, batches, historical=historical, now=now)


def test_a_standard_audience_from_creation_to_ready_and_sent(tenant, page_for, worker, receiver):
    watched(tenant.input, range(1, 6), 60, historical=True)  # two months ago: in the range
    watched(tenant.input, range(6, 9), 2, historical=False)  # this week: in the range
    watched(tenant.input, range(9, 11), 120, historical=True)  # before the range starts
    standard.grant_credits(tenant.account, 2, acting_user=tenant.admin, note="trial")
    start = (timezone.now() - dt.timedelta(days=90)).date()

    page = page_for(tenant.marketer)
    page.goto("/audiences/standard/")
    expect(page.get_by_text("No standard audiences in progress")).to_be_visible()

    # New Standard Audience over the last 90 days, up to the most recent data.
    page.get_by_role("link", name="New Standard Audience").click()
    dialog = page.get_by_role("dialog", name="New Standard Audience")
    dialog.get_by_label("Audience name").fill("Long-term viewers")
    dialog.get_by_label("Start date").fill(start.isoformat())
    expect(dialog.get_by_label("A period")).to_be_checked()  # typing a date picks a period
    expect(dialog.get_by_label("Most recent")).to_be_checked()
    screenshot(page, "standard-new-dialog")
    dialog.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", name=re.compile("Long-term viewers"))).to_be_visible()
    audience = Audience.objects.get(name="Long-term viewers")
    assert (audience.range_start, audience.range_end) == (start, None)
    expect(page.get_by_text(f"{start.isoformat()} to most recent").first).to_be_visible()

    # The builder: an event criterion covers the date range unless told otherwise.
    add_criterion(page, "Events", "Custom events")
    expect(page.locator("#f-time-mode")).to_have_value("range")
    type_and_leave(page, "#f-name", "Play Video")
    click_and_settle(page, "Done")
    expect(page.locator("#criterion-0")).to_contain_text("Play Video, more than 0 events in the date range")
    screenshot(page, "standard-builder")
    page.locator("#builder").get_by_role("button", name="Save as Draft").click()
    expect(page.get_by_text("Saved as draft.")).to_be_visible()

    # Calculate from the list's top button: tick the draft, see the credit it costs.
    page.get_by_role("link", name="Standard audiences").first.click()
    expect(page.get_by_role("row", name=re.compile("Long-term viewers"))).to_contain_text("Draft")
    page.locator(".head-actions").get_by_role("link", name="Calculate").click()
    calculate = page.get_by_role("dialog", name="Calculate")
    expect(calculate.locator("#credits-needed")).to_have_text("0")
    calculate.get_by_label(re.compile("Long-term viewers")).check()
    settle(page)
    expect(calculate.locator("#credits-needed")).to_have_text("1")
    expect(calculate.locator("#credit-balance-left")).to_have_text("2")
    screenshot(page, "standard-calculate-dialog")
    calculate.get_by_role("button", name="Start Calculation").click()
    expect(page.get_by_text("Calculating Long-term viewers: 1 credit spent.")).to_be_visible()

    # The worker calculates it; the In Progress tab polls until it leaves for Ready.
    expect(page.get_by_role("row", name=re.compile("Long-term viewers"))).to_have_count(0, timeout=60_000)
    page.get_by_role("link", name="Ready").click()
    row = page.get_by_role("row", name=re.compile("Long-term viewers"))
    expect(row.locator("[data-size]")).to_have_text("8")
    screenshot(page, "standard-ready")
    audience.refresh_from_db()
    assert audience.standard_state == StandardState.READY and audience.size == 8
    assert standard.balance(tenant.account) == 1

    # Connected while it was a draft, nothing went out; Send from the Ready tab forwards all 8.
    configuration = webhook_configuration(tenant.account, receiver.url, name="Campaign webhook")
    connection_services.create_connection(audience, configuration, acting_user=tenant.marketer)
    page.reload()
    assert receiver.batches == []
    page.get_by_role("row", name=re.compile("Long-term viewers")).get_by_role("link", name="Send").click()
    send = page.get_by_role("dialog", name="Send Long-term viewers")
    expect(send.get_by_label(re.compile("Campaign webhook"))).to_be_checked()
    send.get_by_role("button", name="Send").click()
    expect(page.get_by_text("Sending every member of Long-term viewers to Campaign webhook.")).to_be_visible()
    wait_for(lambda: len(receiver.members()) == 8, timeout=60, message="the 8 members at the webhook")
    expect(page.locator("#last-sent")).to_contain_text("Last sent")
    screenshot(page, "standard-sent")
