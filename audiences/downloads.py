"""Audience downloads: a ZIP with one CSV per audience or variation and a manifest.json.

Rows are read through a server-side cursor and written into the ZIP as they come, so the job's
memory stays flat whatever the audience's size. Each CSV has one row per identity of a member
(`mpid, scanned_timestamp_ms, identity_value, identity_type`), so a profile may have several.

Besides current membership, a download can show the membership as it was at a past moment
(`at`, rebuilt from the change log: a user is a member at `at` when their last change up to
then is an add) and the difference between two moments (`since` and `at`: an `_adds` and a
`_drops` CSV per file). Past moments carry the variation recorded in the log; before a test
was saved the log holds no variation, so a past download by variation only sees later changes.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.db import connection as db
from django.db import transaction
from django.utils import timezone

from audiences.models import Audience, AudienceKind, Download, DownloadState, Variation

log = logging.getLogger(__name__)

LINK_LIFETIME = dt.timedelta(days=7)
SAMPLE_USERS = 1_000
FETCH = 5_000
PROGRESS_EVERY = 50_000
# zlib level 1: a third of the CPU of the default level 6 for an archive some 30% larger.
COMPRESS_LEVEL = 1


class DownloadRefused(Exception):
    def __init__(self, errors: list[dict[str, str]], status: int = 400):
        super().__init__("; ".join(f"{e['path']}: {e['message']}" for e in errors))
        self.errors = errors
        self.status = status


def identity_types_of(audience: Audience) -> list[str]:
    """The identity types at least one current member has (one cheap EXISTS per known type)."""
    workspaces = list(audience.workspaces.values_list("pk", flat=True))
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT identity_type FROM audiences_identity WHERE account_id = %s AND workspace_id = ANY(%s)",
            [audience.account_id, workspaces],
        )
        known = sorted(row[0] for row in cursor.fetchall())
        present = []
        for identity_type in known:
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM audiences_member AS m JOIN audiences_identity AS i ON i.mpid = m.mpid"
                " WHERE m.audience_id = %s AND i.identity_type = %s AND i.workspace_id = ANY(%s))",
                [audience.pk, identity_type, workspaces],
            )
            if cursor.fetchone()[0]:
                present.append(identity_type)
    return present


def request_download(
    audience: Audience,
    *,
    requested_by,
    identity_types: list[str],
    variation_ids: list[int] | None = None,
    sample: bool = False,
    at: dt.datetime | None = None,
    since: dt.datetime | None = None,
) -> Download:
    """Check the request and queue the job that prepares the file."""
    errors: list[dict[str, str]] = []
    if audience.kind != AudienceKind.REALTIME:
        message = "downloads are for real-time audiences; send a standard audience to an output"
        raise DownloadRefused([{"path": "audience", "message": message}])
    identity_types = list(dict.fromkeys(identity_types or []))
    present = identity_types_of(audience)
    if not identity_types:
        errors.append({"path": "identity_types", "message": "choose at least one identity type"})
    for index, identity_type in enumerate(identity_types):
        if identity_type not in present:
            message = f"no member of this audience has a {identity_type!r} identity"
            errors.append({"path": f"identity_types[{index}]", "message": message})
    variation_ids = list(dict.fromkeys(variation_ids or []))
    known = set(Variation.objects.filter(audience=audience).values_list("pk", flat=True))
    for index, variation_id in enumerate(variation_ids):
        if variation_id not in known:
            errors.append({"path": f"variation_ids[{index}]", "message": "no such A/B variation of this audience"})
    now = timezone.now()
    if since is not None and at is None:
        errors.append({"path": "since", "message": "a diff needs both moments: give `at` as well"})
    if at is not None and at > now:
        errors.append({"path": "at", "message": "a moment in the past"})
    if since is not None and at is not None and since >= at:
        errors.append({"path": "since", "message": "the earlier moment of the diff comes before `at`"})
    if errors:
        raise DownloadRefused(errors)
    with transaction.atomic():
        download = Download.objects.create(
            account_id=audience.account_id,
            audience=audience,
            requested_by=requested_by,
            identity_types=identity_types,
            variation_ids=variation_ids,
            sample=bool(sample),
            at=at,
            since=since,
        )
        from audiences.tasks import prepare_download

        transaction.on_commit(lambda: prepare_download.delay(download.pk))
    return download


@dataclass
class FileStats:
    file_name: str
    min_timestamp_ms: int | None = None
    max_timestamp_ms: int | None = None
    total_users: int = 0
    total_rows: int = 0
    rows_by_identity: dict[str, int] = field(default_factory=dict)

    def manifest(self) -> dict[str, Any]:
        return {
            "file_name": self.file_name,
            "min_timestamp_ms": self.min_timestamp_ms,
            "max_timestamp_ms": self.max_timestamp_ms,
            "total_users": self.total_users,
            "total_rows": self.total_rows,
            "rows_by_identity": self.rows_by_identity,
        }


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "", text)[:60] or "Audience"


def _members_sql(download: Download, moment: dt.datetime | None, variation_id: int | None) -> tuple[str, dict]:
    """SQL of the mpids of the audience (or variation) now, or at a past moment."""
    params: dict[str, Any] = {"audience": download.audience_id, "variation": variation_id, "moment": moment}
    only = " AND variation_id = %(variation)s" if variation_id is not None else ""
    if moment is None:
        return f"SELECT mpid FROM audiences_member WHERE audience_id = %(audience)s{only}", params
    return (
        "SELECT mpid FROM (SELECT DISTINCT ON (mpid) mpid, added, variation_id FROM audiences_membershipchange"
        " WHERE audience_id = %(audience)s AND at <= %(moment)s ORDER BY mpid, seq DESC) AS last"
        f" WHERE added{only}"
    ), params


def _plan(download: Download) -> list[tuple[str, str, dict, int | None]]:
    """(file suffix, SQL of the mpids, params) per CSV of the archive."""
    targets: list[tuple[str, int | None]] = [("", None)]
    if download.variation_ids:
        names = dict(Variation.objects.filter(pk__in=download.variation_ids).values_list("pk", "name"))
        targets = [(f"_{_slug(names.get(v, str(v)))}", v) for v in download.variation_ids]
    files = []
    for suffix, variation_id in targets:
        if download.since is not None:
            now_sql, params = _members_sql(download, download.at, variation_id)
            then_sql, _ = _members_sql(download, download.since, variation_id)
            then_sql = then_sql.replace("%(moment)s", "%(since)s")
            params = {**params, "since": download.since}
            files.append((f"{suffix}_adds", f"{now_sql} EXCEPT {then_sql}", params, variation_id))
            files.append((f"{suffix}_drops", f"{then_sql} EXCEPT {now_sql}", params, variation_id))
        else:
            sql, params = _members_sql(download, download.at, variation_id)
            files.append((suffix, sql, params, variation_id))
    return files


# One CSV line per row, written by PostgreSQL: a value is quoted (its quotes doubled) only when
# it holds a comma, a quote or a line break, as Python's csv module does. Building the lines in
# Python (csv.writer) cost three times the query itself on a million members.
CSV_LINE = (
    "s.mpid::text || ',' || %(scanned)s::text || ','"
    " || CASE WHEN i.value ~ '[\",\\r\\n]' THEN '\"' || replace(i.value, '\"', '\"\"') || '\"' ELSE i.value END"
    " || ',' || i.identity_type || E'\\r\\n'"
)
HEADER = b"mpid,scanned_timestamp_ms,identity_value,identity_type\r\n"


def _write_file(download: Download, out, sql: str, params: dict, stats: FileStats, progress) -> None:
    """Stream one CSV: members joined to their identities of the chosen types, in mpid order."""
    workspaces = list(download.audience.workspaces.values_list("pk", flat=True))
    limit = f" ORDER BY mpid LIMIT {SAMPLE_USERS}" if download.sample else ""
    # The same identity seen in two workspaces of the audience is one row. A workspace never
    # holds it twice (identity_unique_per_workspace), so one workspace needs no DISTINCT.
    distinct = "DISTINCT " if len(workspaces) > 1 else ""
    query = (
        f"SELECT {distinct}s.mpid, i.identity_type, {CSV_LINE} FROM ({sql}{limit}) AS s"
        " JOIN audiences_identity AS i ON i.mpid = s.mpid"
        " WHERE i.identity_type = ANY(%(types)s) AND i.workspace_id = ANY(%(workspaces)s)"
        " ORDER BY s.mpid"
    )
    moment = download.at or timezone.now()
    scanned = int(moment.timestamp() * 1000)
    params = {**params, "types": download.identity_types, "workspaces": workspaces, "scanned": scanned}
    out.write(HEADER)
    last_mpid = None
    counts: dict[str, int] = dict.fromkeys(download.identity_types, 0)
    with transaction.atomic():
        cursor = db.chunked_cursor()  # a named (server-side) cursor: rows arrive FETCH at a time
        try:
            cursor.execute(query, params)
            while rows := cursor.fetchmany(FETCH):
                users = 0
                for mpid, identity_type, _line in rows:
                    if mpid != last_mpid:
                        last_mpid = mpid
                        users += 1
                    counts[identity_type] += 1
                out.write("".join([row[2] for row in rows]).encode())
                stats.total_users += users
                stats.total_rows += len(rows)
                progress(users)
        finally:
            cursor.close()
    stats.rows_by_identity = {key: rows for key, rows in counts.items() if rows}
    if stats.total_rows:
        stats.min_timestamp_ms = stats.max_timestamp_ms = scanned


def _expected_users(download: Download, files) -> int:
    total = 0
    with db.cursor() as cursor:
        for _suffix, sql, params, _variation in files:
            cursor.execute(f"SELECT count(*) FROM ({sql}) AS s", params)
            count = cursor.fetchone()[0]
            total += min(count, SAMPLE_USERS) if download.sample else count
    return max(total, 1)


def prepare(download: Download) -> Download:
    """The job: write the ZIP under the default storage, then tell the person."""
    Download.objects.filter(pk=download.pk).update(state=DownloadState.PREPARING, progress=0.0, error="")
    try:
        _prepare(download)
    except Exception as exc:
        Download.objects.filter(pk=download.pk).update(state=DownloadState.FAILED, error=str(exc)[:2000])
        log.warning("download %s failed: %s", download.pk, exc)
        raise
    download.refresh_from_db()
    _tell(download)
    return download


def _prepare(download: Download) -> None:
    audience = download.audience
    started = timezone.now()
    stamp = started.strftime("%H%M%S%b%d%Y")
    archive_name = f"OpenAudience_{stamp}_{download.uid.hex[:4]}.zip"
    files = _plan(download)
    expected = _expected_users(download, files)
    done = 0

    def progress(users: int) -> None:
        nonlocal done
        before, done = done, done + users
        if before // PROGRESS_EVERY != done // PROGRESS_EVERY:
            Download.objects.filter(pk=download.pk).update(progress=min(done / expected, 0.99))

    name = f"downloads/{download.account_id}/{download.uid}.zip"
    try:
        local = default_storage.path(name)
        os.makedirs(os.path.dirname(local), exist_ok=True)
        target = open(local, "wb")  # noqa: SIM115 - closed below, after the archive is complete
    except NotImplementedError:  # a remote storage: build the file aside, then upload it
        local = None
        target = tempfile.TemporaryFile()  # noqa: SIM115 - closed with the archive
    all_stats = []
    archive = zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL)
    with target, archive:
        for suffix, sql, params, _variation in files:
            stats = FileStats(f"{audience.pk}_{_slug(audience.name)}{suffix}_{stamp}.csv")
            with archive.open(stats.file_name, "w", force_zip64=True) as out:
                _write_file(download, out, sql, params, stats, progress)
            all_stats.append(stats)
        totals: dict[str, int] = {}
        for stats in all_stats:
            for key, rows in stats.rows_by_identity.items():
                totals[key] = totals.get(key, 0) + rows
        stamps = [s.min_timestamp_ms for s in all_stats if s.min_timestamp_ms is not None]
        manifest = {
            "archive_name": archive_name,
            "id": str(download.uid),
            "audience_ids": [audience.pk],
            "included_identities": download.identity_types,
            "manifest_generated": timezone.now().isoformat().replace("+00:00", "Z"),
            "min_timestamp_ms": min(stamps) if stamps else None,
            "max_timestamp_ms": max(stamps) if stamps else None,
            "total_rows": sum(s.total_rows for s in all_stats),
            "rows_by_identity": totals,
            "files": [s.manifest() for s in all_stats],
        }
        if download.at is not None:
            manifest["membership_at"] = download.at.isoformat()
        if download.since is not None:
            manifest["changes_since"] = download.since.isoformat()
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))
        if local is None:
            archive.close()
            target.seek(0)
            name = default_storage.save(name, File(target))
    finished = timezone.now()
    Download.objects.filter(pk=download.pk).update(
        state=DownloadState.READY,
        progress=1.0,
        file=name,
        archive_name=archive_name,
        total_rows=manifest["total_rows"],
        finished_at=finished,
        expires_at=finished + LINK_LIFETIME,
    )


def _tell(download: Download) -> None:
    """Email the person the (login-protected, expiring) link; the app shows a notice too."""
    person = download.requested_by
    if person is None or not person.email:
        return
    link = settings.SITE_URL.rstrip("/") + download.get_absolute_url()
    send_mail(
        subject=f"Your download of {download.audience.name} is ready",
        message=(
            f"The download of {download.audience.name} ({download.total_rows} rows) is ready:\n{link}\n\n"
            f"Sign in to get it. The link works until {download.expires_at:%Y-%m-%d %H:%M} UTC."
        ),
        from_email=None,
        recipient_list=[person.email],
    )


def is_expired(download: Download, now: dt.datetime | None = None) -> bool:
    return download.expires_at is not None and (now or timezone.now()) >= download.expires_at


def remove_expired_files(now: dt.datetime | None = None) -> int:
    """Delete the ZIPs whose links have expired (a beat task): nobody can fetch them any more,
    and a million-member download is some 12 MB. The rows stay, as the history of downloads."""
    expired = Download.objects.filter(expires_at__lte=now or timezone.now()).exclude(file="")
    removed = 0
    for download in expired.only("pk", "file"):
        default_storage.delete(download.file)
        removed += Download.objects.filter(pk=download.pk, file=download.file).update(file="")
    return removed


NOTICES_SHOWN = 5


def ready_notices(user, account) -> list[Download]:
    """Ready downloads the person asked for in this account and has neither opened nor
    dismissed, whose link still works: the in-app notice. One query, whatever their number."""
    return list(
        Download.objects.filter(
            requested_by=user,
            account=account,
            state=DownloadState.READY,
            seen_at__isnull=True,
            expires_at__gt=timezone.now(),
        ).select_related("audience")[:NOTICES_SHOWN]
    )


def mark_seen(download: Download, user) -> bool:
    """The person who asked for the download has seen it (opened it, fetched it or dismissed
    its notice), so the app stops showing the notice. Others looking at it change nothing."""
    if download.requested_by_id != user.pk or download.seen_at is not None or download.state != DownloadState.READY:
        return False  # a notice only exists once the file is ready
    download.seen_at = timezone.now()
    return bool(Download.objects.filter(pk=download.pk, seen_at__isnull=True).update(seen_at=download.seen_at))
