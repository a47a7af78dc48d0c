"""The reference evaluator: plain Python over one profile, written to be obviously right.

It answers the same question as the compiled SQL (is this profile a member?) by reading the
definition literally, one criterion at a time, and says why for each criterion (`Verdict`).
The property tests demand that it and the compiler agree on every generated profile; the
"why is this user in?" page shows its verdicts.

Semantics, in one place:
- A profile is in the audience's universe when it has a workspace row in one of its
  workspaces. Criteria are folded left to right: and, or, exclude (= and not).
- Event criteria count the profile's events of that kind (and name) received through the
  criterion's inputs in the criterion's workspaces, inside the time window, whose attributes
  satisfy every condition; the frequency is tested on that count, zero included.
- Profile criteria look at the profile's rows of the criterion's workspaces (identities and
  calculated attributes likewise): a positive operator matches when any row matches; a
  negative one (not_equals, not_contains, not_includes, not_exists) matches exactly when its
  positive counterpart does not, so a profile lacking the key matches it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from audiences.criteria.datatypes import type_of
from audiences.criteria.definition import (
    DEFAULT_FREQUENCY,
    NEGATIVE,
    AttributionCriterion,
    AudienceCriterion,
    CalculatedAttributeCriterion,
    CartAbandonmentCriterion,
    ConsentCriterion,
    Definition,
    DeviceCriterion,
    EventCriterion,
    FirstSeenCriterion,
    Frequency,
    IdentityCriterion,
    LocationCriterion,
    TimeWindow,
    UserAttributeCriterion,
    UserAttributeListCriterion,
)
from audiences.criteria.scope import Scope
from audiences.criteria.values import (
    EARTH_RADIUS_KM,
    RADIANS_PER_DEGREE,
    as_boolean,
    as_date,
    as_number,
    as_text,
    fold,
    like,
)

# -- what we know of one profile -----------------------------------------------------------------


@dataclass
class WorkspaceFacts:
    workspace_id: int
    first_seen: dt.datetime
    user_attributes: Any = field(default_factory=dict)
    consent: Any = field(default_factory=dict)
    device: Any = field(default_factory=dict)
    latitude: float | None = None
    longitude: float | None = None
    install_attribution: Any = None
    uninstall_attribution: Any = None


@dataclass
class EventFacts:
    tier: int
    workspace_id: int
    input_id: int
    event_type: str
    name: str
    timestamp: dt.datetime
    attributes: Any = field(default_factory=dict)


@dataclass
class IdentityFacts:
    workspace_id: int
    identity_type: str
    value: str


@dataclass
class CalculatedFacts:
    workspace_id: int
    name: str
    value: Any


@dataclass
class ProfileFacts:
    mpid: int
    workspaces: list[WorkspaceFacts] = field(default_factory=list)
    identities: list[IdentityFacts] = field(default_factory=list)
    events: list[EventFacts] = field(default_factory=list)
    memberships: set[int] = field(default_factory=set)
    calculated: list[CalculatedFacts] = field(default_factory=list)


def _json(text: str | None) -> Any:
    # Decimal keeps numbers exactly as PostgreSQL stored them (1.50 stays 1.50).
    return None if text is None else json.loads(text, parse_float=Decimal)


def load_profiles(account_id: int, mpids: list[int]) -> dict[int, ProfileFacts]:
    """Everything the criteria can read about these profiles of an account."""
    from django.db import connection

    facts = {mpid: ProfileFacts(mpid=mpid) for mpid in mpids}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pw.mpid, pw.workspace_id, pw.first_seen, pw.user_attributes::text, pw.consent::text, "
            "pw.device::text, pw.latitude, pw.longitude, pw.install_attribution::text, "
            "pw.uninstall_attribution::text FROM audiences_profileworkspace pw "
            "JOIN audiences_profile p ON p.mpid = pw.mpid "
            "WHERE p.account_id = %s AND pw.mpid = ANY(%s) ORDER BY pw.mpid, pw.workspace_id",
            [account_id, list(facts)],
        )
        for mpid, workspace, first_seen, attrs, consent, device, lat, lon, install, uninstall in cursor.fetchall():
            facts[mpid].workspaces.append(
                WorkspaceFacts(
                    workspace_id=workspace,
                    first_seen=first_seen,
                    user_attributes=_json(attrs),
                    consent=_json(consent),
                    device=_json(device),
                    latitude=lat,
                    longitude=lon,
                    install_attribution=_json(install),
                    uninstall_attribution=_json(uninstall),
                )
            )
        cursor.execute(
            "SELECT mpid, workspace_id, identity_type, value FROM audiences_identity "
            "WHERE account_id = %s AND mpid = ANY(%s) ORDER BY id",
            [account_id, list(facts)],
        )
        for mpid, workspace, kind, value in cursor.fetchall():
            facts[mpid].identities.append(IdentityFacts(workspace, kind, value))
        cursor.execute(
            'SELECT mpid, tier, workspace_id, input_id, event_type, name, "timestamp", attributes::text '
            'FROM audiences_event WHERE account_id = %s AND mpid = ANY(%s) ORDER BY "timestamp", id',
            [account_id, list(facts)],
        )
        for mpid, tier, workspace, source, kind, name, when, attrs in cursor.fetchall():
            facts[mpid].events.append(EventFacts(tier, workspace, source, kind, name, when, _json(attrs)))
        cursor.execute(
            "SELECT m.mpid, m.audience_id FROM audiences_member m JOIN audiences_audience a ON a.id = m.audience_id "
            "WHERE a.account_id = %s AND m.mpid = ANY(%s)",
            [account_id, list(facts)],
        )
        for mpid, audience in cursor.fetchall():
            facts[mpid].memberships.add(audience)
        cursor.execute(
            "SELECT c.mpid, c.workspace_id, c.name, c.value::text FROM audiences_calculatedattributevalue c "
            "WHERE c.mpid = ANY(%s) ORDER BY c.id",
            [list(facts)],
        )
        for mpid, workspace, name, value in cursor.fetchall():
            facts[mpid].calculated.append(CalculatedFacts(workspace, name, _json(value)))
    return facts


# -- reading values and windows ------------------------------------------------------------------


def in_window(when: dt.datetime | None, window: TimeWindow, now: dt.datetime) -> bool:
    """Recency counts days of 24 hours back from now; dates are whole UTC calendar days."""
    if when is None:
        return False
    day = when.astimezone(dt.UTC).date()
    if window.within_days is not None:
        return now - dt.timedelta(days=window.within_days) <= when <= now
    if window.between_days_ago is not None:
        earlier, later = window.between_days_ago
        return now - dt.timedelta(days=earlier) <= when <= now - dt.timedelta(days=later)
    if window.before is not None:
        return day < window.before
    if window.after is not None:
        return day >= window.after
    if window.on is not None:
        return day == window.on
    first, last = window.between_dates
    return first <= day <= last


def describe_window(window: TimeWindow | None) -> str:
    if window is None:
        return "in the date range"
    form = window.form
    value = getattr(window, form)
    if form == "within_days":
        return f"in the last {value} days"
    if form == "between_days_ago":
        return f"between {value[0]} and {value[1]} days ago"
    if form == "between_dates":
        return f"between {value[0]} and {value[1]} (UTC)"
    return f"{form} {value} (UTC)"


def check(op: str, data_type: str, wanted: Any, wanted2: Any, present: bool, value: Any, now: dt.datetime) -> bool:
    """Does a stored value (present or not) satisfy the condition? Never raises."""
    if op in NEGATIVE:
        return not check(NEGATIVE[op], data_type, wanted, wanted2, present, value, now)
    if op == "exists":
        return present
    if op == "equals" and data_type == "number":
        mine, theirs = as_number(value), as_number(wanted)
        return mine is not None and theirs is not None and mine == theirs
    if op == "equals" and data_type == "boolean":
        mine, theirs = as_boolean(value), as_boolean(wanted)
        return mine is not None and theirs is not None and mine == theirs
    if op in ("equals", "contains", "pattern"):
        mine, theirs = as_text(value), as_text(wanted)
        if mine is None or theirs is None:
            return False
        if op == "equals":
            return fold(mine) == fold(theirs)
        if op == "contains":
            return fold(theirs) in fold(mine)
        return like(fold(mine), fold(theirs))
    if op in ("gt", "gte", "lt", "lte", "between"):
        mine = as_number(value)
        if mine is None:
            return False
        if op == "gt":
            return mine > as_number(wanted)
        if op == "gte":
            return mine >= as_number(wanted)
        if op == "lt":
            return mine < as_number(wanted)
        if op == "lte":
            return mine <= as_number(wanted)
        return as_number(wanted) <= mine <= as_number(wanted2)
    if op == "is_true":
        return as_boolean(value) is True
    if op == "is_false":
        return as_boolean(value) is False
    if op in ("includes", "partial_match"):
        theirs = as_text(wanted)
        if not isinstance(value, list) or theirs is None:
            return False
        for element in value:
            text = as_text(element)
            if text is None:
                continue
            if op == "includes" and fold(text) == fold(theirs):
                return True
            if op == "partial_match" and fold(theirs) in fold(text):
                return True
        return False
    if op == "time":
        return in_window(as_date(value), wanted, now)
    raise ValueError(f"unknown operator {op}")


def check_key(obj: Any, key: str, condition: Any, now: dt.datetime, op: str | None = None) -> bool:
    """A condition on the value under `key` of a JSON object (events' and users' attributes)."""
    present = isinstance(obj, dict) and key in obj
    value = obj.get(key) if isinstance(obj, dict) else None
    return check(
        op or condition.op, type_of(condition), condition.value, getattr(condition, "value2", None), present, value, now
    )


def frequency_holds(frequency: Frequency, count: int) -> bool:
    if frequency.op == "gt":
        return count > frequency.value
    if frequency.op == "gte":
        return count >= frequency.value
    if frequency.op == "lt":
        return count < frequency.value
    if frequency.op == "lte":
        return count <= frequency.value
    if frequency.op == "equals":
        return count == frequency.value
    return frequency.value <= count <= frequency.value2


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance; the same operations in the same order as the compiled SQL."""
    rad = RADIANS_PER_DEGREE
    half_lat = math.sin((lat1 * rad - lat2 * rad) / 2)
    half_lon = math.sin((lon1 * rad - lon2 * rad) / 2)
    inner = half_lat * half_lat + math.cos(lat2 * rad) * math.cos(lat1 * rad) * half_lon * half_lon
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(inner)))


# -- one criterion -------------------------------------------------------------------------------


@dataclass
class Verdict:
    matched: bool
    reason: str
    count: int | None = None  # events counted, for event criteria


def _rows(criterion: Any, scope: Scope, facts: ProfileFacts) -> list[WorkspaceFacts]:
    workspaces = scope.workspaces_for(criterion)
    return [row for row in facts.workspaces if row.workspace_id in workspaces]


def _events(criterion: Any, event_type: str, scope: Scope, facts: ProfileFacts) -> list[EventFacts]:
    workspaces, inputs = scope.workspaces_for(criterion), scope.inputs_for(criterion)
    return [
        event
        for event in facts.events
        if event.tier in scope.tiers
        and (scope.period is None or scope.period.holds(event.timestamp))
        and event.workspace_id in workspaces
        and event.input_id in inputs
        and event.event_type == event_type
    ]


def _sign(op: str) -> str:
    return {"gt": "more than", "gte": "at least", "lt": "fewer than", "lte": "at most", "equals": "exactly"}.get(op, op)


def judge_event(criterion: EventCriterion, scope: Scope, facts: ProfileFacts, now: dt.datetime) -> Verdict:
    window = scope.window_for(criterion)
    frequency = criterion.frequency or DEFAULT_FREQUENCY
    counted = 0
    for event in _events(criterion, criterion.event_type, scope, facts):
        if criterion.name is not None and event.name != criterion.name:
            continue
        if window is not None and not in_window(event.timestamp, window, now):
            continue
        if all(check_key(event.attributes, c.key, c, now) for c in criterion.attributes):
            counted += 1
    if frequency.op == "between":
        needs = f"between {frequency.value} and {frequency.value2}"
    else:
        needs = f"{_sign(frequency.op)} {frequency.value}"
    what = criterion.event_type + (f" {criterion.name!r}" if criterion.name is not None else "")
    matched = frequency_holds(frequency, counted)
    return Verdict(matched, f"{counted} {what} event(s) {describe_window(window)} matched; needs {needs}", counted)


def judge_cart(criterion: CartAbandonmentCriterion, scope: Scope, facts: ProfileFacts, now: dt.datetime) -> Verdict:
    window = scope.window_for(criterion)
    wait = dt.timedelta(hours=criterion.wait_hours)
    commerce = _events(criterion, "commerce_event", scope, facts)
    adds = [
        e.timestamp
        for e in commerce
        if e.name == "add_to_cart" and (window is None or in_window(e.timestamp, window, now))
    ]
    if not adds:
        return Verdict(False, f"no add-to-cart {describe_window(window)}")
    last = max(adds)
    if last > now - wait:
        return Verdict(False, f"last add-to-cart at {last:%Y-%m-%d %H:%M} UTC is not yet {criterion.wait_hours} h old")
    bought = [e.timestamp for e in commerce if e.name == "purchase" and last <= e.timestamp <= last + wait]
    if bought:
        return Verdict(
            False,
            f"purchased at {min(bought):%Y-%m-%d %H:%M} UTC, within {criterion.wait_hours} h of the last add-to-cart",
        )
    return Verdict(
        True, f"last add-to-cart at {last:%Y-%m-%d %H:%M} UTC, no purchase in the {criterion.wait_hours} h after"
    )


def _shown(value: Any) -> str:
    return "missing" if value is _MISSING else json.dumps(value, default=str, ensure_ascii=False)


_MISSING = object()


def judge_keyed(criterion: Any, key: str, record: str, scope: Scope, facts: ProfileFacts, now: dt.datetime) -> Verdict:
    """User attributes, attribute lists and device fields: any row matching the positive op."""
    rows = _rows(criterion, scope, facts)
    positive = NEGATIVE.get(criterion.op, criterion.op)
    hits = [row for row in rows if check_key(getattr(row, record), key, criterion, now, positive)]
    matched = (not hits) if criterion.op in NEGATIVE else bool(hits)
    seen = []
    for row in rows:
        obj = getattr(row, record)
        seen.append(_shown(obj.get(key, _MISSING) if isinstance(obj, dict) else _MISSING))
    wanted = "" if criterion.op in ("exists", "not_exists", "is_true", "is_false") else f" {_shown(criterion.value)}"
    if criterion.op == "between":
        wanted = f" {criterion.value} and {criterion.value2}"
    values = ", ".join(seen) or "no row in the audience's workspaces"
    return Verdict(matched, f"{key} is {values}; needs {criterion.op}{wanted} (as {type_of(criterion)})")


def judge_audience(criterion: AudienceCriterion, scope: Scope, facts: ProfileFacts, now: dt.datetime) -> Verdict:
    member = criterion.audience_id in facts.memberships
    state = "is a member" if member else "is not a member"
    return Verdict(member == criterion.member, f"{state} of audience {criterion.audience_id}")


def judge_calculated(
    criterion: CalculatedAttributeCriterion, scope: Scope, facts: ProfileFacts, now: dt.datetime
) -> Verdict:
    workspaces = scope.workspaces_for(criterion)
    values = [c.value for c in facts.calculated if c.name == criterion.name and c.workspace_id in workspaces]
    positive = NEGATIVE.get(criterion.op, criterion.op)
    hits = [v for v in values if check(positive, type_of(criterion), criterion.value, criterion.value2, True, v, now)]
    matched = (not hits) if criterion.op in NEGATIVE else bool(hits)
    shown = ", ".join(_shown(v) for v in values) or "missing"
    return Verdict(
        matched, f"calculated attribute {criterion.name} is {shown}; needs {criterion.op} {_shown(criterion.value)}"
    )


def judge_consent(criterion: ConsentCriterion, scope: Scope, facts: ProfileFacts, now: dt.datetime) -> Verdict:
    states = []
    for row in _rows(criterion, scope, facts):
        regulation = row.consent.get(criterion.regulation) if isinstance(row.consent, dict) else None
        purpose = regulation.get(criterion.consent_purpose) if isinstance(regulation, dict) else None
        consented = purpose.get("consented") if isinstance(purpose, dict) else None
        states.append(consented)
    matched = any(isinstance(s, bool) and s == criterion.consented for s in states)
    shown = ", ".join("unknown" if s is None else _shown(s) for s in states) or "unknown"
    where = f"{criterion.regulation} {criterion.consent_purpose}"
    return Verdict(matched, f"{where} consented is {shown}; needs {_shown(criterion.consented)}")


def judge_first_seen(criterion: FirstSeenCriterion, scope: Scope, facts: ProfileFacts, now: dt.datetime) -> Verdict:
    rows = _rows(criterion, scope, facts)
    matched = any(in_window(row.first_seen, criterion.time, now) for row in rows)
    shown = ", ".join(f"{row.first_seen:%Y-%m-%d %H:%M} UTC" for row in rows) or "never"
    return Verdict(matched, f"first seen {shown}; needs {describe_window(criterion.time)}")


def judge_location(criterion: LocationCriterion, scope: Scope, facts: ProfileFacts, now: dt.datetime) -> Verdict:
    rows = _rows(criterion, scope, facts)
    if criterion.mode == "equals":
        key = criterion.key
        matched = any(
            check(
                "equals", "string", criterion.value, None, key in row.user_attributes, row.user_attributes.get(key), now
            )
            for row in rows
            if isinstance(row.user_attributes, dict)
        )
        shown = ", ".join(
            _shown(row.user_attributes.get(key, _MISSING) if isinstance(row.user_attributes, dict) else _MISSING)
            for row in rows
        )
        return Verdict(matched, f"{criterion.field} is {shown or 'unknown'}; needs {_shown(criterion.value)}")
    distances = [
        haversine_km(row.latitude, row.longitude, criterion.latitude, criterion.longitude)
        for row in rows
        if row.latitude is not None and row.longitude is not None
    ]
    matched = any(d <= criterion.radius_km for d in distances)
    shown = ", ".join(f"{d:.1f} km" for d in distances) or "no known location"
    return Verdict(matched, f"distance {shown}; needs within {criterion.radius_km} km")


def judge_identity(criterion: IdentityCriterion, scope: Scope, facts: ProfileFacts, now: dt.datetime) -> Verdict:
    workspaces = scope.workspaces_for(criterion)
    values = [
        i.value for i in facts.identities if i.identity_type == criterion.identity_type and i.workspace_id in workspaces
    ]
    positive = NEGATIVE.get(criterion.op, criterion.op)
    hits = [v for v in values if check(positive, "string", criterion.value, None, True, v, now)]
    matched = (not hits) if criterion.op in NEGATIVE else bool(hits)
    shown = ", ".join(_shown(v) for v in values) or "none"
    wanted = "" if criterion.op in ("exists", "not_exists") else f" {_shown(criterion.value)}"
    return Verdict(matched, f"{criterion.identity_type} identities: {shown}; needs {criterion.op}{wanted}")


def judge_attribution(criterion: AttributionCriterion, scope: Scope, facts: ProfileFacts, now: dt.datetime) -> Verdict:
    records = [getattr(row, f"{criterion.event}_attribution") for row in _rows(criterion, scope, facts)]
    records = [r for r in records if isinstance(r, dict)]
    conditions = [(name, getattr(criterion, name)) for name in ("publisher", "campaign")]
    conditions = [(name, c) for name, c in conditions if c is not None]
    matched = any(all(check_key(record, name, c, now) for name, c in conditions) for record in records)
    if not records:
        return Verdict(False, f"no {criterion.event} attribution")
    shown = "; ".join(f"publisher {_shown(r.get('publisher'))}, campaign {_shown(r.get('campaign'))}" for r in records)
    needs = ", ".join(f"{name} {c.op} {_shown(c.value)}" for name, c in conditions) or "any attribution"
    return Verdict(matched, f"{criterion.event} attribution: {shown}; needs {needs}")


def judge(criterion: Any, scope: Scope, facts: ProfileFacts, now: dt.datetime) -> Verdict:
    if isinstance(criterion, EventCriterion):
        return judge_event(criterion, scope, facts, now)
    if isinstance(criterion, CartAbandonmentCriterion):
        return judge_cart(criterion, scope, facts, now)
    if isinstance(criterion, UserAttributeCriterion | UserAttributeListCriterion):
        return judge_keyed(criterion, criterion.key, "user_attributes", scope, facts, now)
    if isinstance(criterion, DeviceCriterion):
        return judge_keyed(criterion, criterion.key, "device", scope, facts, now)
    if isinstance(criterion, AudienceCriterion):
        return judge_audience(criterion, scope, facts, now)
    if isinstance(criterion, CalculatedAttributeCriterion):
        return judge_calculated(criterion, scope, facts, now)
    if isinstance(criterion, ConsentCriterion):
        return judge_consent(criterion, scope, facts, now)
    if isinstance(criterion, FirstSeenCriterion):
        return judge_first_seen(criterion, scope, facts, now)
    if isinstance(criterion, LocationCriterion):
        return judge_location(criterion, scope, facts, now)
    if isinstance(criterion, IdentityCriterion):
        return judge_identity(criterion, scope, facts, now)
    if isinstance(criterion, AttributionCriterion):
        return judge_attribution(criterion, scope, facts, now)
    raise TypeError(f"no reference rule for {type(criterion).__name__}")


# -- the whole definition ------------------------------------------------------------------------


def in_universe(scope: Scope, facts: ProfileFacts) -> bool:
    return any(row.workspace_id in scope.workspace_ids for row in facts.workspaces)


def fold_joins(definition: Definition, results: list[bool]) -> bool:
    outcome = results[0]
    for criterion, matched in zip(definition.criteria[1:], results[1:], strict=True):
        if criterion.join == "and":
            outcome = outcome and matched
        elif criterion.join == "or":
            outcome = outcome or matched
        else:
            outcome = outcome and not matched
    return outcome


def verdicts(definition: Definition, scope: Scope, facts: ProfileFacts, now: dt.datetime) -> list[Verdict]:
    now = scope.moment(now)  # a standard audience's windows count back from its range's end
    return [judge(criterion, scope, facts, now) for criterion in definition.criteria]


def is_member(definition: Definition, scope: Scope, facts: ProfileFacts, now: dt.datetime) -> bool:
    """Would this profile be a member, by the definition read literally?"""
    if not in_universe(scope, facts):
        return False
    return fold_joins(definition, [v.matched for v in verdicts(definition, scope, facts, now)])
