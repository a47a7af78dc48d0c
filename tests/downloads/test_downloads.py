"""Audience downloads: requested from the page or the API, prepared by the job, emailed, and
fetched as a ZIP whose manifest counts equal its CSVs' rows."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.db import connection
from django.test import Client
from django.utils import timezone

from accounts.tokens import create_token
from audiences.calculation import calculate
from audiences.downloads import request_download
from audiences.models import Audience, Download, Member
from audiences.models.variations import Variation
from audiences.tasks import prepare_download, remove_expired_downloads
from audiences.variations import VariationIn, save_test
from tests.factories import WorkspaceFactory
from tests.variations.helpers import age_below, calculated_audience, generate_profiles

pytestmark = pytest.mark.django_db


def _customer_ids(tenant, mpids) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audiences_identity"
            " (account_id, mpid, workspace_id, identity_type, value, first_seen, last_seen)"
            " SELECT %s, m, %s, 'customer_id', 'C' || m, now(), now() FROM unnest(%s::bigint[]) AS m",
            [tenant.account.pk, tenant.workspace.pk, list(mpids)],
        )


def _csvs(archive: zipfile.ZipFile) -> dict[str, list[list[str]]]:
    return {
        name: list(csv.reader(io.TextIOWrapper(archive.open(name), encoding="utf-8")))
        for name in archive.namelist()
        if name.endswith(".csv")
    }


def _run(download_pk) -> Download:
    prepare_download(download_pk)  # the Celery task's body, as the worker runs it
    return Download.objects.get(pk=download_pk)


def test_a_download_of_two_variations_with_two_identity_types(tenant, other_tenant, client_for, settings):
    mpids = generate_profiles(tenant, 2_000)
    _customer_ids(tenant, mpids[::2])
    audience = calculated_audience(tenant, age_below(100))
    save_test(audience, [VariationIn(40, "Email"), VariationIn(40, "Push")])
    email, push = Variation.objects.filter(audience=audience, is_control=False).order_by("position")
    tenant.marketer.email = "marketer@example.com"
    tenant.marketer.save()
    web = client_for(tenant.marketer)

    page = web.get(f"/audiences/{audience.pk}/download/")
    assert page.status_code == 200 and b"customer_id" in page.content and b"Push (40%)" in page.content
    answer = web.post(
        f"/audiences/{audience.pk}/download/",
        {"identity_types": ["email", "customer_id"], "variation_ids": [email.pk, push.pk], "sample": "0"},
    )
    download = Download.objects.get()
    assert answer.status_code == 302 and answer["Location"] == download.get_absolute_url()
    assert b"Queued" in web.get(download.get_absolute_url()).content

    download = _run(download.pk)
    assert download.state == "ready" and download.expires_at > timezone.now() + dt.timedelta(days=6)
    assert len(mail.outbox) == 1 and download.get_absolute_url() in mail.outbox[0].body
    assert mail.outbox[0].to == ["marketer@example.com"]
    detail = web.get(download.get_absolute_url())
    assert b"Ready" in detail.content and download.file_url().encode() in detail.content

    fetched = web.get(download.file_url())
    assert fetched.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(fetched.streaming_content)))
    manifest = json.loads(archive.read("manifest.json"))
    files = _csvs(archive)
    assert len(files) == 2 and all(
        rows[0] == ["mpid", "scanned_timestamp_ms", "identity_value", "identity_type"] for rows in files.values()
    )
    assert manifest["audience_ids"] == [audience.pk]
    assert manifest["included_identities"] == ["email", "customer_id"]
    assert manifest["total_rows"] == sum(len(rows) - 1 for rows in files.values())
    for entry in manifest["files"]:
        rows = files[entry["file_name"]][1:]
        assert entry["total_rows"] == len(rows)
        assert entry["total_users"] == len({r[0] for r in rows})
        assert entry["rows_by_identity"] == {
            t: sum(1 for r in rows if r[3] == t) for t in ("email", "customer_id") if any(r[3] == t for r in rows)
        }
    in_email = set(Member.objects.filter(audience=audience, variation_id=email.pk).values_list("mpid", flat=True))
    email_file = next(rows for name, rows in files.items() if "_Email_" in name)
    assert {int(r[0]) for r in email_file[1:]} == in_email
    assert manifest["rows_by_identity"]["customer_id"] == sum(
        1 for rows in files.values() for r in rows[1:] if r[3] == "customer_id"
    )

    # The link needs a signed-in person of the account, and expires.
    assert Client().get(download.file_url()).status_code == 302  # to the login page
    assert client_for(other_tenant.marketer).get(download.file_url()).status_code == 404
    Download.objects.filter(pk=download.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert web.get(download.file_url()).status_code == 410

    # The beat task then deletes the expired file; the link keeps saying it expired.
    stored = Download.objects.get(pk=download.pk).file
    assert default_storage.exists(stored)
    assert remove_expired_downloads() == 1
    assert not default_storage.exists(stored)
    assert web.get(download.file_url()).status_code == 410
    assert remove_expired_downloads() == 0


def test_the_api_refuses_bad_requests_and_reports_progress(tenant):
    generate_profiles(tenant, 300)
    audience = calculated_audience(tenant, age_below(100))
    api = Client(
        headers={"Authorization": "Bearer " + create_token(account=tenant.account, name="t", role="marketer")[1]}
    )
    url = f"/platform/v1/audiences/{audience.pk}/downloads"

    bad = api.post(url, {"identity_types": ["ios_idfa"]}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["errors"][0]["path"] == "identity_types[0]"
    bad = api.post(url, {"identity_types": ["email"], "variation_ids": [99]}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["errors"][0]["path"] == "variation_ids[0]"
    bad = api.post(url, {"identity_types": ["email"], "since": "2020-01-01T00:00:00Z"}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["errors"][0]["path"] == "since"
    assert not Download.objects.exists()

    answer = api.post(url, {"identity_types": ["email"], "sample": True}, content_type="application/json")
    assert answer.status_code == 202 and answer.json()["state"] == "queued" and answer.json()["url"] is None
    uid = answer.json()["id"]
    _run(Download.objects.get().pk)
    status = api.get(f"/platform/v1/downloads/{uid}").json()
    assert status["state"] == "ready" and status["progress"] == 1.0 and status["total_rows"] == 300
    assert status["url"].endswith(f"/downloads/{uid}/file/")
    assert api.get("/platform/v1/downloads/not-a-uuid").status_code == 404


def test_membership_at_a_past_moment_and_the_diff_between_two(tenant, client_for):
    generate_profiles(tenant, 1_000)
    audience = calculated_audience(tenant, age_below(50))
    first = set(audience.members.values_list("mpid", flat=True))
    moment = timezone.now()
    Audience.objects.filter(pk=audience.pk).update(definition=age_below(30))
    audience.refresh_from_db()
    calculate(audience)
    Audience.objects.filter(pk=audience.pk).update(definition=age_below(70))
    audience.refresh_from_db()
    calculate(audience)
    now = set(audience.members.values_list("mpid", flat=True))

    web = client_for(tenant.marketer)
    web.post(
        f"/audiences/{audience.pk}/download/",
        {"identity_types": ["email"], "sample": "0", "at": moment.strftime("%Y-%m-%d %H:%M:%S.%f")},
    )
    past = _run(Download.objects.get().pk)
    files = _csvs(zipfile.ZipFile(io.BytesIO(b"".join(web.get(past.file_url()).streaming_content))))
    assert {int(r[0]) for rows in files.values() for r in rows[1:]} == first

    web.post(
        f"/audiences/{audience.pk}/download/",
        {
            "identity_types": ["email"],
            "sample": "0",
            "since": moment.strftime("%Y-%m-%d %H:%M:%S.%f"),
            "at": timezone.now().strftime("%Y-%m-%d %H:%M:%S.%f"),
        },
    )
    diff = _run(Download.objects.latest("created_at").pk)
    assert diff.state == "ready", diff.error
    files = _csvs(zipfile.ZipFile(io.BytesIO(b"".join(web.get(diff.file_url()).streaming_content))))
    adds = next(rows for name, rows in files.items() if "_adds_" in name)
    drops = next(rows for name, rows in files.items() if "_drops_" in name)
    assert {int(r[0]) for r in adds[1:]} == now - first
    assert {int(r[0]) for r in drops[1:]} == first - now


def test_awkward_values_round_trip_and_an_identity_seen_in_two_workspaces_is_one_row(tenant):
    mpids = generate_profiles(tenant, 20)
    audience = calculated_audience(tenant, age_below(100))
    second = WorkspaceFactory(account=tenant.account, name="Acme web")
    audience.workspaces.add(second)
    awkward = {mpids[0]: 'Smith, "Jo"', mpids[1]: "two\nlines", mpids[2]: "tab\tand ; semicolon"}
    with connection.cursor() as cursor:
        # Every email seen again in the second workspace, and awkward customer ids there.
        cursor.execute(
            "INSERT INTO audiences_identity"
            " (account_id, mpid, workspace_id, identity_type, value, first_seen, last_seen)"
            " SELECT account_id, mpid, %s, identity_type, value, now(), now() FROM audiences_identity"
            " WHERE account_id = %s",
            [second.pk, tenant.account.pk],
        )
        for mpid, value in awkward.items():
            cursor.execute(
                "INSERT INTO audiences_identity"
                " (account_id, mpid, workspace_id, identity_type, value, first_seen, last_seen)"
                " VALUES (%s, %s, %s, 'customer_id', %s, now(), now())",
                [tenant.account.pk, mpid, second.pk, value],
            )
    download = request_download(audience, requested_by=tenant.marketer, identity_types=["email", "customer_id"])
    download = _run(download.pk)
    with default_storage.open(download.file, "rb") as raw:
        archive = zipfile.ZipFile(io.BytesIO(raw.read()))
    (rows,) = _csvs(archive).values()
    manifest = json.loads(archive.read("manifest.json"))
    assert len(rows) - 1 == 23 == manifest["total_rows"]  # 20 emails once each, 3 customer ids
    assert manifest["rows_by_identity"] == {"email": 20, "customer_id": 3}
    assert {int(r[0]): r[2] for r in rows[1:] if r[3] == "customer_id"} == awkward
    assert [int(r[0]) for r in rows[1:]] == sorted(int(r[0]) for r in rows[1:])
