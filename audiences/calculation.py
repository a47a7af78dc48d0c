"""Calculate an audience: compute its members with the compiled query and write only the
difference to the current members, appending every add and drop to the change log.

The diff happens inside PostgreSQL in one statement: the new member set is computed once (a
materialised CTE), the adds are inserted and the drops deleted from `audiences_member`, and
both are appended to `audiences_membershipchange` in mpid order (drops first). Nothing is
written when nothing changed. A per-audience advisory lock serialises calculations, so a full
calculation and a real-time update of the same audience never both log the same change.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from audiences.criteria.compiler import CompiledQuery, compile_definition, set_based_plans, statistics_known
from audiences.criteria.datatypes import resolve_types
from audiences.criteria.definition import Definition, parse_definition
from audiences.criteria.scope import Scope
from audiences.models import Audience
from audiences.models.audiences import CalculationState
from audiences.models.variations import variation_join
from audiences.signals import announce_membership_changed

log = logging.getLogger(__name__)


class DefinitionUnusable(Exception):
    """The stored definition cannot be calculated (missing or invalid)."""

    def __init__(self, errors: list[dict[str, str]]):
        self.errors = errors
        super().__init__("; ".join(f"{e['path']}: {e['message']}" for e in errors))


@dataclass(frozen=True)
class Changes:
    added: int
    dropped: int

    @property
    def changed(self) -> bool:
        return bool(self.added or self.dropped)


def prepare(audience: Audience) -> tuple[Definition, Scope]:
    """The audience's definition, types resolved against its workspaces' catalogue, and scope."""
    if not audience.definition:
        raise DefinitionUnusable([{"path": "definition", "message": "the audience has no criteria yet"}])
    definition, errors = parse_definition(audience.definition)
    if definition is None:
        raise DefinitionUnusable(errors)
    scope = Scope.of(audience)
    return resolve_types(definition, scope), scope


def find_members(
    definition: Definition,
    scope: Scope,
    *,
    now: dt.datetime,
    mpids: Sequence[int] | None = None,
) -> set[int]:
    """The mpids the definition selects now (limited to `mpids` if given). Writes nothing."""
    sql, params = compile_definition(definition, scope, now=now, mpids=mpids).members()
    with transaction.atomic(), connection.cursor() as cursor, set_based_plans(cursor):
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}


def lock_audience(cursor, audience_id: int) -> None:
    """Serialise every writer of an audience's members for the rest of the transaction."""
    cursor.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('audience-calculation:' || %s::text, 0))", [audience_id]
    )


def drop_from_every_audience(mpid: int, account_id: int, now: dt.datetime | None = None) -> list[int]:
    """Take a user out of every audience of the account, logging each drop (profile deletion)."""
    now = now or timezone.now()
    audience_ids = sorted(
        Audience.objects.filter(account_id=account_id, members__mpid=mpid).values_list("pk", flat=True)
    )
    with transaction.atomic(), connection.cursor() as cursor:
        for audience_id in audience_ids:
            lock_audience(cursor, audience_id)
            cursor.execute(
                "WITH gone AS (DELETE FROM audiences_member WHERE audience_id = %s AND mpid = %s"
                " RETURNING mpid, variation_id)"
                " INSERT INTO audiences_membershipchange (audience_id, mpid, variation_id, added, at)"
                " SELECT %s, mpid, variation_id, false, %s FROM gone",
                [audience_id, mpid, audience_id, now],
            )
            if cursor.rowcount:
                Audience.objects.filter(pk=audience_id).update(size=F("size") - cursor.rowcount)
        announce_membership_changed(audience_ids)
    return audience_ids


def _apply(
    audience_id: int,
    compiled: CompiledQuery,
    now: dt.datetime,
    mpids: Sequence[int] | None,
    *,
    account_id: int | None = None,
) -> Changes:
    # A new member takes the A/B variation its mpid's stable bucket falls in (NULL without a
    # test); members keep theirs, so definition edits never move anyone between variations.
    members_sql, params = compiled.members()
    params = {**params, "audience": audience_id, "now": now}
    # Limited to given mpids, both sides of the diff read only their members (not the whole
    # audience: the statement plans with hash joins, see set_based_plans).
    only = ""
    if mpids is not None:
        params["only"] = sorted(set(mpids))
        only = " AND m.mpid = ANY(%(only)s::bigint[])"
    sql = f"""
        WITH fresh AS MATERIALIZED ({members_sql}),
        added AS (
            INSERT INTO audiences_member (audience_id, mpid, variation_id, added_at)
            SELECT %(audience)s, f.mpid, v.id, %(now)s FROM fresh AS f
            {variation_join("f.mpid", "%(audience)s")}
            WHERE NOT EXISTS (
                SELECT 1 FROM audiences_member AS m WHERE m.audience_id = %(audience)s AND m.mpid = f.mpid{only}
            )
            RETURNING mpid, variation_id
        ),
        dropped AS (
            DELETE FROM audiences_member AS m WHERE m.audience_id = %(audience)s{only}
            AND NOT EXISTS (SELECT 1 FROM fresh AS f WHERE f.mpid = m.mpid)
            RETURNING mpid, variation_id
        )
        INSERT INTO audiences_membershipchange (audience_id, mpid, variation_id, added, at)
        SELECT %(audience)s, mpid, variation_id, added, %(now)s FROM (
            SELECT mpid, variation_id, false AS added FROM dropped
            UNION ALL SELECT mpid, variation_id, true FROM added
        ) AS changes ORDER BY added, mpid
        RETURNING added
    """
    with connection.cursor() as cursor:
        lock_audience(cursor, audience_id)
        # A full calculation over measured tables plans as PostgreSQL would (statistics_known).
        trusted = mpids is None and account_id is not None and statistics_known(cursor, account_id)
        with set_based_plans(cursor, trust_statistics=trusted):
            cursor.execute(sql, params)
            flags = [row[0] for row in cursor.fetchall()]
    return Changes(added=sum(flags), dropped=len(flags) - sum(flags))


def calculate(audience: Audience, now: dt.datetime | None = None) -> Changes:
    """Recalculate every member of the audience; shows progress and the outcome on its row."""
    now = now or timezone.now()
    Audience.objects.filter(pk=audience.pk).update(
        calculation_state=CalculationState.CALCULATING, calculation_progress=0.0, calculation_error=""
    )
    try:
        definition, scope = prepare(audience)
        compiled = compile_definition(definition, scope, now=now)
        with transaction.atomic():
            changes = _apply(audience.pk, compiled, now, mpids=None, account_id=audience.account_id)
            size = audience.members.count()
            Audience.objects.filter(pk=audience.pk).update(
                size=size,
                calculation_state=CalculationState.DONE,
                calculation_progress=1.0,
                calculated_at=now,
                calculation_error="",
            )
            if changes.changed:
                announce_membership_changed([audience.pk])
    except Exception as exc:
        Audience.objects.filter(pk=audience.pk).update(
            calculation_state=CalculationState.FAILED, calculation_error=str(exc)[:2000]
        )
        log.warning("calculation of audience %s failed: %s", audience.pk, exc)
        raise
    audience.refresh_from_db(fields=["size", "calculation_state", "calculation_progress", "calculated_at"])
    log.info("audience %s calculated: %d added, %d dropped", audience.pk, changes.added, changes.dropped)
    return changes


def recalculate_for(audience: Audience, mpids: Sequence[int], now: dt.datetime | None = None) -> Changes:
    """Re-evaluate only these profiles (after new data about them arrived)."""
    if not mpids:
        return Changes(0, 0)
    now = now or timezone.now()
    definition, scope = prepare(audience)
    compiled = compile_definition(definition, scope, now=now, mpids=mpids)
    with transaction.atomic():
        changes = _apply(audience.pk, compiled, now, mpids=mpids)
        if changes.changed:
            Audience.objects.filter(pk=audience.pk).update(size=F("size") + changes.added - changes.dropped)
            announce_membership_changed([audience.pk])
    return changes
