"""Seed the Globetrot demo account through the Events API's own ingestion path.

Every generated batch is validated by `parse_batch` and stored by `ingest()`, exactly as a
request to /v2/bulkevents would be, so the demo shows what real traffic produces.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.models import Account, Person, Role, Workspace
from audiences.demo.content import INPUTS, WORKSPACES
from audiences.demo.realtime import seed_realtime_audiences
from audiences.demo.standard import seed_standard_audiences
from audiences.demo.story import Delivery, DemoStory
from audiences.ingestion.service import ingest
from audiences.ingestion.wire import parse_batch
from audiences.inputs import create_input
from audiences.models import Audience, Input, Profile

DEMO_ACCOUNT = "Globetrot"
DEFAULT_PASSWORD = "openaudience-demo"
# (username, role, staff and superuser)
PEOPLE = (
    ("demo", Role.ADMIN, True),
    ("demo-marketer", Role.MARKETER, False),
    ("demo-support", Role.SUPPORT, False),
)
# The Events API takes at most 100 batches a request; the demo sends requests of that size.
BATCHES_PER_CALL = 100


class DemoExists(Exception):
    """The demo account is there already; seeding again would mix two demos."""


@dataclass
class DemoSummary:
    account: Account
    seed: int
    profiles: int = 0
    events: int = 0
    batches: int = 0
    dropped: int = 0
    seconds: float = 0.0
    people: list[str] = field(default_factory=list)
    realtime_audiences: list[Audience] = field(default_factory=list)
    standard_audiences: list[Audience] = field(default_factory=list)


def prepare_account(*, force: bool) -> tuple[Account, dict[tuple[str, str], Input]]:
    """The demo account with its workspaces and inputs, created where missing."""
    account = Account.objects.filter(name=DEMO_ACCOUNT).first()
    if account is not None and not force:
        raise DemoExists(
            f"The demo account {DEMO_ACCOUNT!r} exists already. Run with --force to add more demo data to it."
        )
    with transaction.atomic():
        account = account or Account.objects.create(name=DEMO_ACCOUNT)
        workspaces = {name: Workspace.objects.get_or_create(account=account, name=name)[0] for name in WORKSPACES}
        inputs = {}
        for workspace_name, input_name, platform in INPUTS:
            workspace = workspaces[workspace_name]
            source = Input.objects.filter(workspace=workspace, name=input_name).first()
            if source is None:
                # The secret is not needed: the demo hands batches to ingest() directly.
                source, _secret = create_input(workspace=workspace, name=input_name, platform=platform)
            inputs[(workspace_name, input_name)] = source
    return account, inputs


def ensure_people(account: Account, password: str) -> list[str]:
    """The demo's admin, marketer and support person, all with the given password."""
    users = get_user_model()
    # One hash for all three: a password hash costs a deliberate ~0.3 s each.
    encoded = make_password(password)
    names = []
    for username, role, superuser in PEOPLE:
        user, _created = users.objects.get_or_create(username=username, defaults={"email": f"{username}@example.com"})
        user.is_staff = user.is_superuser = superuser
        user.password = encoded
        user.save()
        Person.objects.update_or_create(user=user, account=account, defaults={"role": role})
        names.append(username)
    return names


def seed_demo(
    *,
    profiles: int,
    seed: int,
    password: str,
    force: bool = False,
    report: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Create the demo account, its people, and `profiles` users' last 30 days of events."""
    started = time.monotonic()
    report = report or (lambda message: None)
    account, inputs = prepare_account(force=force)
    summary = DemoSummary(account=account, seed=seed)
    summary.people = ensure_people(account, password)

    story = DemoStory(profiles=profiles, seed=seed, now_ms=int(timezone.now().timestamp() * 1000))
    waiting: dict[tuple[str, str], list[dict]] = {key: [] for key in inputs}

    def send(key: tuple[str, str]) -> None:
        raws, waiting[key] = waiting[key], []
        if not raws:
            return
        parsed = []
        for raw in raws:
            batch, errors = parse_batch(raw)
            if errors:
                raise ValueError(f"the demo generated an invalid batch: {errors[:3]}")
            parsed.append(batch)
        result = ingest(inputs[key], parsed)
        summary.batches += result.batches
        summary.events += result.events
        summary.dropped += result.dropped_too_old + result.dropped_future

    step = max(1, profiles // 10)
    # Half a million events make millions of short-lived objects; the cyclic collector's
    # default thresholds would spend a fifth of the time walking them (see gunicorn.conf.py).
    thresholds = gc.get_threshold()
    gc.set_threshold(50_000, 20, 100)
    try:
        for index in range(profiles):
            user = story.user(index)
            for delivery in story.batches_of(user):
                key = _key(delivery)
                waiting[key].append(delivery.batch)
                if len(waiting[key]) >= BATCHES_PER_CALL:
                    send(key)
            if (index + 1) % step == 0 or index + 1 == profiles:
                report(
                    f"  {index + 1:>7,} / {profiles:,} users, {summary.events:>9,} events stored "
                    f"({time.monotonic() - started:.0f} s)"
                )
        for key in waiting:
            send(key)
    finally:
        gc.set_threshold(*thresholds)

    summary.realtime_audiences = seed_realtime_audiences(account)
    report(f"  {len(summary.realtime_audiences)} real-time audiences, active and calculated")
    summary.standard_audiences = seed_standard_audiences(account)
    report(f"  {len(summary.standard_audiences)} standard audiences, one of them calculated")
    summary.profiles = Profile.objects.filter(account=account).count()
    summary.seconds = time.monotonic() - started
    return summary


def _key(delivery: Delivery) -> tuple[str, str]:
    return (delivery.workspace, delivery.input)
