"""The real-time load shared by the realtime and forwarding sections.

A small account of its own ("Benchmark real time", in the bench database beside the large data
set) with 10,000 users seeded in-process and 50 active real-time audiences of mixed criteria
(user attributes, Play Video with category and destination, screen views, session counts,
commerce with exclude, cart abandonment, location, device, and/or chains, 5 nesting
audiences), each calculated before the run. Then one gunicorn worker (2 threads) serves the
Events API and one Celery worker (`celery -A config worker`, prefork, 2 processes, no beat)
does what production does: drains the queue of touched users and, when connections exist,
forwards the changes.

A paced load generator (`pacer.py`) posts to /v2/bulkevents: 10 batches a request, one user
each, 5 events a batch (session start, screen view, Play Video with a random category and
destination, two more) and a new random `status`: 200 events/s at 4 requests/s. Users are
taken from the 10,000 in a shuffled order, so within a run each user is in at most one
request: every change-log row (and every add a receiver gets) belongs to exactly one request,
and its latency is the time it became visible minus the time that request got its 202. A
watcher thread polls the change log every 20 ms on its own connection for visibility times.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from tests.benchmarks.harness import ROOT, celery_worker, web_server

ACCOUNT_NAME = "Benchmark real time"
USERS = 10_000
BATCHES_PER_REQUEST = 10
EVENTS_PER_BATCH = 5
STATUSES = ("Premium", "Free", "Trial")
CITIES = ("Paris", "London", "Berlin", "Tokyo", "Chicago")
CATEGORIES = ("Destination Intro", "Highlights", "Full Episode", "Trailer")
DESTINATIONS = ("Paris", "Rome", "London", "Tokyo", "Lisbon", "Kyoto")
SCREENS = ("Home", "Search", "Destination", "Player")
POLL_SECONDS = 0.02


@dataclass
class LiveResult:
    requests: int
    events: int
    seconds: float
    users: int
    audiences: int
    answer_p95: float
    log_latencies: list[float] = field(default_factory=list)
    # From the 202 to the start of the evaluation that wrote the row (its `at`): time queued.
    queue_waits: list[float] = field(default_factory=list)
    receiver_latencies: list[float] = field(default_factory=list)
    worker_cpu: float = 0.0
    late_rows: int = 0

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def add_arguments(group) -> None:
    group.add_argument("--live-seconds", type=int, default=60, help="length of the real-time load (default 60 s)")
    group.add_argument("--live-rate", type=int, default=200, help="events per second of the real-time load")
    group.add_argument("--worker-concurrency", type=int, default=2, help="processes of the Celery worker (default 2)")


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))] if ordered else float("nan")


def describe(samples: list[float]) -> str:
    if not samples:
        return "no samples"
    return (
        f"p50 {statistics.median(samples) * 1000:,.0f} ms, p95 {percentile(samples, 0.95) * 1000:,.0f} ms, "
        f"max {max(samples) * 1000:,.0f} ms"
    )


# -- the account, its users and audiences -------------------------------------------------------


def drop_account(name: str) -> None:
    """Remove an account left by an earlier run, its event partitions included."""
    from django.db import connection

    from accounts.models import Account
    from audiences.models import Audience, EventPartition, Profile
    from connections.models import Connection
    from outputs.models import OutputConfiguration

    for account in Account.objects.filter(name=name):
        for partition in EventPartition.objects.filter(account=account):
            with connection.cursor() as cursor:
                cursor.execute(f'DROP TABLE IF EXISTS "{partition.table_name}"')
        Connection.objects.filter(audience__account=account).delete()
        OutputConfiguration.objects.filter(account=account).delete()
        Audience.objects.filter(account=account).delete()
        Profile.objects.filter(account=account).delete()
        account.delete()
    from audiences import partitions

    partitions._known.clear()


def user_batch(rng: random.Random, email: str, *, past: bool, now_ms: int) -> dict:
    events = []

    def add(event_type: str, data: dict) -> None:
        if past:
            data["timestamp_unixtime_ms"] = now_ms - rng.randrange(10 * 86_400_000)
        events.append({"event_type": event_type, "data": data})

    add("session_start", {})
    add("screen_view", {"screen_name": rng.choice(SCREENS)})
    add(
        "custom_event",
        {
            "event_name": "Play Video",
            "custom_event_type": "navigation",
            "custom_attributes": {"category": rng.choice(CATEGORIES), "destination": rng.choice(DESTINATIONS)},
        },
    )
    for _ in range(EVENTS_PER_BATCH - 3):
        roll = rng.random()
        if roll < 0.3:
            action = "add_to_cart" if rng.random() < 0.7 else "purchase"
            product = {"id": "sku-1", "name": "Paris guide", "price": 9.99, "quantity": 1}
            add("commerce_event", {"product_action": {"action": action, "products": [product], "total_amount": 9.99}})
        elif roll < 0.6:
            add("custom_event", {"event_name": "Search", "custom_event_type": "search"})
        else:
            add("screen_view", {"screen_name": rng.choice(SCREENS)})
    fixed = zlib.crc32(email.encode())  # the same device and city for a user in every batch
    return {
        "environment": "production",
        "user_identities": {"email": email},
        "device_info": {"platform": "iOS" if fixed % 5 < 3 else "Android"},
        "user_attributes": {"status": rng.choice(STATUSES), "$city": CITIES[fixed % len(CITIES)]},
        "events": events,
    }


def audience_definitions(rng: random.Random, count: int = 50, nesting: int = 5) -> list[dict]:
    def one() -> dict:
        kind = rng.randrange(10)
        days = rng.choice([1, 3, 7])
        if kind == 0:
            return {"type": "user_attribute", "key": "status", "op": "equals", "value": rng.choice(STATUSES)}
        if kind == 1:
            attributes = [{"key": "category", "op": "equals", "value": rng.choice(CATEGORIES)}]
            if rng.random() < 0.5:
                attributes.append({"key": "destination", "op": "equals", "value": rng.choice(DESTINATIONS)})
            return {
                "type": "event",
                "event_type": "custom_event",
                "name": "Play Video",
                "attributes": attributes,
                "time": {"within_days": days},
            }
        if kind == 2:
            return {
                "type": "event",
                "event_type": "custom_event",
                "name": "Play Video",
                "frequency": {"op": "gte", "value": rng.choice([2, 3])},
                "time": {"within_days": 7},
            }
        if kind == 3:
            return {
                "type": "event",
                "event_type": "screen_view",
                "name": rng.choice(SCREENS),
                "time": {"within_days": 1},
            }
        if kind == 4:
            return {
                "type": "event",
                "event_type": "session_start",
                "frequency": {"op": rng.choice(["gte", "lt"]), "value": rng.choice([2, 3])},
                "time": {"within_days": days},
            }
        if kind == 5:
            return {"type": "event", "event_type": "commerce_event", "name": "add_to_cart", "time": {"within_days": 3}}
        if kind == 6:
            return {"type": "cart_abandonment", "wait_hours": 1, "time": {"within_days": 7}}
        if kind == 7:
            return {"type": "location", "mode": "equals", "field": "city", "value": rng.choice(CITIES)}
        if kind == 8:
            return {"type": "device", "field": "platform", "op": "equals", "value": rng.choice(["iOS", "Android"])}
        return {"type": "event", "event_type": "commerce_event", "name": "purchase", "time": {"within_days": days}}

    found = []
    for _ in range(count - nesting):
        criteria = [one() for _ in range(rng.choice([1, 2, 2, 3]))]
        for criterion in criteria[1:]:
            criterion["join"] = rng.choice(["and", "and", "or", "exclude"])
        found.append({"version": 1, "criteria": criteria})
    return found


def prepare(options, *, seed: int):
    """The account, its 10,000 users (seeded in-process) and 50 calculated active audiences."""
    from django.db import connection

    from accounts.models import Account, Workspace
    from audiences import services
    from audiences.calculation import calculate
    from audiences.ingestion.service import ingest
    from audiences.ingestion.wire import parse_batch
    from audiences.inputs import create_input
    from audiences.models import EventPartition, Identity

    drop_account(ACCOUNT_NAME)
    account = Account.objects.create(name=ACCOUNT_NAME)
    workspace = Workspace.objects.create(account=account, name="Live")
    source, secret = create_input(workspace=workspace, name="Live iOS", platform="ios", rate_limit=10_000)
    rng = random.Random(seed)
    now_ms = int(time.time() * 1000)
    emails = [f"live{i}@bench.example" for i in range(USERS)]
    print(f"[live] seeding {USERS:,} users", flush=True)
    for start in range(0, USERS, 100):
        parsed = [parse_batch(user_batch(rng, e, past=True, now_ms=now_ms))[0] for e in emails[start : start + 100]]
        ingest(source, parsed)
    with connection.cursor() as cursor:
        # As autovacuum would have long done on a running system: plans need statistics.
        for partition in EventPartition.objects.filter(account=account):
            cursor.execute(f'ANALYZE "{partition.table_name}"')
        cursor.execute("ANALYZE audiences_profile, audiences_profileworkspace, audiences_identity")
    mpid_of = dict(Identity.objects.filter(account=account, identity_type="email").values_list("value", "profile_id"))
    definitions = audience_definitions(rng)
    audiences = []
    for index, definition in enumerate(definitions):
        audiences.append(
            services.create_audience(
                account=account,
                acting_user=None,
                name=f"Live {index + 1}",
                workspace_ids=[workspace.pk],
                definition=definition,
            )
        )
    for index in range(5):
        nested = audiences[index * 3]
        definition = {
            "version": 1,
            "criteria": [
                {"type": "audience", "audience_id": nested.pk},
                {
                    "join": "and",
                    "type": "user_attribute",
                    "key": "status",
                    "op": "equals",
                    "value": STATUSES[index % 3],
                },
            ],
        }
        audiences.append(
            services.create_audience(
                account=account,
                acting_user=None,
                name=f"Live nesting {index + 1}",
                workspace_ids=[workspace.pk],
                definition=definition,
            )
        )
    print(f"[live] calculating {len(audiences)} audiences", flush=True)
    for audience in audiences:
        audience.status = "active"
        audience.save(update_fields=["status"])
        calculate(audience)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audiences_pendingevaluation")  # the seeding's; all are calculated
    return account, workspace, source, secret, audiences, emails, mpid_of


def bodies_for(rng: random.Random, emails: list[str]) -> list[bytes]:
    out = []
    for start in range(0, len(emails), BATCHES_PER_REQUEST):
        batches = [user_batch(rng, e, past=False, now_ms=0) for e in emails[start : start + BATCHES_PER_REQUEST]]
        out.append(json.dumps(batches, separators=(",", ":")).encode())
    return out


def pace(url: str, key: str, secret: str, bodies: list[bytes], rate: float, folder: Path) -> list[list]:
    from tests.benchmarks.loadgen import write_bodies

    data = folder / "live-bodies.bin"
    write_bodies(data, bodies)
    spec = folder / "live-spec.json"
    spec.write_text(
        json.dumps({"url": f"{url}/v2/bulkevents", "key": key, "secret": secret, "bodies": str(data), "rate": rate})
    )
    done = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.pacer", str(spec)], cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode:
        raise RuntimeError(f"the load generator failed:\n{done.stderr[-3000:]}")
    report = json.loads(done.stdout)
    statuses = {row[2] for row in report["requests"]}
    if statuses != {202}:
        raise RuntimeError(f"the server refused requests: {statuses} {report['failures']}")
    return report["requests"]


class Watcher:
    """Polls the change log on its own connection; notes when each row first became visible."""

    def __init__(self, audience_ids: set[int]):
        import psycopg

        self.audience_ids = audience_ids
        self.connection = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
        self.seen: dict[int, tuple[int, int, float, float]] = {}
        self.last_seq = self.connection.execute(
            "SELECT coalesce(max(seq), 0) FROM audiences_membershipchange"
        ).fetchone()[0]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.last_row_at = time.time()

    def loop(self) -> None:
        while not self.stop.is_set():
            rows = self.connection.execute(
                "SELECT seq, audience_id, mpid, extract(epoch FROM at) FROM audiences_membershipchange "
                "WHERE seq > %s ORDER BY seq",
                [self.last_seq],
            ).fetchall()
            now = time.time()
            for seq, audience_id, mpid, at in rows:
                if audience_id in self.audience_ids:
                    self.seen[seq] = (audience_id, mpid, float(at), now)
                    self.last_row_at = now
                self.last_seq = max(self.last_seq, seq)
            time.sleep(POLL_SECONDS)

    def __enter__(self) -> Watcher:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()
        self.connection.close()


def wait_drained(watcher: Watcher | None, timeout: float = 90.0) -> None:
    """Until the queue of touched users is empty and no change has appeared for 2 s."""
    from django.db import connection

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM audiences_pendingevaluation")
            pending = cursor.fetchone()[0]
        quiet = watcher is None or time.time() - watcher.last_row_at > 2
        if not pending and quiet:
            return
        time.sleep(0.2)
    raise RuntimeError("the real-time queue did not drain in time")


def wait_forwarded(connection_ids: list[int], timeout: float = 120.0) -> None:
    from connections import scheduling
    from connections.models import Connection

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        faulted = Connection.objects.filter(pk__in=connection_ids, faulted_at__isnull=False).first()
        if faulted:
            raise RuntimeError(f"connection {faulted.pk} faulted: {faulted.fault_message}")
        if not scheduling.due_connections(connection_ids):
            return
        time.sleep(0.2)
    raise RuntimeError("the connections did not catch up in time")


def http_get(url: str) -> bytes:
    import httpx

    return httpx.get(url, timeout=30).content


@contextlib.contextmanager
def receiver(folder: Path, secret: str):
    """The Webhook receiver of `receiver.py` in its own process; answers its base URL."""
    from tests.benchmarks.harness import background, free_port, wait_for_port

    port = free_port()
    with background("tests.benchmarks.receiver", "serve", str(port), secret, str(folder)) as process:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def _inactive_afterwards(account):
    """Deactivate the account's audiences at the end, however it ends: later sweeps leave them be."""
    from audiences.models import Audience

    try:
        yield
    finally:
        Audience.objects.filter(account=account).update(status="inactive")


def run(options, *, seed: int, forward_to: str | None = None, secret: str = "") -> LiveResult:
    """Prepare the account, then put it under the paced load; answer the latencies."""
    from connections import scheduling
    from connections.services import create_connection
    from outputs.services import create_configuration

    account, _, source, api_secret, audiences, emails, mpid_of = prepare(options, seed=seed)
    audience_ids = {a.pk for a in audiences}
    order = list(emails)
    random.Random(seed + 1).shuffle(order)
    requests_wanted = options.live_seconds * options.live_rate // (BATCHES_PER_REQUEST * EVENTS_PER_BATCH)
    measured_emails = order[: requests_wanted * BATCHES_PER_REQUEST]
    warm_emails = order[-4 * BATCHES_PER_REQUEST :]
    if len(measured_emails) + len(warm_emails) > len(order):
        raise RuntimeError("--live-seconds too long: each user may be in one request only")
    rng = random.Random(seed + 2)
    bodies = bodies_for(rng, measured_emails)
    rate = options.live_rate / (BATCHES_PER_REQUEST * EVENTS_PER_BATCH)
    connection_ids: list[int] = []
    if forward_to:
        configuration = create_configuration(
            account=account,
            partner="webhook",
            name="Bench receiver",
            settings={"url": f"{forward_to}/hook", "secret": secret},
        )
        connection_ids = [create_connection(a, configuration, acting_user=None).pk for a in audiences]

    with tempfile.TemporaryDirectory() as scratch, _inactive_afterwards(account):
        folder = Path(scratch)
        with (
            web_server(threads=2) as server,
            celery_worker(concurrency=options.worker_concurrency, folder=folder) as worker,
        ):
            print(f"[live] gunicorn at {server.url}, Celery worker up; warming up", flush=True)
            if connection_ids:
                scheduling.wake(connection_ids)  # their first snapshot
                wait_forwarded(connection_ids)
            pace(server.url, source.api_key, api_secret, bodies_for(rng, warm_emails), rate, folder)
            wait_drained(None)
            if connection_ids:
                wait_forwarded(connection_ids)
                http_get(f"{forward_to}/control/reset")
            cpu_before = worker.cpu_seconds()
            print(
                f"[live] {len(bodies)} requests at {rate:g}/s ({options.live_rate} events/s) "
                f"for {len(measured_emails):,} users, {len(audiences)} audiences"
                + (f", {len(connection_ids)} Webhook connections" if connection_ids else ""),
                flush=True,
            )
            with Watcher(audience_ids) as watcher:
                began = time.time()
                answers = pace(server.url, source.api_key, api_secret, bodies, rate, folder)
                seconds = time.time() - began
                wait_drained(watcher)
                if connection_ids:
                    wait_forwarded(connection_ids)
            cpu = worker.cpu_seconds() - cpu_before
            adds = json.loads(http_get(f"{forward_to}/control/adds")) if forward_to else []

    acked: dict[int, float] = {}
    for index, (_, answered, _) in enumerate(answers):
        for email in measured_emails[index * BATCHES_PER_REQUEST : (index + 1) * BATCHES_PER_REQUEST]:
            acked[mpid_of[email]] = answered
    log_latencies = [seen - acked[mpid] for _, mpid, _, seen in watcher.seen.values() if mpid in acked]
    queue_waits = [at - acked[mpid] for _, mpid, at, _ in watcher.seen.values() if mpid in acked]
    late = sum(1 for _, mpid, _, _ in watcher.seen.values() if mpid not in acked)
    receiver_latencies = [at - acked[mpid] for _, mpid, at in adds if mpid in acked]
    return LiveResult(
        requests=len(answers),
        events=len(answers) * BATCHES_PER_REQUEST * EVENTS_PER_BATCH,
        seconds=seconds,
        users=len(measured_emails),
        audiences=len(audiences),
        answer_p95=percentile([answered - sent for sent, answered, _ in answers], 0.95),
        log_latencies=log_latencies,
        queue_waits=queue_waits,
        receiver_latencies=receiver_latencies,
        worker_cpu=cpu,
        late_rows=late,
    )
