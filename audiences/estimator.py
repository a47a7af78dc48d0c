"""Estimate an audience's size instantly from a fixed sample of its profiles.

A profile's sample bucket is a stable hash of its mpid into 0..99 (`audiences_sample_bucket`,
migration 0009); every table the criteria read has a partial index over the first buckets, so
a 1% or 5% sample of profiles is read through indexes and every event of a sampled profile
counts: frequency criteria see whole histories, never sampled events.

The fraction adapts: small scopes are counted exactly; otherwise 1% first, and 5% when the 1%
sample holds too few members for the figure to be within 10% (m sampled members give a
relative standard error of about 1/sqrt(m); 400 of them give +-10% at 95%). An audience of 1%
of a million profiles has about 500 members in the 5% sample: within 10% at 95%. The answer
carries the 95% confidence interval as `low`/`high`. One query counts the whole definition
and every criterion alone; it runs read-only, so an estimate never writes anything.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass
from typing import Any

from django.db import connection, transaction
from django.db.utils import OperationalError
from django.utils import timezone
from psycopg.errors import QueryCanceled

from audiences.criteria.compiler import SAMPLED_BUCKETS, compile_definition, set_based_plans
from audiences.criteria.datatypes import resolve_types
from audiences.criteria.definition import Definition, validate_definition
from audiences.criteria.scope import Scope
from audiences.hashing import SAMPLE_BUCKETS

# Sample sizes tried, in buckets of 1% (buckets 0..4 are the ones kept ready for sampling).
LEVELS = (1, SAMPLED_BUCKETS)
Z95 = 1.96


@dataclass(frozen=True)
class Sampling:
    """How much to read. The defaults aim at p95 under 200 ms on a million profiles."""

    # Scopes with fewer profiles than this are counted exactly (it costs no more than sampling).
    exact_below: int = 50_000
    # Members in the 1% sample for a +-10% figure at 95% (1.96/sqrt(400)); fewer: read 5%.
    confident_members: int = 400
    # Fewer sampled members than this and the 95% interval is wider than +-50%: show "~".
    min_members: int = 16
    # An estimate that takes longer is abandoned (an error, never a stuck builder page).
    timeout_ms: int = 5000


DEFAULT_SAMPLING = Sampling()


@dataclass(frozen=True)
class Estimate:
    state: str  # ok | too_small | error
    estimate: int | None
    low: int | None
    high: int | None
    sample_fraction: float
    message: str | None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Estimates:
    """The whole definition's estimate and each criterion's on its own, in order."""

    whole: Estimate
    criteria: list[Estimate]

    def as_json(self) -> dict[str, Any]:
        return {**self.whole.as_json(), "criteria": [c.as_json() for c in self.criteria]}


def failed(message: str, count: int = 0) -> Estimates:
    error = Estimate("error", None, None, None, 0.0, message)
    return Estimates(whole=error, criteria=[error] * count)


def from_sample(members: int, buckets: int, sampling: Sampling = DEFAULT_SAMPLING) -> Estimate:
    fraction = buckets / SAMPLE_BUCKETS
    if buckets >= SAMPLE_BUCKETS:
        return Estimate("ok", members, members, members, 1.0, None)
    if members < sampling.min_members:
        return Estimate(
            "too_small",
            None,
            None,
            None,
            fraction,
            f"Too few members in the {fraction:.0%} sample ({members}) for a meaningful estimate.",
        )
    spread = Z95 * math.sqrt(members * (1 - fraction)) / fraction
    scaled = members / fraction
    return Estimate(
        "ok", round(scaled), max(0, math.floor(scaled - spread)), math.ceil(scaled + spread), fraction, None
    )


def scope_faults(scope: Scope) -> str | None:
    from audiences.models import Input

    if not scope.workspace_ids:
        return "Select a workspace: the audience has none."
    if not scope.input_ids:
        return "Select at least one input: event criteria read only the inputs chosen for the audience."
    known = dict(Input.objects.filter(pk__in=scope.input_ids).values_list("pk", "workspace_id"))
    for input_id in scope.input_ids:
        if known.get(input_id) not in scope.workspace_ids:
            return f"Input {input_id} does not belong to the audience's workspaces."
    return None


def _profiles_per_bucket(scope: Scope) -> int:
    """Profiles of the scope in one sample bucket: a hundredth of the scope, read from an index."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM audiences_profileworkspace "
            "WHERE workspace_id = ANY(%s::bigint[]) AND audiences_sample_bucket(mpid) = 0",
            [list(scope.workspace_ids)],
        )
        return cursor.fetchone()[0]


def _count(definition: Definition, scope: Scope, now: dt.datetime, buckets: int, timeout_ms: int) -> list[int]:
    compiled = compile_definition(
        definition, scope, now=now, sample_buckets=None if buckets >= SAMPLE_BUCKETS else list(range(buckets))
    )
    sql, params = compiled.counts()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION READ ONLY")
        cursor.execute(f"SET LOCAL statement_timeout = {int(timeout_ms)}")
        with set_based_plans(cursor):
            cursor.execute(sql, params)
            return list(cursor.fetchone())


def choose_levels(per_bucket: int, sampling: Sampling = DEFAULT_SAMPLING) -> list[int]:
    """The sample sizes (in buckets) to try, smallest first; all of them for small scopes."""
    if per_bucket * SAMPLE_BUCKETS < sampling.exact_below:
        return [SAMPLE_BUCKETS]
    return list(LEVELS)


def estimate(
    definition: dict[str, Any] | Definition,
    scope: Scope,
    *,
    now: dt.datetime | None = None,
    sampling: Sampling = DEFAULT_SAMPLING,
) -> Estimates:
    """Estimate a saved or unsaved definition within `scope`. Never writes anything."""
    now = now or timezone.now()
    if isinstance(definition, Definition):
        count = len(definition.criteria)
    else:
        given = definition.get("criteria") if isinstance(definition, dict) else None
        count = len(given) if isinstance(given, list) else 0
    fault = scope_faults(scope)
    if fault:
        return failed(fault, count)
    if not isinstance(definition, Definition):
        parsed, errors = validate_definition(
            definition,
            account=scope.account_id,
            workspace_ids=scope.workspace_ids,
            input_ids=scope.input_ids,
            audience_id=scope.audience_id,
            multi_workspace=scope.multi_workspace,
        )
        if parsed is None:
            return failed("; ".join(f"{e['path']}: {e['message']}" for e in errors), count)
        definition = parsed
    definition = resolve_types(definition, scope)

    levels = choose_levels(_profiles_per_bucket(scope), sampling)
    try:
        for buckets in levels:
            counts = _count(definition, scope, now, buckets, sampling.timeout_ms)
            if counts[1] >= sampling.confident_members:
                break
    except OperationalError as exc:
        if not isinstance(exc.__cause__, QueryCanceled):
            raise
        return failed("The estimate took too long; try again, or narrow the criteria.", len(definition.criteria))
    return Estimates(
        whole=from_sample(counts[1], buckets, sampling),
        criteria=[from_sample(c, buckets, sampling) for c in counts[2:]],
    )
