"""Standard audiences: built once over a date range of the long-term history, on request,
paid for with calculation credits, and sent to their connections on request.

Lifecycle (`Audience.standard_state`): Draft -> Calculating -> Ready -> Expired, 30 days after
the calculation. A failed calculation refunds its credits and returns its audiences to Draft
with the reason in `calculation_error`.

Credits: one per 365 days (or part) of the union of the date ranges calculated together,
however many audiences share them. A span is measured from its first day to its last, as the
reference's examples count (1 Jan 2018 to 1 Jan 2020 is two years: 2 credits; the year 2019 is
1), so a whole calendar year, leap or not, costs one credit. The balance lives on the account
row and only moves together with a ledger row, under a row lock; a check constraint keeps it
from ever going below zero.

Every refusal is a `StandardRefused` with `{"path", "message"}` errors (the Platform API
answers them as they are, forms put them on the named field) and writes nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import math
import re
from collections.abc import Iterator, Sequence
from typing import Any

from django.db import connection as db
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from accounts.models import Account
from audiences import services
from audiences.calculation import DefinitionUnusable, calculate, prepare
from audiences.models import (
    Audience,
    AudienceKind,
    AudienceStatus,
    CreditEntry,
    CreditReason,
    EventPartition,
    StandardCalculation,
    StandardCalculationState,
    StandardState,
)
from audiences.models.audiences import CalculationState

log = logging.getLogger(__name__)

DAYS_PER_CREDIT = 365
EXPIRES_AFTER = dt.timedelta(days=30)
# A calculation queued or running this long without a sign of life has lost its task.
STALLED_AFTER = dt.timedelta(minutes=5)
MAX_RESTARTS = 3
UNFINISHED = (StandardCalculationState.QUEUED, StandardCalculationState.RUNNING)
MAX_GRANT = 1_000_000
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class StandardRefused(Exception):
    """A standard audience action that cannot be done; nothing was written."""

    def __init__(self, errors: list[dict[str, str]], status: int = 400):
        super().__init__("; ".join(f"{e['path']}: {e['message']}" for e in errors))
        self.errors = errors
        self.status = status


# -- date ranges ---------------------------------------------------------------------------------


def parse_date_range(value: Any, path: str = "date_range") -> tuple[dt.date | None, dt.date | None]:
    """`{"all": true}` or `{"start": "YYYY-MM-DD", "end": "YYYY-MM-DD" | "most_recent"}` as
    (first day, last day); None for an open side. Refuses with the path of the fault."""
    shape = f'{path} is {{"all": true}} or {{"start": "YYYY-MM-DD", "end": "YYYY-MM-DD" or "most_recent"}}'
    if not isinstance(value, dict):
        raise StandardRefused([{"path": path, "message": shape}])
    if value.get("all") is True and set(value) == {"all"}:
        return None, None
    errors = [{"path": f"{path}.{key}", "message": "unknown field"} for key in value if key not in ("start", "end")]
    if "all" in value:
        errors = [{"path": f"{path}.all", "message": "all is true, without start and end"}]
    start = _day(value.get("start"), f"{path}.start", errors, required=True)
    end_value = value.get("end")
    end = None if end_value == "most_recent" else _day(end_value, f"{path}.end", errors, required=True)
    today = timezone.now().date()
    if start is not None and start > today:
        errors.append({"path": f"{path}.start", "message": "the period cannot start in the future"})
    if start is not None and end is not None and end < start:
        errors.append({"path": f"{path}.end", "message": "the end date must be on or after the start date"})
    if errors:
        raise StandardRefused(errors)
    return start, end


def _day(value: Any, path: str, errors: list[dict[str, str]], *, required: bool) -> dt.date | None:
    if value is None:
        if required:
            wanted = 'a date YYYY-MM-DD or "most_recent"' if path.endswith(".end") else "a date YYYY-MM-DD"
            errors.append({"path": path, "message": f"missing: {wanted}"})
        return None
    if isinstance(value, str) and DAY.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    shown = value[:40] if isinstance(value, str) else value
    errors.append({"path": path, "message": f"{shown!r} is not a date YYYY-MM-DD"})
    return None


def date_range_of(audience: Audience) -> dict[str, str | bool]:
    """The date range as the Platform API writes it."""
    if audience.range_start is None:
        return {"all": True}
    end = audience.range_end.isoformat() if audience.range_end else "most_recent"
    return {"start": audience.range_start.isoformat(), "end": end}


def oldest_event_day(account_id: int) -> dt.date | None:
    """The day of the account's oldest stored event (live, imported or long-term)."""
    oldest: dt.datetime | None = None
    # Partitions in the order of the time they cover: the first non-empty one holds the answer
    # (or one starting on the same day, in another tier), without scanning the whole history.
    for partition in EventPartition.objects.filter(account_id=account_id).order_by("day", "tier"):
        if oldest is not None and partition.day > oldest.date():
            break
        with db.cursor() as cursor:
            cursor.execute(f'SELECT min("timestamp") FROM "{partition.table_name}"')
            found = cursor.fetchone()[0]
        if found is not None and (oldest is None or found < oldest):
            oldest = found
    return oldest.astimezone(dt.UTC).date() if oldest is not None else None


def available_since(account: Account, today: dt.date | None = None) -> dt.date:
    """Where "all available data" starts: the oldest stored event, within the retention."""
    today = today or timezone.now().date()
    kept_from = today - dt.timedelta(days=account.long_term_retention_days)
    oldest = oldest_event_day(account.pk)
    return max(oldest or today, kept_from)


def days_of(audience: Audience, *, today: dt.date, since: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day an audience scans (both included). Days after today hold no data
    yet, so an end date in the future scans (and costs) only up to today."""
    last = min(audience.range_end or today, today)
    first = audience.range_start or since
    return min(first, last), last


def credits_needed(audiences: Sequence[Audience]) -> int:
    """One credit per 365 days (or part) of the union of the audiences' date ranges."""
    if not audiences:
        return 0
    today = timezone.now().date()
    since_by_account: dict[int, dt.date] = {}
    spans = []
    for audience in audiences:
        if audience.range_start is None and audience.account_id not in since_by_account:
            since_by_account[audience.account_id] = available_since(audience.account, today)
        since = since_by_account.get(audience.account_id, today)
        spans.append(days_of(audience, today=today, since=since))
    pieces: list[int] = []  # days of each stretch of the union that does not overlap the last
    covered_until: dt.date | None = None  # the last day already counted
    for first, last in sorted(spans):
        overlaps = covered_until is not None and first <= covered_until
        if overlaps:
            first = covered_until + dt.timedelta(days=1)
        if first <= last:
            days = (last - first).days + 1
            if overlaps:
                pieces[-1] += days
            else:
                pieces.append(days)
            covered_until = last
    together = _credits_for(sum(pieces))
    # Measuring each span from its first day to its last makes a leap year 365 days, but the
    # union of two leap years 731; calculating together never costs more than apart.
    return min(together, sum(_credits_for(days) for days in pieces))


def _credits_for(days: int) -> int:
    # Measured from first day to last: one day less than the days counted (see the module doc).
    return max(1, math.ceil((days - 1) / DAYS_PER_CREDIT))


# -- credits -------------------------------------------------------------------------------------


def balance(account: Account) -> int:
    return Account.objects.values_list("credit_balance", flat=True).get(pk=account.pk)


def ledger(account: Account) -> QuerySet[CreditEntry]:
    """Grants, spends and refunds, newest first."""
    return CreditEntry.objects.filter(account=account).select_related("by", "calculation")


def _move_credits(
    account_id: int,
    change: int,
    reason: str,
    *,
    by=None,
    calculation: StandardCalculation | None = None,
    note: str = "",
    path: str = "change",
) -> CreditEntry:
    """Change the balance and write its ledger row; inside the caller's transaction."""
    # The row lock serialises every change of this account's balance: two calculations started
    # at once cannot both spend the last credits.
    current = Account.objects.select_for_update().values_list("credit_balance", flat=True).get(pk=account_id)
    after = current + change
    if after < 0:
        needed = -change
        raise StandardRefused(
            [
                {
                    "path": path,
                    "message": f"this needs {needed} credit{'s' if needed != 1 else ''} and the account has "
                    f"{current}: ask an admin for more credits",
                }
            ],
            status=409,
        )
    Account.objects.filter(pk=account_id).update(credit_balance=after)
    return CreditEntry.objects.create(
        account_id=account_id,
        change=change,
        reason=reason,
        calculation=calculation,
        note=note[:200],
        balance_after=after,
        by=by,
    )


def grant_credits(account: Account, amount: int, *, acting_user, note: str = "") -> CreditEntry:
    """An admin adds credits (or takes some back with a negative amount, never below zero)."""
    errors = []
    if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0 or abs(amount) > MAX_GRANT:
        errors.append({"path": "change", "message": f"a whole number of credits, not zero, at most {MAX_GRANT}"})
    if not isinstance(note, str) or len(note) > 200:
        errors.append({"path": "note", "message": "a note of at most 200 characters"})
    if errors:
        raise StandardRefused(errors)
    with transaction.atomic():
        return _move_credits(account.pk, amount, CreditReason.GRANT, by=acting_user, note=note.strip())


# -- creating and cloning ------------------------------------------------------------------------


def create(
    *,
    account: Account,
    acting_user,
    name: str,
    workspace_ids: list[int],
    date_range: Any,
    external_name: str = "",
    input_ids: list[int] | None = None,
    multi_workspace: bool | None = None,
    definition: dict[str, Any] | None = None,
    tags: Sequence[str] = (),
    access: str = "private",
) -> Audience:
    """A new draft standard audience over a date range; every fault is reported at once."""
    range_errors: list[dict[str, str]] = []
    start = end = None
    try:
        start, end = parse_date_range(date_range)
    except StandardRefused as refused:
        range_errors = refused.errors
    with transaction.atomic():
        try:
            audience = services.create_audience(
                account=account,
                acting_user=acting_user,
                name=name,
                workspace_ids=workspace_ids,
                external_name=external_name,
                input_ids=input_ids,
                multi_workspace=multi_workspace,
                definition=definition,
                tags=tags,
                kind=AudienceKind.STANDARD,
                access=access,
            )
        except services.AudienceRefused as refused:
            raise StandardRefused(refused.errors + range_errors) from None
        if range_errors:
            raise StandardRefused(range_errors)  # rolls the audience back
        audience.range_start, audience.range_end = start, end
        audience.save(update_fields=["range_start", "range_end"])
    return audience


def change_date_range(audience: Audience, date_range: Any, *, acting_user) -> Audience:
    """A draft's date range may change; a calculated audience's may not (clone it)."""
    _require_draft(audience, "date_range")
    audience.range_start, audience.range_end = parse_date_range(date_range)
    audience.save(update_fields=["range_start", "range_end", "updated_at"])
    return audience


def _require_draft(audience: Audience, path: str) -> None:
    if audience.kind != AudienceKind.STANDARD:
        raise StandardRefused([{"path": path, "message": "only standard audiences have a date range"}])
    if audience.standard_state != StandardState.DRAFT:
        raise StandardRefused(
            [
                {
                    "path": path,
                    "message": f"{audience.name} is {audience.get_standard_state_display()}: "
                    "only drafts change; clone it to calculate it differently",
                }
            ],
            status=409,
        )


def clone(audience: Audience, *, acting_user) -> Audience:
    """A new draft with the same scope, definition, tags and date range (to calculate again)."""
    with transaction.atomic():
        copy = services.clone_audience(audience, acting_user=acting_user)
        copy.range_start, copy.range_end = audience.range_start, audience.range_end
        copy.save(update_fields=["range_start", "range_end"])
    return copy


# -- calculating ---------------------------------------------------------------------------------


def calculation_refusals(audiences: Sequence[Audience], account: Account) -> list[dict[str, str]]:
    errors = []
    if not audiences:
        errors.append({"path": "audience_ids", "message": "pick at least one draft standard audience"})
    for index, audience in enumerate(audiences):
        path = f"audience_ids[{index}]"
        if audience.account_id != account.pk:
            errors.append({"path": path, "message": "no such audience in this account"})
        elif audience.kind != AudienceKind.STANDARD:
            errors.append({"path": path, "message": f"{audience.name} is a real-time audience: it calculates itself"})
        elif audience.standard_state != StandardState.DRAFT:
            state = audience.get_standard_state_display()
            errors.append(
                {"path": path, "message": f"{audience.name} is {state}, not a draft: clone it to calculate it again"}
            )
        else:
            try:
                prepare(audience)
            except DefinitionUnusable as unusable:
                errors.append({"path": path, "message": f"{audience.name} cannot be calculated: {unusable}"})
    return errors


def start_calculation(account: Account, audiences: Sequence[Audience], *, acting_user) -> StandardCalculation:
    """Spend the credits and calculate these drafts together, in the background."""
    audiences = list({a.pk: a for a in audiences}.values())
    errors = calculation_refusals(audiences, account)
    if errors:
        raise StandardRefused(errors)
    with transaction.atomic():
        # Lock the drafts, then look again: a second Start on the same drafts must not pay twice.
        ids = [a.pk for a in audiences]
        locked = list(Audience.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        errors = calculation_refusals(sorted(locked, key=lambda a: ids.index(a.pk)), account)
        if errors:
            raise StandardRefused(errors, status=409)
        credits = credits_needed(locked)
        calculation = StandardCalculation.objects.create(account=account, credits=credits, requested_by=acting_user)
        calculation.audiences.set(locked)
        _move_credits(account.pk, -credits, CreditReason.SPEND, by=acting_user, calculation=calculation, path="credits")
        Audience.objects.filter(pk__in=ids).update(
            standard_state=StandardState.CALCULATING,
            calculation_state=CalculationState.CALCULATING,
            calculation_progress=0.0,
            calculation_error="",
        )
        from audiences.tasks import calculate_standard_audiences

        transaction.on_commit(lambda: calculate_standard_audiences.delay(calculation.pk))
    log.info("standard calculation %s started: %d audiences, %d credits", calculation.pk, len(ids), credits)
    return calculation


def calculate_standard(calculation_id: int, now: dt.datetime | None = None) -> StandardCalculation | None:
    """Calculate the audiences of a started calculation (the Celery task's body).

    Each audience's criteria read live, imported and long-term events within its date range,
    relative windows counting back from the range's end; members and the change log are
    written as for real-time audiences (calculation.calculate). Then all of them are Ready, or,
    if any fails, all go back to Draft with the reason and the credits are refunded.
    """
    now = now or timezone.now()
    with _running(calculation_id) as mine:
        if not mine:
            return None  # another worker is calculating it (a task delivered twice)
        # Queued or running: a worker lost mid-calculation (its lock went with its connection)
        # hands the task to another, which starts over (the membership diff makes that harmless).
        claimed = StandardCalculation.objects.filter(pk=calculation_id, state__in=UNFINISHED).update(
            state=StandardCalculationState.RUNNING, started_at=now, progress=0.0, progressed_at=timezone.now()
        )
        if not claimed:
            return None  # done, failed, or gone
        return _calculate_claimed(calculation_id, now)


@contextlib.contextmanager
def _running(calculation_id: int) -> Iterator[bool]:
    """Hold the calculation's session lock while its audiences are calculated: True if this
    process got it. PostgreSQL releases it when the holder's connection ends, so a killed
    worker leaves it free for the next one, and two workers never calculate it at once."""
    key = f"standard-calculation:{calculation_id}"
    with db.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", [key])
        held = cursor.fetchone()[0]
    try:
        yield held
    finally:
        if held:
            with db.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [key])


def _calculate_claimed(calculation_id: int, now: dt.datetime) -> StandardCalculation:
    calculation = StandardCalculation.objects.get(pk=calculation_id)
    audiences = list(calculation.audiences.select_related("account").order_by("pk"))
    try:
        for index, audience in enumerate(audiences):
            _check_references(audience)
            # Relative windows count back from the range's end (Scope.moment), not from now.
            calculate(audience, now)
            StandardCalculation.objects.filter(pk=calculation_id).update(
                progress=(index + 1) / len(audiences), progressed_at=timezone.now()
            )
    except Exception as exc:  # whatever failed, the marketer gets the reason and the credits back
        if not isinstance(exc, DefinitionUnusable):
            log.exception("standard calculation %s failed unexpectedly", calculation_id)
        _fail(calculation, audiences, exc)
        return StandardCalculation.objects.get(pk=calculation_id)
    with transaction.atomic():
        done = StandardCalculation.objects.filter(pk=calculation_id, state=StandardCalculationState.RUNNING).update(
            state=StandardCalculationState.DONE, progress=1.0, finished_at=timezone.now()
        )
        if done:
            Audience.objects.filter(pk__in=[a.pk for a in audiences]).update(
                standard_state=StandardState.READY, calculated_at=now, expires_at=now + EXPIRES_AFTER
            )
            _refresh_nesting(audiences)
    log.info("standard calculation %s done", calculation_id)
    return StandardCalculation.objects.get(pk=calculation_id)


def _check_references(audience: Audience) -> None:
    """What the definition names must still exist (a nested audience, an input, a workspace)."""
    from audiences.criteria.definition import validate_definition

    parsed, faults = validate_definition(
        audience.definition,
        account=audience.account,
        workspace_ids=[w.pk for w in audience.workspaces.all()],
        input_ids=[i.pk for i in audience.inputs.all()],
        audience_id=audience.pk,
    )
    if parsed is None:
        raise DefinitionUnusable([{**fault, "path": f"definition.{fault['path']}"} for fault in faults])


def _fail(calculation: StandardCalculation, audiences: list[Audience], exc: Exception) -> None:
    reason = str(exc)[:2000] or type(exc).__name__
    log.warning("standard calculation %s failed: %s", calculation.pk, reason)
    with transaction.atomic():
        failed = StandardCalculation.objects.filter(pk=calculation.pk, state__in=UNFINISHED).update(
            state=StandardCalculationState.FAILED, error=reason, finished_at=timezone.now()
        )
        if not failed:
            return  # another worker settled it
        _move_credits(
            calculation.account_id,
            calculation.credits,
            CreditReason.REFUND,
            calculation=calculation,
            note=f"calculation {calculation.pk} failed",
        )
        Audience.objects.filter(pk__in=[a.pk for a in audiences]).update(
            standard_state=StandardState.DRAFT,
            calculation_state=CalculationState.FAILED,
            calculation_error=f"The calculation failed and its credits were returned: {reason}",
        )


def _refresh_nesting(audiences: list[Audience]) -> None:
    """Active real-time audiences that use these as a membership criterion recalculate."""
    from audiences.tasks import calculate_audience

    for audience in audiences:
        for nesting in services.nesting_audiences(audience).filter(
            kind=AudienceKind.REALTIME, status=AudienceStatus.ACTIVE
        ):
            transaction.on_commit(lambda pk=nesting.pk: calculate_audience.delay(pk))


def requeue_stalled(now: dt.datetime | None = None) -> list[int]:
    """Queue again the calculations whose task was lost (a broker message gone with a killed
    worker): queued or running, no sign of life for `STALLED_AFTER`, and no worker holding
    them. One lost `MAX_RESTARTS` times fails and refunds, so a calculation that kills its
    worker every time does not keep the credits forever. Answers the ids queued again."""
    from audiences.tasks import calculate_standard_audiences

    now = now or timezone.now()
    stalled = StandardCalculation.objects.filter(state__in=UNFINISHED, progressed_at__lt=now - STALLED_AFTER)
    requeued = []
    for calculation_id in stalled.order_by("progressed_at").values_list("pk", flat=True)[:100]:
        with _running(calculation_id) as free:
            if not free:
                continue  # a worker is on it: a long audience shows no progress for a while
            # Looked at again under the lock: another sweep may have queued it a moment ago.
            calculation = stalled.filter(pk=calculation_id).first()
            if calculation is None:
                continue  # finished or queued again since the query
            if calculation.restarts >= MAX_RESTARTS:
                audiences = list(calculation.audiences.order_by("pk"))
                _fail(calculation, audiences, CalculationLost(calculation.restarts + 1))
                continue
            StandardCalculation.objects.filter(pk=calculation_id).update(restarts=F("restarts") + 1, progressed_at=now)
        # Queued once the lock is free again, so the task never finds it taken by this sweep.
        calculate_standard_audiences.delay(calculation_id)
        requeued.append(calculation_id)
    if requeued:
        log.warning("standard calculations %s had lost their task: queued again", requeued)
    return requeued


class CalculationLost(Exception):
    def __init__(self, times: int):
        super().__init__(f"its worker stopped {times} times before it finished (too much data for the workers?)")


def expire_due(now: dt.datetime | None = None) -> int:
    """Ready standard audiences calculated 30 days ago expire (their members stay recorded)."""
    now = now or timezone.now()
    expired = Audience.objects.filter(
        kind=AudienceKind.STANDARD, standard_state=StandardState.READY, expires_at__lte=now
    ).update(standard_state=StandardState.EXPIRED)
    if expired:
        log.info("%d standard audiences expired", expired)
    return expired


# -- connecting and sending ----------------------------------------------------------------------


def connect_refusal(audience: Audience) -> str | None:
    """Why an audience cannot get a new connection now (None: it can)."""
    if audience.kind == AudienceKind.STANDARD and audience.standard_state == StandardState.EXPIRED:
        return f"{audience.name} has expired: clone it and calculate the copy to connect it"
    return None


def send_refusal(audience: Audience) -> str | None:
    """Why an audience cannot be sent now (None: it can)."""
    if audience.kind != AudienceKind.STANDARD:
        return "only standard audiences are sent; real-time audiences forward their changes themselves"
    if audience.standard_state == StandardState.EXPIRED:
        return f"{audience.name} has expired: clone it and calculate the copy to send it"
    if audience.standard_state != StandardState.READY:
        state = audience.get_standard_state_display()
        return f"{audience.name} is {state}: it can be sent once it is calculated and Ready"
    return None


def send(audience: Audience, connections: Sequence[Any], *, acting_user) -> list[Any]:
    """Forward every current member once to each of these connections of the audience.

    The connections app does the work (its forwarding pipeline, faults and Resume); the
    import is local because `audiences` never depends on `connections` at import time.
    Answers the send records, one per connection.
    """
    from connections.sending import send_members

    refusal = send_refusal(audience)
    if refusal:
        raise StandardRefused([{"path": "audience", "message": refusal}], status=409)
    if not connections:
        raise StandardRefused([{"path": "connection_ids", "message": "pick at least one connection"}])
    with transaction.atomic():
        records, errors = send_members(audience, list(connections), acting_user=acting_user)
        if errors:
            raise StandardRefused(errors, status=409)
        Audience.objects.filter(pk=audience.pk).update(last_sent_at=timezone.now())
    audience.refresh_from_db(fields=["last_sent_at"])
    return records
