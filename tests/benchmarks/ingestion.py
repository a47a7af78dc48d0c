"""Ingestion: events per second through /v2/bulkevents on one web process, beside a raw COPY.

The requests carry the demo's batches (one app session each, ~10 events, with identities,
device info, user attributes and consent), 100 batches a request, with timestamps of the
last day as live traffic has. A load generator in its own process posts them over one
keep-alive connection to one gunicorn worker. The same rows are then written again with a
single raw COPY into the same table: the floor that the whole Events API path is compared
with. The in-process line (JSON decoding, `parse_batch` and `ingest()` without HTTP) shows
how much of the cost is the web stack.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.benchmarks.harness import ROOT, Figure, cpu_seconds, web_server

SECTION = "ingestion"
BATCHES_PER_REQUEST = 100
WARM_UP_REQUESTS = 4
GC_THRESHOLDS = (50_000, 20, 100)  # as gunicorn.conf.py sets for web processes
COLUMNS = (
    "account_id, tier, timestamp, workspace_id, input_id, mpid, event_type, name, "
    "custom_event_type, attributes, commerce, extra, received_at"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(SECTION)
    group.add_argument("--requests", type=int, default=60, help="measured requests of 100 batches (default 60)")
    group.add_argument("--in-process-requests", type=int, default=20, help="requests for the in-process line")
    group.add_argument("--connections", type=int, default=1, help="keep-alive connections of the load generator")
    group.add_argument("--threads", type=int, default=1, help="threads of the one gunicorn worker")


def build_requests(count: int, seed: int) -> list[bytes]:
    """`count` bodies of 100 demo batches each, ready to post.

    The batches are shuffled across requests, as a bulk sender's traffic mixes its users: a
    user's later sessions mostly arrive in later requests and update a stored profile.
    """
    from audiences.demo.story import DemoStory

    story = DemoStory(profiles=10**9, seed=seed, now_ms=int(time.time() * 1000), window_days=1)
    wanted = count * BATCHES_PER_REQUEST
    batches = []
    for delivery in story.deliveries():
        batches.append(delivery.batch)
        if len(batches) == wanted:
            break
    random.Random(seed).shuffle(batches)
    return [
        json.dumps(batches[start : start + BATCHES_PER_REQUEST], separators=(",", ":")).encode()
        for start in range(0, wanted, BATCHES_PER_REQUEST)
    ]


def events_in(bodies: list[bytes]) -> int:
    return sum(len(batch.get("events") or []) for body in bodies for batch in json.loads(body))


def post(url: str, key: str, secret: str, bodies: list[bytes], connections: int, folder: Path) -> dict:
    """Send the bodies from a load generator process; answer its report."""
    from tests.benchmarks.loadgen import write_bodies

    data = folder / "bodies.bin"
    write_bodies(data, bodies)
    spec = folder / "spec.json"
    spec.write_text(
        json.dumps(
            {
                "url": f"{url}/v2/bulkevents",
                "key": key,
                "secret": secret,
                "bodies": str(data),
                "connections": connections,
            }
        )
    )
    done = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.loadgen", str(spec)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(done.stdout)
    if set(report["statuses"]) != {"202"}:
        raise RuntimeError(f"the server refused requests: {report['statuses']} {report['failures']}")
    return report


def in_process(source, bodies: list[bytes]) -> float:
    """Seconds to decode, validate and store the bodies without HTTP, as the view does (with
    the collector thresholds gunicorn.conf.py gives web processes)."""
    from audiences.ingestion.service import ingest
    from audiences.ingestion.wire import parse_batch

    thresholds = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        began = time.perf_counter()
        for body in bodies:
            parsed = [parse_batch(raw)[0] for raw in json.loads(body)]
            ingest(source, parsed)
        return time.perf_counter() - began
    finally:
        gc.set_threshold(*thresholds)


def database_cpu(pids: list[int]) -> float | None:
    found = [cpu_seconds(pid) for pid in pids]
    return None if not found or None in found else sum(found)


def other_backends() -> list[int]:
    """PostgreSQL backends on the bench database other than this process's own."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


def raw_copy(input_id: int) -> tuple[int, float, float | None]:
    """Copy the rows that input stored out, then time one COPY of them back into the table;
    answer the rows, the seconds and the PostgreSQL CPU seconds it took."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        stored = f"SELECT {COLUMNS} FROM audiences_event WHERE input_id = {input_id:d}"
        with cursor.cursor.copy(f"COPY ({stored}) TO STDOUT") as copy:
            chunks = [bytes(chunk) for chunk in copy]
        rows = sum(chunk.count(b"\n") for chunk in chunks)
        cursor.execute("SELECT pg_backend_pid()")
        backend = [cursor.fetchone()[0]]
        cpu_before = database_cpu(backend)
        began = time.perf_counter()
        with transaction.atomic(), cursor.cursor.copy(f"COPY audiences_event ({COLUMNS}) FROM STDIN") as copy:
            for chunk in chunks:
                copy.write(chunk)
        seconds = time.perf_counter() - began
        cpu_after = database_cpu(backend)
        cpu = cpu_after - cpu_before if cpu_before is not None and cpu_after is not None else None
        return rows, seconds, cpu


def run(options: argparse.Namespace) -> list[Figure]:
    from accounts.models import Account, Workspace
    from audiences.inputs import create_input

    account = Account.objects.create(name=f"Benchmark {time.strftime('%Y-%m-%d %H:%M:%S')}")
    workspace = Workspace.objects.create(account=account, name="Benchmark")
    warm, warm_secret = create_input(workspace=workspace, name="Warm-up", platform="ios", rate_limit=10_000)
    http, http_secret = create_input(workspace=workspace, name="HTTP", platform="ios", rate_limit=10_000)
    local, _ = create_input(workspace=workspace, name="In-process", platform="ios")

    total = WARM_UP_REQUESTS + options.requests + options.in_process_requests
    print(f"[{SECTION}] preparing {total} requests of {BATCHES_PER_REQUEST} demo batches", flush=True)
    bodies = build_requests(total, seed=options.seed)
    warm_up = bodies[:WARM_UP_REQUESTS]
    measured = bodies[WARM_UP_REQUESTS : WARM_UP_REQUESTS + options.requests]
    local_bodies = bodies[WARM_UP_REQUESTS + options.requests :]
    events = events_in(measured)

    with tempfile.TemporaryDirectory() as folder, web_server(threads=options.threads) as server:
        print(f"[{SECTION}] gunicorn up at {server.url}; warming up", flush=True)
        post(server.url, warm.api_key, warm_secret, warm_up, options.connections, Path(folder))
        backends = other_backends()  # the worker's persistent connection, opened by the warm-up
        web_before, db_before = server.cpu_seconds(), database_cpu(backends)
        print(f"[{SECTION}] posting {len(measured)} requests ({events:,} events)", flush=True)
        report = post(server.url, http.api_key, http_secret, measured, options.connections, Path(folder))
        web_after, db_after = server.cpu_seconds(), database_cpu(backends)

    http_rate = events / report["elapsed"]
    latencies = sorted(report["latencies"])
    p50 = statistics.median(latencies) * 1000
    p95 = latencies[int(0.95 * (len(latencies) - 1))] * 1000

    print(f"[{SECTION}] the same work in-process", flush=True)
    local_events = events_in(local_bodies)
    local_rate = local_events / in_process(local, local_bodies) if local_bodies else 0.0

    print(f"[{SECTION}] raw COPY of the stored rows", flush=True)
    rows, copy_seconds, copy_cpu = raw_copy(http.pk)
    if rows != events:
        raise RuntimeError(f"{events} events were posted but {rows} rows were stored")
    copy_rate = rows / copy_seconds
    ratio = http_rate / copy_rate

    server_name = f"1 gunicorn worker ({options.threads} thread{'s' if options.threads > 1 else ''})"
    figures = [
        Figure(
            SECTION,
            f"HTTP /v2/bulkevents, {server_name}, {options.connections} keep-alive connection(s)",
            f"{http_rate:,.0f} events/s",
            f"{len(measured)} requests x 100 batches, {events:,} events; p50 {p50:.0f} ms, p95 {p95:.0f} ms; aim 5,000",
        ),
        Figure(
            SECTION,
            "in-process: JSON decode + parse_batch + ingest()",
            f"{local_rate:,.0f} events/s",
            f"{len(local_bodies)} requests, {local_events:,} events, no HTTP",
        ),
        Figure(
            SECTION,
            "raw COPY of the same rows into audiences_event",
            f"{copy_rate:,.0f} events/s",
            f"one COPY, {rows:,} rows",
        ),
        Figure(SECTION, "HTTP / raw COPY", f"{ratio:.2f}", "aim 0.25"),
    ]
    if None not in (web_before, web_after, db_before, db_after, copy_cpu):
        # CPU time is what other load on the machine cannot inflate: the capacity of one core.
        web_ms = (web_after - web_before) / events * 1000 * 1000
        db_ms = (db_after - db_before) / events * 1000 * 1000
        copy_ms = copy_cpu / rows * 1000 * 1000
        figures.append(
            Figure(
                SECTION,
                "CPU per 1,000 events: web worker + PostgreSQL (HTTP) vs PostgreSQL (raw COPY)",
                f"{web_ms:.0f} + {db_ms:.0f} ms vs {copy_ms:.0f} ms",
                f"one busy core: web at most {1_000_000 / web_ms:,.0f} events/s",
            )
        )
    return figures
