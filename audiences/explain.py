"""Why is this user in (or not in) this audience? Criterion by criterion, from the reference
evaluator: whether each matched, and what it found (counts, values compared)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from audiences.calculation import DefinitionUnusable, prepare
from audiences.criteria.definition import (
    AttributionCriterion,
    AudienceCriterion,
    CalculatedAttributeCriterion,
    CartAbandonmentCriterion,
    ConsentCriterion,
    DeviceCriterion,
    EventCriterion,
    FirstSeenCriterion,
    IdentityCriterion,
    LocationCriterion,
    UserAttributeCriterion,
    UserAttributeListCriterion,
)
from audiences.criteria.reference import fold_joins, in_universe, load_profiles, verdicts
from audiences.models import Audience, Member


@dataclass(frozen=True)
class CriterionExplanation:
    index: int
    join: str | None
    summary: str
    matched: bool
    reason: str


@dataclass
class Explanation:
    audience_id: int
    mpid: int
    in_scope: bool  # seen in one of the audience's workspaces
    qualifies: bool  # would be a member if calculated now
    is_member: bool  # is a member now (as last calculated)
    message: str
    criteria: list[CriterionExplanation] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "audience_id": self.audience_id,
            "mpid": self.mpid,
            "in_scope": self.in_scope,
            "qualifies": self.qualifies,
            "is_member": self.is_member,
            "message": self.message,
            "criteria": [c.__dict__ for c in self.criteria],
        }


def summarise(criterion: Any) -> str:
    """A criterion in a few words, as the builder would show it."""
    if isinstance(criterion, EventCriterion):
        name = f" {criterion.name!r}" if criterion.name is not None else ""
        conditions = "".join(f", {c.key} {c.op} {c.value!r}" for c in criterion.attributes)
        return f"{criterion.event_type.replace('_', ' ')}{name}{conditions}"
    if isinstance(criterion, CartAbandonmentCriterion):
        return f"cart abandoned for {criterion.wait_hours} h"
    if isinstance(criterion, UserAttributeCriterion | UserAttributeListCriterion):
        return f"user attribute {criterion.key} {criterion.op} {criterion.value!r}"
    if isinstance(criterion, AudienceCriterion):
        return f"{'member' if criterion.member else 'not a member'} of audience {criterion.audience_id}"
    if isinstance(criterion, CalculatedAttributeCriterion):
        return f"calculated attribute {criterion.name} {criterion.op} {criterion.value!r}"
    if isinstance(criterion, ConsentCriterion):
        return f"{criterion.regulation} {criterion.consent_purpose} consented = {criterion.consented}"
    if isinstance(criterion, DeviceCriterion):
        return f"device {criterion.field} {criterion.op} {criterion.value!r}"
    if isinstance(criterion, FirstSeenCriterion):
        return "first seen"
    if isinstance(criterion, LocationCriterion):
        if criterion.mode == "equals":
            return f"{criterion.field} is {criterion.value!r}"
        return f"within {criterion.radius_km} km of {criterion.latitude}, {criterion.longitude}"
    if isinstance(criterion, IdentityCriterion):
        return f"identity {criterion.identity_type} {criterion.op} {criterion.value or ''}".rstrip()
    if isinstance(criterion, AttributionCriterion):
        return f"{criterion.event} attribution"
    return criterion.type


def explain(audience: Audience, mpid: int, now: dt.datetime | None = None) -> Explanation:
    """Explain one profile against one audience's current definition."""
    now = now or timezone.now()
    is_member = Member.objects.filter(audience=audience, mpid=mpid).exists()
    try:
        definition, scope = prepare(audience)
    except DefinitionUnusable as exc:
        return Explanation(audience.pk, mpid, False, False, is_member, f"The definition cannot be evaluated: {exc}")
    facts = load_profiles(audience.account_id, [mpid])[mpid]
    judged = verdicts(definition, scope, facts, now)
    explained = [
        CriterionExplanation(index, criterion.join, summarise(criterion), verdict.matched, verdict.reason)
        for index, (criterion, verdict) in enumerate(zip(definition.criteria, judged, strict=True))
    ]
    scoped = in_universe(scope, facts)
    qualifies = scoped and fold_joins(definition, [v.matched for v in judged])
    if not scoped:
        message = "This profile has not been seen in the audience's workspaces."
    elif qualifies:
        message = "This profile meets the criteria."
    else:
        message = "This profile does not meet the criteria."
    if qualifies != is_member:
        message += " Its membership changes at the next calculation." if audience.calculated_at else ""
    return Explanation(audience.pk, mpid, scoped, qualifies, is_member, message, explained)
