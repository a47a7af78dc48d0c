"""Downloads: the audience download job on 1,000,000 members, beside a raw COPY of its rows.

Profiles, their identities (an email each, a customer id for every other one) and the
audience's member rows are written by `generate_series` SQL. The real job
(`audiences.tasks.prepare_download`, the Celery task's body) then runs in a process of its
own, which reports its wall time and its peak resident memory (`ru_maxrss`): the download
must stream, so that peak must stay flat (aim under 300 MB) whatever the audience's size.
The ZIP is then opened and every CSV counted, so the figures are only reported for a file
whose manifest counts equal its rows. The floor it is compared with is one
`COPY (SELECT ...) TO STDOUT` of the same rows (members joined to their identities, in mpid
order), read and dropped by this process.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import resource
import subprocess
import sys
import time
import zipfile

from tests.benchmarks.harness import ROOT, Figure

SECTION = "downloads"
IDENTITY_TYPES = ["email", "customer_id"]
MEMORY_AIM_MB = 300
FIRST_MPID = 10_000_000_000
STEP = 7_919  # spread mpids out, as real ones are


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(SECTION)
    group.add_argument(
        "--download-members", type=int, default=1_000_000, help="members of the downloaded audience (default 1e6)"
    )


def populate(members: int):
    """An account, a workspace and a real-time audience with `members` members; answers it."""
    from django.db import connection

    from accounts.models import Account, Workspace
    from audiences.models import Audience

    account = Account.objects.create(name=f"Download benchmark {time.strftime('%Y-%m-%d %H:%M:%S')}")
    workspace = Workspace.objects.create(account=account, name="Benchmark")
    audience = Audience.objects.create(account=account, name="Everyone", status="active", size=members)
    audience.workspaces.set([workspace])
    params = {
        "count": members,
        "first": FIRST_MPID,
        "step": STEP,
        "account": account.pk,
        "workspace": workspace.pk,
        "audience": audience.pk,
    }
    ids = "SELECT g AS n, %(first)s::bigint + g * %(step)s::bigint AS mpid FROM generate_series(0, %(count)s - 1) AS g"
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audiences_profile (mpid, account_id, sample_bucket, created_at)"
            f" SELECT mpid, %(account)s, audiences_sample_bucket(mpid), now() FROM ({ids}) AS ids",
            params,
        )
        cursor.execute(
            "INSERT INTO audiences_identity"
            " (account_id, mpid, workspace_id, identity_type, value, first_seen, last_seen)"
            " SELECT %(account)s, mpid, %(workspace)s, 'email', 'user' || mpid || '@example.com', now(), now()"
            f" FROM ({ids}) AS ids"
            " UNION ALL"
            " SELECT %(account)s, mpid, %(workspace)s, 'customer_id', 'C' || mpid, now(), now()"
            f" FROM ({ids}) AS ids WHERE n %% 2 = 0",
            params,
        )
        cursor.execute(
            "INSERT INTO audiences_member (audience_id, mpid, variation_id, added_at)"
            f" SELECT %(audience)s, mpid, NULL, now() FROM ({ids}) AS ids",
            params,
        )
        cursor.execute("ANALYZE audiences_profile, audiences_identity, audiences_member")
    return audience


def raw_copy(audience) -> tuple[int, float]:
    """The same rows through one COPY to this process: (rows, seconds)."""
    from django.db import connection

    workspaces = list(audience.workspaces.values_list("pk", flat=True))
    types = ", ".join(f"'{t}'" for t in IDENTITY_TYPES)
    query = (
        f"SELECT m.mpid, {int(time.time() * 1000)}, i.value, i.identity_type FROM audiences_member AS m"
        " JOIN audiences_identity AS i ON i.mpid = m.mpid"
        f" WHERE m.audience_id = {audience.pk:d} AND i.identity_type IN ({types})"
        f" AND i.workspace_id IN ({', '.join(str(int(w)) for w in workspaces)})"
        " ORDER BY m.mpid"
    )
    rows = 0
    began = time.perf_counter()
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)") as copy:
        for chunk in copy:
            rows += bytes(chunk).count(b"\n")
    return rows, time.perf_counter() - began


def run_job(download_id: int) -> dict:
    """Run the download job in a process of its own; answer its report."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.downloads", str(download_id)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the download job failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def check_archive(path: str) -> tuple[dict, dict[str, int]]:
    """Open the ZIP; answer its manifest and the data rows counted in each CSV, after
    checking that the manifest's counts equal them."""
    counted: dict[str, int] = {}
    by_identity: dict[str, int] = {}
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        for entry in manifest["files"]:
            rows, mine = 0, {}
            with archive.open(entry["file_name"]) as raw:
                reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8", newline=""))
                if next(reader) != ["mpid", "scanned_timestamp_ms", "identity_value", "identity_type"]:
                    raise AssertionError(f"{entry['file_name']}: unexpected header")
                for row in reader:
                    rows += 1
                    mine[row[3]] = mine.get(row[3], 0) + 1
            if rows != entry["total_rows"] or mine != entry["rows_by_identity"]:
                raise AssertionError(f"{entry['file_name']}: manifest says {entry}, the CSV has {rows} rows {mine}")
            counted[entry["file_name"]] = rows
            for key, value in mine.items():
                by_identity[key] = by_identity.get(key, 0) + value
    if manifest["total_rows"] != sum(counted.values()) or manifest["rows_by_identity"] != by_identity:
        raise AssertionError(f"manifest totals {manifest['total_rows']} differ from the CSVs' {sum(counted.values())}")
    if set(by_identity) != set(IDENTITY_TYPES):
        raise AssertionError(f"identity types in the CSVs: {sorted(by_identity)}")
    return manifest, counted


def run(options: argparse.Namespace) -> list[Figure]:
    from django.core.files.storage import default_storage

    from audiences.models import Download

    members = options.download_members
    print(f"[{SECTION}] writing {members:,} members with their identities ...", flush=True)
    began = time.perf_counter()
    audience = populate(members)
    print(f"[{SECTION}] written in {time.perf_counter() - began:.0f} s; running the job ...", flush=True)
    # The row the download form or the API would create; the job then runs as a worker runs it.
    download = Download.objects.create(
        account_id=audience.account_id, audience=audience, identity_types=IDENTITY_TYPES, variation_ids=[]
    )
    report = run_job(download.pk)
    download.refresh_from_db()
    if download.state != "ready":
        raise RuntimeError(f"the download ended {download.state}: {download.error}")
    path = default_storage.path(download.file)
    size_mb = default_storage.size(download.file) / 2**20
    manifest, counted = check_archive(path)
    rows = manifest["total_rows"]
    copy_rows, copy_seconds = raw_copy(audience)
    if copy_rows != rows:
        raise AssertionError(f"the raw COPY read {copy_rows} rows, the download wrote {rows}")
    default_storage.delete(download.file)

    job_rate = rows / report["seconds"]
    copy_rate = copy_rows / copy_seconds
    peak = report["peak_mb"]
    return [
        Figure(
            SECTION, "members / rows written", f"{members:,} / {rows:,}", f"{len(counted)} CSV, {size_mb:.0f} MB ZIP"
        ),
        Figure(SECTION, "download job rows/s", f"{job_rate:,.0f}", f"{report['seconds']:.1f} s for the whole job"),
        Figure(SECTION, "job CPU (s)", f"{report['cpu']:.1f}", "of the job's process, PostgreSQL not included"),
        Figure(
            SECTION, "job peak memory (MB)", f"{peak:.0f}", f"aim < {MEMORY_AIM_MB}; {report['start_mb']:.0f} at start"
        ),
        Figure(SECTION, "raw COPY rows/s", f"{copy_rate:,.0f}", f"{copy_seconds:.1f} s, same rows and order"),
        Figure(SECTION, "job / raw COPY", f"{job_rate / copy_rate:.2f}", "manifest counts = CSV rows: checked"),
    ]


def job(download_id: int) -> None:
    """The separate process: the task's body, then its time and peak memory as JSON."""
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from audiences.tasks import prepare_download

    before = resource.getrusage(resource.RUSAGE_SELF)
    began = time.perf_counter()
    prepare_download(download_id)
    seconds = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_SELF)
    # CPU time hardly changes when other work shares the machine: the figure to compare.
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    report = {"seconds": seconds, "cpu": cpu, "peak_mb": after.ru_maxrss / 1024, "start_mb": before.ru_maxrss / 1024}
    print(json.dumps(report))  # ru_maxrss is in kB on Linux


if __name__ == "__main__":
    job(int(sys.argv[1]))
