"""Acceptance in Chromium: a 40/40/20 A/B test drafted and saved in the A/B Test tab, one
variation connected to a Webhook (a local receiver) that gets only that variation's users
under "[External Name] - [Variant Name]", then a download with two identity types: the
notice appears in the app shell when the job is done, and the ZIP fetched through its link
opens with a manifest whose counts equal its CSVs' rows.

Forwarding and the download job run in a real Celery worker process (tests/workers.py).
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection as db
from playwright.sync_api import expect

from audiences.models import Audience, Download, Member
from audiences.models.variations import Variation
from tests.browser.conftest import screenshot
from tests.connections.helpers import Receiver, webhook_configuration
from tests.variations.helpers import age_below, calculated_audience, generate_profiles
from tests.workers import WorkerProcess

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = ["mpid", "scanned_timestamp_ms", "identity_value", "identity_type"]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as stub:
        yield stub


@pytest.fixture
def worker(transactional_db, settings) -> Iterator[WorkerProcess]:
    """The worker process, and the web side reading the files it writes: one shared storage,
    as a deployment shares its media volume (or bucket) between web and workers."""
    with WorkerProcess(beat=False) as process:
        default = settings.STORAGES["default"]
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {**default, "OPTIONS": {**default["OPTIONS"], "location": Path(process.var) / "media"}},
        }
        yield process


def eventually(check: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.2)


def _customer_ids(tenant, mpids) -> None:
    with db.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audiences_identity"
            " (account_id, mpid, workspace_id, identity_type, value, first_seen, last_seen)"
            " SELECT %s, m, %s, 'customer_id', 'C' || m, now(), now() FROM unnest(%s::bigint[]) AS m",
            [tenant.account.pk, tenant.workspace.pk, list(mpids)],
        )


def test_a_40_40_20_test_a_variation_webhook_and_a_download(tenant, page_for, receiver, worker):
    mpids = generate_profiles(tenant, 600)
    _customer_ids(tenant, mpids[::3])
    audience = calculated_audience(tenant, age_below(100), name="Spring sale")
    Audience.objects.filter(pk=audience.pk).update(external_name="Spring sale ext")
    webhook_configuration(tenant.account, receiver.url + "/hook", name="Growth receiver")
    page = page_for(tenant.marketer)

    # Draft the test: two variations of 40%, the Control keeps the remaining 20%.
    page.goto(f"/audiences/{audience.pk}/ab-test/")
    test = page.locator("#ab-test")
    expect(test.locator("[data-control]")).to_have_text("100%")
    test.get_by_role("button", name="Add A/B Test Variation").click()
    page.get_by_label("Name of variation 1").fill("Email")
    page.get_by_label("Percentage of variation 1").fill("40")
    test.get_by_role("button", name="Add A/B Test Variation").click()
    expect(test.locator("[data-control]")).to_have_text("60%")
    page.get_by_label("Name of variation 2").fill("Push")
    page.get_by_label("Percentage of variation 2").fill("40")
    test.get_by_role("button", name="Save").click()
    expect(page.get_by_text("is saved: connect each variation")).to_be_visible()
    rows = page.get_by_role("table", name="Variations").locator("tbody tr")
    expect(rows).to_have_text([re.compile(r"Email\s*40%"), re.compile(r"Push\s*40%"), re.compile(r"Control\s*20%")])
    screenshot(page, "ab-test-saved")
    email = Variation.objects.get(audience=audience, name="Email")

    # Connect the Email variation to the Webhook from the Connect tab.
    test.get_by_role("link", name="Connect a variation").click()
    page.get_by_role("link", name="Connect Output").click()
    page.get_by_label("Audience or variation").select_option(label="Email (40%)")
    page.get_by_label(re.compile("Growth receiver")).check()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text("“Spring sale ext - Email”")).to_be_visible()
    page.get_by_label("Sending").check()
    page.get_by_role("button", name="Add connection").click()
    expect(page.get_by_text("its members are on their way")).to_be_visible()

    # The receiver gets the Email variation's users and nobody else, under the variant name.
    in_email = set(Member.objects.filter(audience=audience, variation_id=email.pk).values_list("mpid", flat=True))
    assert 0.3 < len(in_email) / len(mpids) < 0.5
    eventually(lambda: receiver.members() == in_email, "the receiver has the Email variation's users")
    assert all(b["audience"]["id"] == audience.pk for b in receiver.batches)
    assert {f"{b['audience']['name']} - {b['audience']['variation']}" for b in receiver.batches} == {
        "Spring sale ext - Email"
    }
    assert set(receiver.history) == in_email  # not one user of Push or Control was ever sent

    # Download every variation with two identity types from the audience's details.
    page.goto(f"/audiences/{audience.pk}/ab-test/")
    page.locator(".page-head").get_by_role("link", name="Download", exact=True).click()
    page.get_by_label("email", exact=True).check()
    page.get_by_label("customer_id", exact=True).check()
    for label in ("Email (40%)", "Push (40%)", "Control (20%)"):
        page.get_by_label(label, exact=True).check()
    page.get_by_label("Full audience").check()
    page.get_by_role("button", name="Download").click()
    expect(page).to_have_url(re.compile(r"/downloads/[0-9a-f-]+/$"))

    # Work elsewhere meanwhile: the notice shows up in the shell once the job is done.
    page.goto("/audiences/real-time/")
    download = Download.objects.get(audience=audience)
    eventually(lambda: Download.objects.get(pk=download.pk).state == "ready", "the download job is done")
    page.reload()
    notice = page.locator(".download-notice")
    expect(notice).to_contain_text("Your download of Spring sale is ready")
    screenshot(page, "download-notice")
    with page.expect_download() as fetched:
        notice.get_by_role("link", name=re.compile(r"\.zip$")).click()
    archive = zipfile.ZipFile(Path(fetched.value.path()))

    manifest = json.loads(archive.read("manifest.json"))
    csvs = {
        name: list(csv.reader(io.TextIOWrapper(archive.open(name), encoding="utf-8")))
        for name in archive.namelist()
        if name.endswith(".csv")
    }
    assert len(csvs) == 3 and all(rows[0] == HEADER for rows in csvs.values())
    assert sorted(manifest["included_identities"]) == ["customer_id", "email"]
    assert manifest["total_rows"] == sum(len(rows) - 1 for rows in csvs.values())
    assert set(manifest["rows_by_identity"]) == {"email", "customer_id"}
    for entry in manifest["files"]:
        rows = csvs[entry["file_name"]][1:]
        assert entry["total_rows"] == len(rows) and entry["total_users"] == len({r[0] for r in rows})
        assert sum(entry["rows_by_identity"].values()) == len(rows)
    email_file = next(rows for name, rows in csvs.items() if "_Email_" in name)
    assert {int(r[0]) for r in email_file[1:]} == in_email
    assert {r[3] for r in email_file[1:]} == {"email", "customer_id"}
    assert sum(entry["total_users"] for entry in manifest["files"]) == len(mpids)

    # Fetching the file counts as seen: the notice is gone.
    page.reload()
    expect(page.locator(".download-notice")).to_have_count(0)
