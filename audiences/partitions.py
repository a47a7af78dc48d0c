"""Partitions of the event table: created on demand, rolled up and dropped whole with age.

Live events get one partition per UTC day. A day wholly past the account's real-time window
(`retention_days`) leaves the live tier, which real-time audiences read: its rows move, in one
transaction, into the long-term tier's partition of that month (a day's rows are written once
more, and long date ranges scan a few dozen monthly partitions instead of hundreds of days).
Historical imports and the long-term history are dropped a month at a time once the month is
wholly past the long-term retention (`long_term_retention_days`). Standard audiences read all
three tiers, so what was ingested a second ago is already theirs.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Account
from audiences.models.events import EventPartition, Tier

log = logging.getLogger(__name__)

# Partitions known to exist in this process, so ingestion asks the database only for new days.
_known: set[tuple[int, int, dt.date]] = set()


def span_of(tier: int, when: dt.date) -> tuple[dt.date, dt.date]:
    """Live events get one partition per UTC day; historical imports and long-term history one
    per month."""
    if tier != Tier.LIVE:
        start = when.replace(day=1)
        end = (start + dt.timedelta(days=32)).replace(day=1)
        return start, end
    return when, when + dt.timedelta(days=1)


def table_name(account_id: int, tier: int, start: dt.date) -> str:
    return f"audiences_event_a{account_id}_t{tier}_{start:%Y%m%d}"


def ensure_partitions(account_id: int, tier: int, days: Iterable[dt.date]) -> None:
    """Create the partitions that these days' events need, if they do not exist yet."""
    starts = {span_of(tier, day)[0] for day in days}
    missing = sorted(start for start in starts if (account_id, tier, start) not in _known)
    if not missing:
        return
    existing = set(
        EventPartition.objects.filter(account_id=account_id, tier=tier, day__in=missing).values_list("day", flat=True)
    )
    for start in missing:
        if start not in existing:
            _create(account_id, tier, start)
        # Remember it only once it is committed: a rolled-back creation must be redone.
        transaction.on_commit(lambda key=(account_id, tier, start): _known.add(key))


def forget_partitions(account_id: int) -> None:
    """Drop this process's memory of an account's partitions (another process dropped some)."""
    for key in [key for key in _known if key[0] == account_id]:
        _known.discard(key)


def _create(account_id: int, tier: int, start: dt.date) -> None:
    end = span_of(tier, start)[1]
    name = table_name(account_id, tier, start)
    with transaction.atomic(), connection.cursor() as cursor:
        # Serialise creators of the same partition; CREATE TABLE IF NOT EXISTS alone can still
        # collide on the catalogue when two processes race.
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [name])
        cursor.execute(
            f'CREATE TABLE IF NOT EXISTS "{name}" PARTITION OF audiences_event '
            "FOR VALUES FROM (%s, %s, %s) TO (%s, %s, %s)",
            [
                account_id,
                tier,
                start.isoformat() + "T00:00:00Z",
                account_id,
                tier,
                end.isoformat() + "T00:00:00Z",
            ],
        )
        EventPartition.objects.get_or_create(account_id=account_id, tier=tier, day=start, defaults={"table_name": name})


COLUMNS = (
    'id, account_id, tier, "timestamp", workspace_id, input_id, mpid, event_type, name, custom_event_type, '
    "attributes, commerce, extra, received_at"
)


def roll_into_long_term(partition: EventPartition) -> None:
    """Move a live day's events into the long-term tier, then drop the day's partition."""
    ensure_partitions(partition.account_id, Tier.LONG_TERM, [partition.day])
    moved = COLUMNS.replace("tier,", f"{Tier.LONG_TERM}::smallint,")
    with connection.cursor() as cursor:
        cursor.execute(f'INSERT INTO audiences_event ({COLUMNS}) SELECT {moved} FROM "{partition.table_name}"')
        cursor.execute(f'DROP TABLE IF EXISTS "{partition.table_name}"')
    partition.delete()


def drop_expired(now: dt.datetime | None = None) -> list[str]:
    """Move every live day past its account's real-time window into the long-term history, and
    drop the months past the long-term retention. Answers the partitions that went away."""
    now = now or timezone.now()
    gone = []
    for account in Account.objects.all():
        # A day's partition ends at the next midnight; it may go once that is before the cutoff.
        window_cutoff = (now - dt.timedelta(days=account.retention_days)).date()
        kept_cutoff = (now - dt.timedelta(days=account.long_term_retention_days)).date()
        days = EventPartition.objects.filter(account=account, tier=Tier.LIVE, day__lt=window_cutoff)
        for pk in days.order_by("day").values_list("pk", flat=True):
            with transaction.atomic():
                partition = _claim(pk)
                if partition is None:
                    continue
                if partition.day < kept_cutoff:
                    _drop(partition)
                else:
                    roll_into_long_term(partition)
            _known.discard((account.pk, partition.tier, partition.day))
            gone.append(partition.table_name)
        months = EventPartition.objects.filter(account=account, tier__in=[Tier.HISTORICAL, Tier.LONG_TERM])
        for pk in months.filter(day__lt=kept_cutoff).order_by("day").values_list("pk", flat=True):
            with transaction.atomic():
                partition = _claim(pk)
                if partition is None or span_of(partition.tier, partition.day)[1] > kept_cutoff:
                    continue  # another sweep dropped it, or part of the month is still kept
                _drop(partition)
            _known.discard((account.pk, partition.tier, partition.day))
            gone.append(partition.table_name)
    if gone:
        log.info("%d event partitions left the live tier or the long-term history", len(gone))
    return gone


def _claim(pk: int) -> EventPartition | None:
    """The partition, locked until the caller's transaction ends; None once another sweep has
    moved or dropped it. Two sweeps at once take turns on each partition (the second waits,
    then finds it gone) instead of both copying a day or reading a dropped table."""
    return EventPartition.objects.select_for_update().filter(pk=pk).first()


def _drop(partition: EventPartition) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'DROP TABLE IF EXISTS "{partition.table_name}"')
    partition.delete()


def prepare_upcoming(now: dt.datetime | None = None, days: int = 2) -> None:
    """Create today's and the next days' live partitions ahead of traffic."""
    today = (now or timezone.now()).date()
    upcoming = [today + dt.timedelta(days=n) for n in range(days + 1)]
    for account_id in Account.objects.values_list("pk", flat=True):
        ensure_partitions(account_id, Tier.LIVE, upcoming)
