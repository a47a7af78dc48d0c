"""The in-app notice of a ready download: shown in the shell of every page to the person who
asked for it (never to anyone else), with the login-protected expiring link, until opened
or dismissed; one query for all of them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audiences.downloads import request_download
from audiences.models import Download
from audiences.tasks import prepare_download
from tests.variations.helpers import age_below, calculated_audience, generate_profiles

pytestmark = pytest.mark.django_db

PAGES = ["/audiences/real-time/", "/setup/inputs/", "/setup/outputs/", "/profiles/"]


@pytest.fixture
def audience(tenant):
    generate_profiles(tenant, 50)
    return calculated_audience(tenant, age_below(100), name="Lapsed buyers")


def _ready(audience, person) -> Download:
    download = request_download(audience, requested_by=person, identity_types=["email"])
    prepare_download(download.pk)  # the Celery task's body, as the worker runs it
    return Download.objects.get(pk=download.pk)


def _notice(download: Download) -> str:
    return f'id="download-notice-{download.uid}"'


def _queries(client, url: str, *, htmx: bool = False) -> int:
    with CaptureQueriesContext(connection) as captured:
        answer = client.get(url, headers={"HX-Request": "true"} if htmx else {})
        assert answer.status_code == 200
        assert (b"download-notice" in answer.content) is False or not htmx
    return len(captured.captured_queries)


def test_the_person_who_asked_sees_the_notice_on_every_page(tenant, audience, client_for):
    download = _ready(audience, tenant.marketer)
    web = client_for(tenant.marketer)
    for url in [*PAGES, audience.get_absolute_url()]:
        page = web.get(url).content.decode()
        assert _notice(download) in page, url
        assert download.file_url() in page and download.archive_name in page
        assert "Lapsed buyers" in page and download.expires_at.strftime("%Y-%m-%d %H:%M") in page
    # The link is the protected one: it still needs a session of the account.
    assert web.get(download.file_url()).status_code == 200


def test_nobody_else_sees_it(tenant, other_tenant, audience, client_for):
    download = _ready(audience, tenant.marketer)
    for person in (other_tenant.marketer, other_tenant.admin, tenant.admin, tenant.support):
        page = client_for(person).get("/audiences/real-time/").content.decode()
        assert _notice(download) not in page and download.file_url() not in page
    # Another account's person can neither dismiss it nor fetch it.
    outsider = client_for(other_tenant.marketer)
    assert outsider.post(f"/downloads/{download.uid}/dismiss/").status_code == 404
    assert outsider.get(download.file_url()).status_code == 404
    download.refresh_from_db()
    assert download.seen_at is None
    # A colleague's dismiss (same account) does not hide the asker's notice.
    assert client_for(tenant.admin).post(f"/downloads/{download.uid}/dismiss/").status_code == 302
    assert _notice(download) in client_for(tenant.marketer).get("/audiences/real-time/").content.decode()


def test_dismiss_hides_it_and_goes_back(tenant, audience, client_for):
    download = _ready(audience, tenant.marketer)
    web = client_for(tenant.marketer)
    answer = web.post(f"/downloads/{download.uid}/dismiss/", {"next": "/setup/inputs/"})
    assert answer.status_code == 302 and answer["Location"] == "/setup/inputs/"
    assert _notice(download) not in web.get("/setup/inputs/").content.decode()
    # Somewhere else than this site is never a destination.
    answer = web.post(f"/downloads/{download.uid}/dismiss/", {"next": "https://evil.example/"})
    assert answer.status_code == 302 and answer["Location"] == audience.get_absolute_url()
    assert web.get(f"/downloads/{download.uid}/dismiss/").status_code == 405
    # The download itself stays reachable from its page.
    assert web.get(download.file_url()).status_code == 200


def test_dismiss_from_htmx_swaps_the_notice_out(tenant, audience, client_for):
    download = _ready(audience, tenant.marketer)
    web = client_for(tenant.marketer)
    answer = web.post(f"/downloads/{download.uid}/dismiss/", headers={"HX-Request": "true"})
    assert answer.status_code == 200 and answer.content == b""
    assert _notice(download) not in web.get("/audiences/real-time/").content.decode()


def test_fetching_it_counts_as_seen_looking_at_its_page_does_not(tenant, audience, client_for):
    web = client_for(tenant.marketer)
    opened, fetched = _ready(audience, tenant.marketer), _ready(audience, tenant.marketer)
    web.get(opened.get_absolute_url())
    b"".join(web.get(fetched.file_url()).streaming_content)
    page = web.get("/audiences/real-time/").content.decode()
    assert _notice(opened) in page and _notice(fetched) not in page


def test_no_notice_before_ready_or_after_the_link_expired(tenant, audience, client_for):
    web = client_for(tenant.marketer)
    queued = request_download(audience, requested_by=tenant.marketer, identity_types=["email"])
    # Dismissing it early must not swallow the notice it will get once ready.
    web.post(f"/downloads/{queued.uid}/dismiss/")
    assert _notice(queued) not in web.get("/audiences/real-time/").content.decode()
    prepare_download(queued.pk)
    assert _notice(queued) in web.get("/audiences/real-time/").content.decode()
    Download.objects.filter(pk=queued.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert _notice(queued) not in web.get("/audiences/real-time/").content.decode()


def test_one_query_for_all_notices(tenant, audience, client_for):
    web = client_for(tenant.marketer)
    url = "/setup/inputs/"
    fragment = "/audiences/real-time/"
    none, fragment_none = _queries(web, url), _queries(web, fragment, htmx=True)
    _ready(audience, tenant.marketer)
    one = _queries(web, url)
    for _ in range(3):
        _ready(audience, tenant.marketer)
    four = _queries(web, url)
    assert none == one == four  # one query for the notices, however many there are (none included)
    assert web.get(url).content.decode().count('class="notice-banner download-notice"') == 4
    # An HTMX fragment has no shell, so it pays nothing for the notices.
    assert _queries(web, fragment, htmx=True) == fragment_none
