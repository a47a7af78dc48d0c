"""Real time: membership follows the data, and the clock, within seconds.

Data: ingestion queues the (workspace, mpid) pairs it touched in `PendingEvaluation`, in the
same transaction as the data, and wakes the evaluator. The evaluator drains the queue in
chunks and re-evaluates those users against the active real-time audiences of their
workspaces, then against the audiences that nest those, in dependency order: one compiled,
mpid-restricted query per audience per chunk, never one per user.

Clock: a periodic sweep finds, per audience, only the users whose membership can change with
time alone (a qualifying event leaving a "last N days" window, a cart's wait maturing, a
first-seen window moving) since the last sweep, and re-evaluates just them.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import defaultdict
from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Workspace
from audiences import queued
from audiences.calculation import Changes, DefinitionUnusable, recalculate_for
from audiences.criteria.definition import (
    CartAbandonmentCriterion,
    EventCriterion,
    FirstSeenCriterion,
    TimeWindow,
    parse_definition,
)
from audiences.criteria.scope import Scope
from audiences.models import Audience, AudienceKind, AudienceStatus

log = logging.getLogger(__name__)

CHUNK = 2000
# A drain task gives its worker back after this long and queues its continuation, so tasks
# queued meanwhile (forwarding) run. Under steady load the queue of touched users never
# empties: drains without a limit held every worker process for as long as the load lasted,
# and forwarding waited up to a minute (docs/benchmarks.md, forwarding).
TASK_BUDGET_SECONDS = 2.0
DEFAULT_EVENT_WINDOW = TimeWindow(within_days=30)


def queue(workspace_id: int, mpids: Iterable[int], now: dt.datetime) -> None:
    """Remember users to re-evaluate; called inside the ingestion transaction."""
    mpids = sorted(set(mpids))
    if not mpids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audiences_pendingevaluation (workspace_id, mpid, queued_at) "
            "SELECT %s, m, %s FROM unnest(%s::bigint[]) AS m ON CONFLICT (workspace_id, mpid) DO NOTHING",
            [workspace_id, now, mpids],
        )


DRAIN = "drain"


def wake() -> None:
    """Ask a worker to drain the queue (after the data it refers to has committed), unless a
    drain task is queued and not started yet (see audiences.queued)."""
    from audiences.tasks import evaluate_pending

    if queued.mark([DRAIN]):
        evaluate_pending.delay()


def draining() -> None:
    """A drain task starts: users queued from now on need a new wake."""
    queued.started(DRAIN)


def active_audiences(account_id: int) -> list[Audience]:
    return list(
        Audience.objects.filter(account_id=account_id, status=AudienceStatus.ACTIVE, kind=AudienceKind.REALTIME)
        .prefetch_related("workspaces", "inputs")
        .order_by("pk")
    )


def _nested_ids(audience: Audience) -> set[int]:
    criteria = (audience.definition or {}).get("criteria") or []
    return {c.get("audience_id") for c in criteria if isinstance(c, dict) and c.get("type") == "audience"}


def in_dependency_order(audiences: list[Audience], workspace_ids: set[int]) -> list[Audience]:
    """The audiences of these workspaces, then every audience nesting one of them (transitively),
    each after the audiences it nests, so nested membership is never stale."""
    by_id = {a.pk: a for a in audiences}
    chosen = {a.pk for a in audiences if workspace_ids & {w.pk for w in a.workspaces.all()}}
    growing = True
    while growing:
        growing = False
        for audience in audiences:
            if audience.pk not in chosen and _nested_ids(audience) & chosen:
                chosen.add(audience.pk)
                growing = True
    ordered: list[Audience] = []
    placed: set[int] = set()

    def place(audience_id: int, trail: frozenset[int]) -> None:
        if audience_id in placed or audience_id in trail or audience_id not in by_id:
            return
        for nested in _nested_ids(by_id[audience_id]):
            if nested in chosen:
                place(nested, trail | {audience_id})
        placed.add(audience_id)
        ordered.append(by_id[audience_id])

    for audience_id in sorted(chosen):
        place(audience_id, frozenset())
    return ordered


def evaluate(workspace_mpids: dict[int, set[int]], account_id: int, now: dt.datetime) -> dict[int, Changes]:
    """Re-evaluate these users of these workspaces in every audience they may enter or leave."""
    audiences = active_audiences(account_id)
    mpids = sorted(set().union(*workspace_mpids.values())) if workspace_mpids else []
    results: dict[int, Changes] = {}
    for audience in in_dependency_order(audiences, set(workspace_mpids)):
        try:
            results[audience.pk] = recalculate_for(audience, mpids, now=now)
        except DefinitionUnusable as exc:
            log.warning("audience %s cannot be evaluated: %s", audience.pk, exc)
    return results


def drain(now: dt.datetime | None = None, chunk: int = CHUNK, budget_seconds: float | None = None) -> int:
    """Evaluate queued users chunk by chunk until the queue is empty, or until `budget_seconds`
    have passed (no new chunk starts after that). Answers how many."""
    began = time.monotonic()
    total = 0
    while budget_seconds is None or time.monotonic() - began < budget_seconds:
        with transaction.atomic():
            with connection.cursor() as cursor:
                # SKIP LOCKED: several workers drain side by side; a killed worker's rows return.
                cursor.execute(
                    "DELETE FROM audiences_pendingevaluation WHERE id IN ("
                    " SELECT id FROM audiences_pendingevaluation ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED)"
                    " RETURNING workspace_id, mpid",
                    [chunk],
                )
                rows = cursor.fetchall()
            if not rows:
                return total
            by_account: dict[int, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
            accounts = dict(Workspace.objects.filter(pk__in={w for w, _ in rows}).values_list("pk", "account_id"))
            for workspace_id, mpid in rows:
                if workspace_id in accounts:
                    by_account[accounts[workspace_id]][workspace_id].add(mpid)
            for account_id, workspace_mpids in by_account.items():
                evaluate(workspace_mpids, account_id, now or timezone.now())
            total += len(rows)
    return total


def pending() -> bool:
    """Users wait that no drain holds (rows another drain is evaluating are locked: skipped)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM audiences_pendingevaluation LIMIT 1 FOR SHARE SKIP LOCKED")
        return cursor.fetchone() is not None


# The clock ------------------------------------------------------------------------------------


def _moving_edges(window: TimeWindow) -> list[dt.timedelta]:
    """How far back from `now` each edge of a relative window lies; absolute dates never move.

    Candidates are taken with both ends of [since - edge, now - edge] included: an edge
    case evaluated twice costs nothing, one never evaluated would be a stale member."""
    if window.within_days is not None:
        return [dt.timedelta(days=window.within_days)]
    if window.between_days_ago is not None:
        older, newer = window.between_days_ago
        return [dt.timedelta(days=older), dt.timedelta(days=newer)]
    return []


def _event_candidates(
    scope: Scope, event_type: str, name: str | None, edges: list[dt.timedelta], since: dt.datetime, now: dt.datetime
) -> set[int]:
    found: set[int] = set()
    # Spelled as the compiler spells it: one tier by equality, so PostgreSQL prunes the other
    # partitions (`= ANY` does not prune a range key), and the exact name the criterion counts,
    # so the (workspace, type, name, timestamp) index bounds the window (lower() cannot use it).
    # On 10,000,000 events: 0.2 ms instead of a second per edge (docs/benchmarks.md).
    tier = "tier = %s" if len(scope.tiers) == 1 else "tier = ANY(%s)"
    for edge in edges:
        sql = (
            f"SELECT DISTINCT mpid FROM audiences_event WHERE account_id = %s AND {tier}"
            " AND workspace_id = ANY(%s) AND input_id = ANY(%s) AND event_type = %s"
            " AND timestamp >= %s AND timestamp <= %s"
        )
        params: list = [
            scope.account_id,
            scope.tiers[0] if len(scope.tiers) == 1 else list(scope.tiers),
            list(scope.workspace_ids),
            list(scope.input_ids),
            event_type,
            since - edge,
            now - edge,
        ]
        if name is not None:
            sql += " AND name = %s"
            params.append(name)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            found.update(row[0] for row in cursor.fetchall())
    return found


def _first_seen_candidates(scope: Scope, edges: list[dt.timedelta], since: dt.datetime, now: dt.datetime) -> set[int]:
    found: set[int] = set()
    for edge in edges:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT mpid FROM audiences_profileworkspace WHERE workspace_id = ANY(%s)"
                " AND first_seen >= %s AND first_seen <= %s",
                [list(scope.workspace_ids), since - edge, now - edge],
            )
            found.update(row[0] for row in cursor.fetchall())
    return found


def clock_candidates(audience: Audience, since: dt.datetime, now: dt.datetime) -> set[int]:
    """Users whose membership of this audience may have changed between `since` and `now`
    with no new data: only they are re-evaluated."""
    definition, _ = parse_definition(audience.definition)
    if definition is None:
        return set()
    scope = Scope.of(audience)
    found: set[int] = set()
    for criterion in definition.criteria:
        if isinstance(criterion, EventCriterion):
            window = criterion.time or DEFAULT_EVENT_WINDOW
            found |= _event_candidates(scope, criterion.event_type, criterion.name, _moving_edges(window), since, now)
        elif isinstance(criterion, CartAbandonmentCriterion):
            window = criterion.time or DEFAULT_EVENT_WINDOW
            edges = [*_moving_edges(window), dt.timedelta(hours=criterion.wait_hours)]
            found |= _event_candidates(scope, "commerce_event", "add_to_cart", edges, since, now)
        elif isinstance(criterion, FirstSeenCriterion):
            found |= _first_seen_candidates(scope, _moving_edges(criterion.time), since, now)
    return found


def sweep(now: dt.datetime | None = None) -> dict[int, int]:
    """Re-evaluate, in every active real-time audience, the users the clock may have moved."""
    now = now or timezone.now()
    touched: dict[int, int] = {}
    for audience in Audience.objects.filter(status=AudienceStatus.ACTIVE, kind=AudienceKind.REALTIME).order_by("pk"):
        since = audience.swept_at or audience.calculated_at or now
        candidates = clock_candidates(audience, since, now) if since < now else set()
        if candidates:
            try:
                changes = recalculate_for(audience, sorted(candidates), now=now)
            except DefinitionUnusable:
                continue
            # Audiences nesting this one see its new members through the queue of users.
            if changes.changed:
                for workspace in audience.workspaces.all():
                    queue(workspace.pk, candidates, now)
        Audience.objects.filter(pk=audience.pk).update(swept_at=now)
        touched[audience.pk] = len(candidates)
    return touched
