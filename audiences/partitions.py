"""Partitions of the event table: created on demand, dropped whole when past retention."""

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
    """Live events get one partition per UTC day; historical imports one per month."""
    if tier == Tier.HISTORICAL:
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


def drop_expired(now: dt.datetime | None = None) -> list[str]:
    """Drop every live partition wholly older than its account's retention window."""
    now = now or timezone.now()
    dropped = []
    for account in Account.objects.all():
        cutoff = (now - dt.timedelta(days=account.retention_days)).date()
        # A day's partition ends at the next midnight; it may go once that is before the cutoff.
        expired = EventPartition.objects.filter(account=account, tier=Tier.LIVE, day__lt=cutoff)
        for partition in expired:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f'DROP TABLE IF EXISTS "{partition.table_name}"')
                partition.delete()
            _known.discard((account.pk, partition.tier, partition.day))
            dropped.append(partition.table_name)
    if dropped:
        log.info("dropped %d expired event partitions", len(dropped))
    return dropped


def prepare_upcoming(now: dt.datetime | None = None, days: int = 2) -> None:
    """Create today's and the next days' live partitions ahead of traffic."""
    today = (now or timezone.now()).date()
    upcoming = [today + dt.timedelta(days=n) for n in range(days + 1)]
    for account_id in Account.objects.values_list("pk", flat=True):
        ensure_partitions(account_id, Tier.LIVE, upcoming)
