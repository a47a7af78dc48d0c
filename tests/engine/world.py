"""A small world for engine tests: an account with three workspaces and their inputs, two
audiences to nest, event partitions around a fixed moment, and a writer that puts profiles
(their workspace rows, identities, events, memberships, calculated attributes) in the database
exactly as given, odd values included."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connection

from accounts.models import Account, Workspace
from audiences.calculation import calculate
from audiences.criteria.compiler import SAMPLED_BUCKETS
from audiences.models import Audience, Member
from audiences.models.audiences import AudienceKind, AudienceStatus
from audiences.models.events import Tier
from tests.factories import AccountFactory, WorkspaceFactory, make_input

# The spec's example moment: calculated at 13:00 UTC on 9 September 2018.
NOW = dt.datetime(2018, 9, 9, 13, 0, tzinfo=dt.UTC)


def midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC)


FIRST_DAY = (NOW - dt.timedelta(days=40)).date()
LAST_DAY = (NOW + dt.timedelta(days=2)).date()


@dataclass
class World:
    account: Account
    workspaces: list[Workspace]
    inputs: dict[int, list[int]]  # workspace id -> its input ids
    nested: list[Audience]
    # New profiles alternate between mpids the estimator samples and mpids it does not.
    mpids: Iterator[int] = field(default_factory=lambda: iter(()))


def make_world(name: str = "Engine") -> World:
    account = AccountFactory(name=name, retention_days=60)
    workspaces = [WorkspaceFactory(account=account, name=f"{name} {n}") for n in ("one", "two", "three")]
    inputs = {}
    for workspace in workspaces:
        inputs[workspace.pk] = [
            make_input(workspace, name=f"{workspace.name} {p}", platform=p)[0].pk for p in ("ios", "web")
        ]
    nested = [Audience.objects.create(account=account, name=f"{name} nested {n}", definition=None) for n in (1, 2)]
    # One partition per tier for the whole span: the engine reads across partitions anyway, and
    # forty daily ones per test would cost more than the tests themselves.
    with connection.cursor() as cursor:
        for tier in (Tier.LIVE, Tier.HISTORICAL):
            cursor.execute(
                f"CREATE TABLE audiences_event_engine_a{account.pk}_t{tier} PARTITION OF audiences_event "
                "FOR VALUES FROM (%s, %s, %s) TO (%s, %s, %s)",
                [account.pk, tier, midnight(FIRST_DAY), account.pk, tier, midnight(LAST_DAY + dt.timedelta(days=1))],
            )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT m, audiences_sample_bucket(m) < %s FROM generate_series(1000, 100000) AS m", [SAMPLED_BUCKETS]
        )
        pools: dict[bool, list[int]] = {True: [], False: []}
        for mpid, sampled in cursor.fetchall():
            pools[sampled].append(mpid)
    # Examples of the property tests roll back, so mpids may come round again after thousands.
    pairs = zip(pools[True], pools[False], strict=False)
    mpids = itertools.cycle(list(itertools.chain.from_iterable(pairs)))
    return World(account=account, workspaces=workspaces, inputs=inputs, nested=nested, mpids=mpids)


@dataclass
class Row:
    workspace: int  # index into World.workspaces
    first_seen: dt.datetime = NOW - dt.timedelta(days=10)
    user_attributes: Any = field(default_factory=dict)
    consent: Any = field(default_factory=dict)
    device: Any = field(default_factory=dict)
    latitude: float | None = None
    longitude: float | None = None
    install: Any = None
    uninstall: Any = None


@dataclass
class Happened:
    workspace: int
    input: int  # index into that workspace's inputs
    event_type: str
    name: str
    timestamp: dt.datetime
    attributes: Any = field(default_factory=dict)
    tier: int = Tier.LIVE


@dataclass
class Person:
    """One profile as the tests describe it; `mpid` is given when written."""

    rows: list[Row] = field(default_factory=list)
    identities: list[tuple[int, str, str]] = field(default_factory=list)  # (workspace, type, value)
    events: list[Happened] = field(default_factory=list)
    memberships: list[int] = field(default_factory=list)  # indexes into World.nested
    calculated: list[tuple[int, str, Any]] = field(default_factory=list)  # (workspace, name, value)


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def write_people(world: World, people: list[Person]) -> list[int]:
    """Write the people as profiles; returns their (new) mpids in order."""
    account = world.account.pk
    ws = [w.pk for w in world.workspaces]
    mpids = [next(world.mpids) for _ in people]
    created = NOW - dt.timedelta(days=60)
    profiles, rows, identities, events, members, calculated = [], [], [], [], [], []
    seen_identities, seen_calculated = set(), set()
    for mpid, person in zip(mpids, people, strict=True):
        profiles.append((mpid, account, mpid, created))
        for row in {r.workspace: r for r in person.rows}.values():
            rows.append(
                (
                    mpid,
                    ws[row.workspace],
                    row.first_seen,
                    NOW,
                    _json(row.user_attributes),
                    _json(row.consent),
                    _json(row.device),
                    row.latitude,
                    row.longitude,
                    _json(row.install),
                    _json(row.uninstall),
                )
            )
        for workspace, kind, value in person.identities:
            if (kind, value, workspace) not in seen_identities:
                seen_identities.add((kind, value, workspace))
                identities.append((account, mpid, ws[workspace], kind, value, created, created))
        for event in person.events:
            source = world.inputs[ws[event.workspace]][event.input]
            events.append(
                (
                    account,
                    event.tier,
                    event.timestamp,
                    ws[event.workspace],
                    source,
                    mpid,
                    event.event_type,
                    event.name,
                    _json(event.attributes),
                    NOW,
                )
            )
        for index in set(person.memberships):
            members.append((world.nested[index].pk, mpid, created))
        for workspace, name, value in person.calculated:
            if (workspace, name) not in seen_calculated:
                seen_calculated.add((workspace, name))
                calculated.append((mpid, ws[workspace], name, _json(value), created))
        seen_calculated.clear()
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO audiences_profile (mpid, account_id, sample_bucket, created_at) "
            "VALUES (%s, %s, audiences_sample_bucket(%s), %s)",
            profiles,
        )
        if rows:
            cursor.executemany(
                "INSERT INTO audiences_profileworkspace (mpid, workspace_id, first_seen, last_seen, user_attributes, "
                "consent, device, latitude, longitude, install_attribution, uninstall_attribution) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                rows,
            )
        if identities:
            cursor.executemany(
                "INSERT INTO audiences_identity (account_id, mpid, workspace_id, identity_type, value, first_seen, "
                "last_seen) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                identities,
            )
        if events:
            cursor.executemany(
                "INSERT INTO audiences_event (account_id, tier, timestamp, workspace_id, input_id, mpid, event_type, "
                "name, attributes, received_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                events,
            )
        if members:
            cursor.executemany(
                "INSERT INTO audiences_member (audience_id, mpid, variation_id, added_at) VALUES (%s, %s, NULL, %s)",
                members,
            )
        if calculated:
            cursor.executemany(
                "INSERT INTO audiences_calculatedattributevalue (mpid, workspace_id, name, value, computed_at) "
                "VALUES (%s, %s, %s, %s, %s)",
                calculated,
            )
    return mpids


def audience_for(
    world: World,
    *criteria: dict[str, Any],
    workspaces: tuple[int, ...] = (0,),
    inputs: list[tuple[int, int]] | None = None,
    kind: str = AudienceKind.REALTIME,
    name: str = "Under test",
) -> Audience:
    """An active audience over the given workspaces (indexes) and inputs ((workspace, input) indexes;
    by default every input of those workspaces), with the criteria joined as given."""
    audience = Audience.objects.create(
        account=world.account,
        name=name,
        kind=kind,
        multi_workspace=len(workspaces) > 1,
        status=AudienceStatus.ACTIVE,
        definition={"version": 1, "criteria": list(criteria)},
    )
    chosen = [world.workspaces[w] for w in workspaces]
    audience.workspaces.set(chosen)
    if inputs is None:
        inputs = [(w, i) for w in workspaces for i in (0, 1)]
    audience.inputs.set([world.inputs[world.workspaces[w].pk][i] for w, i in inputs])
    return audience


def members(audience: Audience, now=NOW) -> set[int]:
    """Calculate the audience now and return its members."""
    calculate(audience, now=now)
    return set(Member.objects.filter(audience=audience).values_list("mpid", flat=True))


def put(world: World, *persons: Person) -> list[int]:
    """Write these people; their mpids in order."""
    return write_people(world, list(persons))
