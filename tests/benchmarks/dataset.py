"""The engine data set: 1,000,000 profiles and 10,000,000 events over 30 days, built once.

One account, one workspace, two inputs (iOS and Android). Rows are generated in Python with
plain arithmetic from one seed and streamed with COPY straight into the tables the Events API
fills: profiles (with their sample bucket, as the product computes it), one workspace row each (user attributes
`status` Premium/Free/Trial, `$city`, `age`, `favourite_genres`; device; location; consent;
install attribution), identities (an email and one advertising id), the event partitions,
the catalogue, and the events themselves: app sessions (`session_start`, screen views, Play
Video with `category` and `destination` as in the tutorial, searches, likes, add_to_cart and
purchase commerce events). User activity is skewed, as in real apps: a few users have
hundreds of events, many have none in the last 30 days.

The database `openaudience_bench_engine` keeps the data between runs (building takes
minutes); `--rebuild` builds it again. The standard section's data set (`STANDARD`) is the same
generator over 12 months and 50,000,000 events, in `openaudience_bench_standard`: days older
than the account's 30-day real-time window are in the monthly long-term tier partitions, as
the hourly roll-up (`partitions.drop_expired`) leaves them. A data set of other sizes (`--profiles`, `--events`,
for trying a section quickly) lives in a database of its own, named after its sizes, so it
never replaces the large one. Time windows are relative to the moment the data set
was built (`DataSet.now`), so every figure is measured "as of" that moment however old the
data set is: sections pass it as `now` to the engine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import time
from dataclasses import asdict, dataclass, field

from tests.benchmarks.harness import ENGINE_DB, use_database

ACCOUNT_NAME = "Benchmark data set"
META = "bench_dataset"  # a table of this database only: the description of the built data set
DAYS = 30
DAY = 86_400

STATUSES = (("Premium", 20), ("Free", 55), ("Trial", 25))
HOME_CITIES = (
    ("Paris", 48.8566, 2.3522),
    ("London", 51.5072, -0.1276),
    ("New York", 40.7128, -74.0060),
    ("Berlin", 52.5200, 13.4050),
    ("Madrid", 40.4168, -3.7038),
    ("Chicago", 41.8781, -87.6298),
    ("Tokyo", 35.6762, 139.6503),
    ("Sydney", -33.8688, 151.2093),
    ("Toronto", 43.6532, -79.3832),
    ("Lyon", 45.7640, 4.8357),
)
GENRES = ("Travel", "Food", "Adventure", "Culture", "Nature", "History", "Sport", "Family")
DESTINATIONS = (
    ("Paris", 14),
    ("Rome", 10),
    ("London", 9),
    ("Tokyo", 8),
    ("New York", 8),
    ("Barcelona", 7),
    ("Lisbon", 6),
    ("Kyoto", 5),
    ("Sydney", 5),
    ("Cairo", 4),
    ("Reykjavik", 4),
    ("Marrakesh", 4),
    ("Istanbul", 4),
    ("Bangkok", 3),
    ("Cape Town", 3),
    ("Lima", 2),
    ("Hanoi", 2),
    ("Vancouver", 1),
    ("Oslo", 1),
)
CATEGORIES = (("Destination Intro", 25), ("Highlights", 30), ("Full Episode", 30), ("Trailer", 15))
SCREENS = (("Home", 40), ("Search", 20), ("Destination", 20), ("Player", 15), ("Settings", 5))
PRODUCTS = tuple((f"sku-{n}", f"{city} guide", 4.99 + n) for n, (city, _) in enumerate(DESTINATIONS))
# Kinds of the events after a session's first (session_start), with their weights.
KINDS = (("screen_view", 40), ("play_video", 27), ("search", 10), ("like", 6), ("add_to_cart", 12), ("purchase", 5))
PLATFORMS = (
    ("ios", "iOS", "ios_advertising_id", 60, ("iPhone15,2", "iPhone14,5", "iPad13,1"), ("17.4", "17.5", "16.7")),
    ("android", "Android", "android_advertising_id", 40, ("Pixel 8", "SM-S918B", "moto g84"), ("14", "13", "12")),
)
EVENT_COLUMNS = (
    "account_id, tier, timestamp, workspace_id, input_id, mpid, event_type, name, "
    "custom_event_type, attributes, commerce, extra, received_at"
)
PROFILE_WORKSPACE_COLUMNS = (
    "mpid, workspace_id, first_seen, last_seen, user_attributes, consent, device, latitude, longitude, "
    "install_attribution, uninstall_attribution"
)
IDENTITY_COLUMNS = "account_id, mpid, workspace_id, identity_type, value, first_seen, last_seen"
CHUNK = 20_000
PROFILES = 1_000_000
EVENTS = 10_000_000


@dataclass(frozen=True)
class Shape:
    """A kind of data set: its database at the default sizes, its default events, its history
    in days and its real-time window (None: every event is live)."""

    database: str
    events: int
    days: int
    window_days: int | None = None


ENGINE = Shape(ENGINE_DB, EVENTS, DAYS)
STANDARD = Shape("openaudience_bench_standard", 50_000_000, 365, window_days=30)


@dataclass
class DataSet:
    account_id: int
    workspace_id: int
    input_ids: list[int]
    now: dt.datetime
    profiles: int
    events: int
    seed: int
    build_seconds: float
    built_at: str
    days: int = DAYS
    window_days: int | None = None
    database: str = field(default="", compare=False)

    def describe(self) -> str:
        tiers = f"; live for the last {self.window_days} days, long-term before" if self.window_days else ""
        return (
            f"{self.profiles:,} profiles, {self.events:,} events over {self.days} days{tiers} as of "
            f"{self.now:%Y-%m-%d %H:%M} UTC (built in {self.build_seconds:.0f} s)"
        )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("data set (engine, realtime and forwarding sections)")
    group.add_argument("--rebuild", action="store_true", help="build the engine data set again even if it exists")
    group.add_argument(
        "--profiles", type=int, default=PROFILES, help=f"profiles of the data set (default {PROFILES:,})"
    )
    group.add_argument(
        "--events",
        type=int,
        default=None,
        help=f"events of the data set (default {EVENTS:,}; the standard section's {STANDARD.events:,})",
    )


_ready: dict[str, DataSet] = {}  # by database
_current: DataSet | None = None


def use_dataset(options: argparse.Namespace, shape: Shape | bool = ENGINE) -> DataSet:
    """Point this process at the data set's database (a section's `DATA_SET`: True for the
    engine one), building the data set if it is missing, of another size, or `--rebuild` was
    given (once per run)."""
    global _current
    shape = ENGINE if shape is True else shape
    events = options.events or shape.events
    name = database_name(options.profiles, events, shape)
    use_database(name, recreate=bool(options.rebuild and name not in _ready))
    found = _ready.get(name)
    if found is None:
        found = stored()
        wanted = (options.profiles, events, shape.days, shape.window_days)
        if found is None or (found.profiles, found.events, found.days, found.window_days) != wanted:
            if found is not None:
                print(f"[dataset] the stored data set has other sizes ({found.describe()}): rebuilding", flush=True)
                use_database(name, recreate=True)
            found = build(options.profiles, events, options.seed, shape)
        else:
            print(f"[dataset] reusing {found.describe()}", flush=True)
        found.database = name
        _ready[name] = found
    _current = found
    return found


def database_name(profiles: int, events: int, shape: Shape = ENGINE) -> str:
    if (profiles, events) == (PROFILES, shape.events):
        return shape.database
    return f"{shape.database}_{profiles}_{events}"


def current() -> DataSet:
    """The data set `use_dataset()` prepared for the section running."""
    if _current is None:
        raise RuntimeError("use_dataset() first")
    return _current


def stored() -> DataSet | None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [META])
        if cursor.fetchone()[0] is None:
            return None
        cursor.execute(f"SELECT value FROM {META} WHERE key = 'dataset'")
        row = cursor.fetchone()
    if row is None:
        return None
    value = row[0] if isinstance(row[0], dict) else json.loads(row[0])
    value["now"] = dt.datetime.fromisoformat(value["now"])
    return DataSet(**value)


def weighted(pairs, size: int = 10_000) -> list:
    """A lookup table: indexing it with a uniform random integer draws by the weights."""
    total = sum(weight for _, weight in pairs)
    table = []
    for value, weight in pairs:
        table += [value] * round(size * weight / total)
    return table


class Clock:
    """Timestamps as text for COPY, cached per minute: formatting a datetime per event would be
    the slowest part of the generator."""

    def __init__(self, start: dt.datetime, horizon: int):
        self.start = start
        self.horizon = horizon  # seconds from `start` to the data set's `now`
        self.minutes: dict[int, str] = {}
        self.seconds = [f"{s:02d}+00" for s in range(60)]

    def __call__(self, offset: int) -> str:
        minute = offset // 60
        prefix = self.minutes.get(minute)
        if prefix is None:
            prefix = self.minutes[minute] = f"{self.start + dt.timedelta(minutes=minute):%Y-%m-%d %H:%M:}"
        return prefix + self.seconds[offset % 60]


def copy_rows(cursor, table: str, columns: str, rows) -> int:
    """Stream text lines into COPY from a second thread while this one generates the next."""
    from psycopg.copy import QueuedLibpqWriter

    count = 0
    chunk: list[str] = []
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN", writer=QueuedLibpqWriter(cursor)) as copy:
        for line in rows:
            chunk.append(line)
            if len(chunk) == CHUNK:
                copy.write("".join(chunk))
                count += len(chunk)
                chunk = []
        if chunk:
            copy.write("".join(chunk))
            count += len(chunk)
    return count


def build(profiles: int, events: int, seed: int, shape: Shape = ENGINE) -> DataSet:
    from django.db import connection, transaction

    from accounts.models import Account, Workspace
    from audiences.hashing import bucket
    from audiences.inputs import create_input
    from audiences.models import CatalogueAttribute, CatalogueEvent
    from audiences.models.events import Tier
    from audiences.partitions import ensure_partitions

    began = time.monotonic()
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    days = shape.days
    start = now - dt.timedelta(days=days)
    clock = Clock(start, days * DAY)
    rng = random.Random(seed)
    print(f"[dataset] building {profiles:,} profiles and {events:,} events over {days} days (seed {seed})", flush=True)

    Account.objects.filter(name=ACCOUNT_NAME).delete()
    # Without a real-time window, retention far beyond the data's age: the data set is reused
    # for months. With one, the days before it are already rolled into the long-term tier
    # (what partitions.drop_expired does hourly), which is kept far beyond the data's age.
    account = Account.objects.create(
        name=ACCOUNT_NAME, retention_days=shape.window_days or 30_000, long_term_retention_days=30_000
    )
    workspace = Workspace.objects.create(account=account, name="Globetrot")
    inputs = {}
    for platform, label, *_ in PLATFORMS:
        inputs[platform], _secret = create_input(workspace=workspace, name=label, platform=platform, rate_limit=10_000)
    every_day = [(start + dt.timedelta(days=n)).date() for n in range(days + 3)]
    # Events before the window's first day (the one rolled_before seconds after start) are
    # long-term, as drop_expired leaves a day once it is wholly before that cutoff.
    rolled_before = 0
    if shape.window_days:
        cutoff = (now - dt.timedelta(days=shape.window_days)).date()
        rolled_before = int((dt.datetime.combine(cutoff, dt.time(0, tzinfo=dt.UTC)) - start).total_seconds())
        ensure_partitions(account.pk, Tier.LONG_TERM, [day for day in every_day if day < cutoff])
        every_day = [day for day in every_day if day >= cutoff]
    ensure_partitions(account.pk, Tier.LIVE, every_day)

    # Profiles: mpid, platform and everything per user, as arrays indexed by user number.
    mpids: list[int] = []
    seen: set[int] = set()
    while len(mpids) < profiles:
        mpid = rng.getrandbits(62) + 1
        if mpid not in seen:
            seen.add(mpid)
            mpids.append(mpid)
    del seen
    # In ascending order, so that every index keyed by mpid (profiles, workspace rows,
    # identities) is filled at its end rather than at random places: several times faster.
    mpids.sort()
    platform_table = weighted([(i, p[3]) for i, p in enumerate(PLATFORMS)], 100)
    platform_of = [platform_table[rng.randrange(100)] for _ in range(profiles)]
    first_seen = [
        days * DAY + rng.randrange(90 * DAY) if rng.random() < 0.85 else rng.randrange(days * DAY)
        for _ in range(profiles)
    ]  # seconds before `now`

    with transaction.atomic(), connection.cursor() as cursor:
        t = time.monotonic()
        a = account.pk
        created = clock(0)
        cursor.execute("SELECT to_regproc('audiences_sample_bucket')")
        if cursor.fetchone()[0] is not None:
            # The estimator's sample is a hash computed by PostgreSQL (migration 0009).
            cursor.execute(
                "INSERT INTO audiences_profile (mpid, account_id, sample_bucket, created_at) "
                "SELECT m, %s, audiences_sample_bucket(m), %s FROM unnest(%s::bigint[]) AS m",
                [a, start, mpids],
            )
            n = cursor.rowcount
        else:
            n = copy_rows(
                cursor,
                "audiences_profile",
                "mpid, account_id, sample_bucket, created_at",
                (f"{mpid}\t{a}\t{bucket(mpid)}\t{created}\n" for mpid in mpids),
            )
        print(f"[dataset] {n:,} profiles in {time.monotonic() - t:.0f} s", flush=True)

        t = time.monotonic()
        n = copy_rows(
            cursor,
            "audiences_profileworkspace",
            PROFILE_WORKSPACE_COLUMNS,
            _profile_rows(rng, mpids, platform_of, first_seen, workspace.pk, clock),
        )
        print(f"[dataset] {n:,} workspace rows in {time.monotonic() - t:.0f} s", flush=True)

        t = time.monotonic()
        n = copy_rows(
            cursor,
            "audiences_identity",
            IDENTITY_COLUMNS,
            _identity_rows(rng, mpids, platform_of, first_seen, a, workspace.pk, clock),
        )
        print(f"[dataset] {n:,} identities in {time.monotonic() - t:.0f} s", flush=True)

    t = time.monotonic()
    input_ids = [inputs[p[0]].pk for p in PLATFORMS]
    with transaction.atomic(), connection.cursor() as cursor:
        n = copy_rows(
            cursor,
            "audiences_event",
            EVENT_COLUMNS,
            _event_rows(rng, events, mpids, platform_of, a, workspace.pk, input_ids, clock, rolled_before),
        )
    print(f"[dataset] {n:,} events in {time.monotonic() - t:.0f} s", flush=True)

    _catalogue(workspace, start, CatalogueEvent, CatalogueAttribute)
    t = time.monotonic()
    with connection.cursor() as cursor:
        # Vacuum too: a table freshly written by COPY has no visibility map, so the first
        # queries would set hint bits (writes) and index-only scans would visit the heap.
        for table in ("audiences_profile", "audiences_profileworkspace", "audiences_identity", "audiences_event"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    print(f"[dataset] VACUUM ANALYZE in {time.monotonic() - t:.0f} s", flush=True)

    dataset = DataSet(
        account_id=a,
        workspace_id=workspace.pk,
        input_ids=input_ids,
        now=now,
        profiles=profiles,
        events=n,
        seed=seed,
        build_seconds=time.monotonic() - began,
        built_at=dt.datetime.now(dt.UTC).isoformat(),
        days=days,
        window_days=shape.window_days,
    )
    value = {**asdict(dataset), "now": now.isoformat()}
    value.pop("database")
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {META} (key text PRIMARY KEY, value jsonb NOT NULL)")
        cursor.execute(
            f"INSERT INTO {META} VALUES ('dataset', %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            [json.dumps(value)],
        )
    print(f"[dataset] built: {dataset.describe()}", flush=True)
    return dataset


def _profile_rows(rng: random.Random, mpids, platform_of, first_seen, workspace_id: int, clock: Clock):
    statuses = weighted(STATUSES, 100)
    horizon = clock.horizon
    for i, mpid in enumerate(mpids):
        city, lat, lon = HOME_CITIES[rng.randrange(len(HOME_CITIES))]
        genres = rng.sample(GENRES, 2)
        attributes = (
            f'{{"status": "{statuses[rng.randrange(100)]}", "$city": "{city}", "age": {18 + rng.randrange(60)}, '
            f'"favourite_genres": ["{genres[0]}", "{genres[1]}"]}}'
        )
        _, label, _, _, models, versions = PLATFORMS[platform_of[i]]
        device = (
            f'{{"platform": "{label}", "device_model": "{models[i % 3]}", "os_version": "{versions[(i >> 2) % 3]}"}}'
        )
        consent = '{"gdpr": {"marketing": {"consented": true}}}' if rng.random() < 0.4 else "{}"
        if rng.random() < 0.7:
            where = f"{lat + rng.uniform(-0.2, 0.2):.5f}\t{lon + rng.uniform(-0.2, 0.2):.5f}"
        else:
            where = "\\N\t\\N"
        install = '{"publisher": "Meta", "campaign": "Spring Escape"}' if rng.random() < 0.3 else "\\N"
        seen = first_seen[i]
        last = rng.randrange(min(seen, horizon) + 1)
        yield (
            f"{mpid}\t{workspace_id}\t{clock(horizon - seen)}\t{clock(horizon - last)}\t{attributes}\t{consent}\t"
            f"{device}\t{where}\t{install}\t\\N\n"
        )


def _identity_rows(rng: random.Random, mpids, platform_of, first_seen, account_id: int, workspace_id: int, clock):
    """Emails and advertising ids, each rising with the user number (random ids, sorted), so
    the unique (type, value) indexes are filled at their end too."""
    horizon = clock.horizon
    devices = sorted(f"{rng.getrandbits(128):032X}" for _ in mpids)
    for i, mpid in enumerate(mpids):
        seen = clock(horizon - first_seen[i])
        yield f"{account_id}\t{mpid}\t{workspace_id}\temail\tuser{i:07d}@bench.example\t{seen}\t{seen}\n"
        device = devices[i]
        device = f"{device[:8]}-{device[8:12]}-{device[12:16]}-{device[16:20]}-{device[20:]}"
        yield f"{account_id}\t{mpid}\t{workspace_id}\t{PLATFORMS[platform_of[i]][2]}\t{device}\t{seen}\t{seen}\n"


def _fragments(rng: random.Random) -> list[str]:
    """Event columns after mpid (type, name, custom type, attributes, commerce, extra) for the
    events after a session's first, as a table drawn from uniformly."""
    pairs = []
    kinds = dict(KINDS)
    for screen, weight in SCREENS:
        pairs.append((f"screen_view\t{screen}\t\t{{}}\t\\N\t\\N", kinds["screen_view"] * weight / 100))
    for category, c_weight in CATEGORIES:
        for destination, d_weight in DESTINATIONS:
            attributes = json.dumps({"category": category, "destination": destination, "duration": 30 + d_weight})
            weight = kinds["play_video"] * c_weight / 100 * d_weight / sum(w for _, w in DESTINATIONS)
            pairs.append((f"custom_event\tPlay Video\tnavigation\t{attributes}\t\\N\t\\N", weight))
    pairs.append(('custom_event\tSearch\tsearch\t{"results": 12}\t\\N\t\\N', kinds["search"]))
    pairs.append(("custom_event\tLike\tsocial\t{}\t\\N\t\\N", kinds["like"]))
    for action in ("add_to_cart", "purchase"):
        for sku, name, price in PRODUCTS:
            commerce = json.dumps(
                {
                    "currency_code": "EUR",
                    "product_action": {
                        "action": action,
                        "products": [{"id": sku, "name": name, "price": round(price, 2), "quantity": 1}],
                        "total_amount": round(price, 2),
                    },
                }
            )
            pairs.append((f"commerce_event\t{action}\t\t{{}}\t{commerce}\t\\N", kinds[action] / len(PRODUCTS)))
    return weighted(pairs, 10_000)


def _event_rows(
    rng: random.Random, events: int, mpids, platform_of, account_id, workspace_id, input_ids, clock, rolled_before=0
):
    """App sessions in time order: a session_start, then events 37 s apart; busier users have
    more sessions (the user of a session is drawn with a skew towards low user numbers).
    Events less than `rolled_before` seconds after the start are long-term."""
    profiles = len(mpids)
    tails = [f"{workspace_id}\t{input_ids[platform_of[i]]}\t{mpid}\t" for i, mpid in enumerate(mpids)]
    fragments = _fragments(rng)
    size = len(fragments)
    horizon = clock.horizon
    sessions = []
    total = 0
    while total < events:
        length = min(1 + int(rng.expovariate(1 / 7)), 60, events - total)
        owner = min(int(profiles * rng.random() ** 1.6), profiles - 1)
        sessions.append((rng.randrange(horizon) << 32) | (owner << 6) | length)
        total += length
    sessions.sort()
    from audiences.models.events import Tier

    live = f"{account_id}\t{int(Tier.LIVE)}\t"
    rolled = f"{account_id}\t{int(Tier.LONG_TERM)}\t"
    start_fragment = "session_start\t\t\t{}\t\\N\t\\N"
    last = horizon - 1
    for key in sessions:
        began, owner, length = key >> 32, (key >> 6) & 0x3FFFFFF, key & 63
        tail = tails[owner]
        stamp = clock(began)
        head = rolled if began < rolled_before else live
        yield f"{head}{stamp}\t{tail}{start_fragment}\t{stamp}\n"
        for j in range(1, length):
            offset = min(began + 37 * j, last)
            stamp = clock(offset)
            head = rolled if offset < rolled_before else live
            yield f"{head}{stamp}\t{tail}{fragments[int(rng.random() * size)]}\t{stamp}\n"


def _catalogue(workspace, start: dt.datetime, CatalogueEvent, CatalogueAttribute) -> None:
    names = [("session_start", ""), ("custom_event", "Play Video"), ("custom_event", "Search")]
    names += [("custom_event", "Like"), ("commerce_event", "add_to_cart"), ("commerce_event", "purchase")]
    names += [("screen_view", screen) for screen, _ in SCREENS]
    CatalogueEvent.objects.bulk_create(
        [CatalogueEvent(workspace=workspace, event_type=kind, name=name, first_seen=start) for kind, name in names]
    )
    attributes = [
        ("custom_event", "Play Video", "category", "string"),
        ("custom_event", "Play Video", "destination", "string"),
        ("custom_event", "Play Video", "duration", "number"),
        ("custom_event", "Search", "results", "number"),
        ("", "", "status", "string"),
        ("", "", "$city", "string"),
        ("", "", "age", "number"),
        ("", "", "favourite_genres", "list"),
    ]
    CatalogueAttribute.objects.bulk_create(
        [
            CatalogueAttribute(
                workspace=workspace,
                event_type=kind,
                event_name=name,
                key=key,
                detected_type=data_type,
                first_seen=start,
            )
            for kind, name, key, data_type in attributes
        ]
    )
