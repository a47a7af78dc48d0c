"""Compile an audience definition into one set-based PostgreSQL query returning member mpids.

The shape: a `universe` of the profiles seen in the audience's workspaces, LEFT JOINed once to
one derived table per criterion (a set of mpids, or event counts per mpid from
`GROUP BY mpid`), with the joins folded left to right in the WHERE clause. No Python loop
over profiles; every table is joined on `mpid`, so the same query runs shard by shard on a
distributed PostgreSQL. Counts of zero come from the LEFT JOIN (`COALESCE(n, 0)`).

The query can be limited to given mpids (real-time updates) or to sample buckets (the
estimator); the limit is pushed into every derived table so nothing outside it is read.

The SQL spelling of every comparison, string operator and time form lives in an `Operators`
table that callers may replace: the property tests build deliberately wrong tables and check
that the comparison with the reference evaluator catches each of them.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
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
    as_number,
    as_text,
    like_pattern,
)


class Params:
    """Named query parameters, so fragments can be built in any order."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def __call__(self, value: Any, cast: str = "") -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f"%({name})s{cast}"


def midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC)


Window = Callable[[str, TimeWindow, dt.datetime, Params], str]


def _within_days(column: str, window: TimeWindow, now: dt.datetime, p: Params) -> str:
    start = now - dt.timedelta(days=window.within_days)
    return f"({column} >= {p(start)} AND {column} <= {p(now)})"


def _between_days_ago(column: str, window: TimeWindow, now: dt.datetime, p: Params) -> str:
    earlier, later = window.between_days_ago
    start, end = now - dt.timedelta(days=earlier), now - dt.timedelta(days=later)
    return f"({column} >= {p(start)} AND {column} <= {p(end)})"


def _before(column: str, window: TimeWindow, now: dt.datetime, p: Params) -> str:
    return f"{column} < {p(midnight(window.before))}"


def _after(column: str, window: TimeWindow, now: dt.datetime, p: Params) -> str:
    return f"{column} >= {p(midnight(window.after))}"


def _on(column: str, window: TimeWindow, now: dt.datetime, p: Params) -> str:
    start = midnight(window.on)
    return f"({column} >= {p(start)} AND {column} < {p(start + dt.timedelta(days=1))})"


def _between_dates(column: str, window: TimeWindow, now: dt.datetime, p: Params) -> str:
    first, last = window.between_dates
    return f"({column} >= {p(midnight(first))} AND {column} < {p(midnight(last) + dt.timedelta(days=1))})"


# Buckets the estimator may sample: they have sample indexes and the profile sample (0009, 0010).
SAMPLED_BUCKETS = 5


def earliest_moment(window: TimeWindow, now: dt.datetime) -> dt.datetime | None:
    """The start of a window (None when it is open towards the past)."""
    if window.within_days is not None:
        return now - dt.timedelta(days=window.within_days)
    if window.between_days_ago is not None:
        return now - dt.timedelta(days=window.between_days_ago[0])
    day = window.after or window.on or (window.between_dates[0] if window.between_dates else None)
    return midnight(day) if day is not None else None


@dataclass(frozen=True)
class Operators:
    """How each comparison is written in SQL. `text` entries take (text expression, parameter)."""

    compare: Mapping[str, str] = field(
        default_factory=lambda: {"gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "equals": "="}
    )
    text: Mapping[str, Callable[[str, str], str]] = field(
        default_factory=lambda: {
            "equals": lambda expr, param: f"lower({expr}) = lower({param})",
            "contains": lambda expr, param: f"strpos(lower({expr}), lower({param})) > 0",
            # LIKE's default escape character is the backslash `like_pattern` writes.
            "pattern": lambda expr, param: f"lower({expr}) LIKE lower({param})",
        }
    )
    windows: Mapping[str, Window] = field(
        default_factory=lambda: {
            "within_days": _within_days,
            "between_days_ago": _between_days_ago,
            "before": _before,
            "after": _after,
            "on": _on,
            "between_dates": _between_dates,
        }
    )


DEFAULT_OPERATORS = Operators()


@dataclass
class Part:
    """One criterion: a derived table joined as `c<index>` (None when its test is a column of
    the universe), its test when it holds / fails, and for event criteria the event count."""

    table: str | None
    holds: str
    fails: str
    count: str | None = None


@dataclass
class CompiledQuery:
    universe: str
    parts: list[Part]
    where: str
    params: dict[str, Any]

    def _select(self, columns: str) -> str:
        joins = "".join(
            f"\nLEFT JOIN ({part.table}) AS c{i} ON c{i}.mpid = u.mpid"
            for i, part in enumerate(self.parts)
            if part.table is not None
        )
        return f"WITH universe AS ({self.universe})\nSELECT {columns} FROM universe AS u{joins}"

    def members(self) -> tuple[str, dict[str, Any]]:
        """SELECT mpid of every member."""
        return self._select("u.mpid") + f"\nWHERE {self.where}", self.params

    def counts(self) -> tuple[str, dict[str, Any]]:
        """One row: profiles in the universe, members, then profiles matching each criterion alone."""
        columns = ["count(*)", f"count(*) FILTER (WHERE {self.where})"]
        columns += [f"count(*) FILTER (WHERE {part.holds})" for part in self.parts]
        return self._select(", ".join(columns)), self.params

    def matches(self) -> tuple[str, dict[str, Any]]:
        """Per profile in the universe: mpid, whether it is a member, then for each criterion
        whether it holds and its event count (NULL for criteria that count nothing)."""
        columns = ["u.mpid", f"COALESCE({self.where}, false)"]
        for part in self.parts:
            columns += [f"COALESCE({part.holds}, false)", part.count or "NULL::bigint"]
        return self._select(", ".join(columns)), self.params


class Compiler:
    def __init__(
        self,
        scope: Scope,
        now: dt.datetime,
        *,
        mpids: Sequence[int] | None = None,
        sample_buckets: Sequence[int] | None = None,
        operators: Operators = DEFAULT_OPERATORS,
    ) -> None:
        if now.tzinfo is None:
            raise ValueError("now must be an aware datetime")
        self.scope = scope
        self.now = scope.moment(now)
        self.ops = operators
        self.p = Params()
        self.limit = ""
        if mpids is not None:
            self.limit_param = self.p(sorted(set(mpids)), "::bigint[]")
            self.limit_kind = "mpids"
        elif sample_buckets is not None:
            if not set(sample_buckets) <= set(range(SAMPLED_BUCKETS)):
                raise ValueError(f"only buckets 0..{SAMPLED_BUCKETS - 1} can be sampled")
            self.limit_param = self.p(sorted(set(sample_buckets)), "::integer[]")
            self.limit_kind = "sample"
        else:
            self.limit_kind = None

    # -- the pieces every derived table shares -------------------------------------------------

    def restrict(self, column: str) -> str:
        """Keep a derived table to the given mpids or sample, so nothing else is read."""
        if self.limit_kind == "mpids":
            return f" AND {column} = ANY({self.limit_param})"
        if self.limit_kind == "sample":
            # The sample is a hash of the mpid (migration 0009), so every table is sampled the
            # same way through its own partial index, with no join to the profiles.
            return f" AND audiences_sample_bucket({column}) = ANY({self.limit_param})"
        return ""

    @property
    def profile_rows_table(self) -> str:
        """Where profiles' workspace rows are read: a sample has its own small copy (0010)."""
        return "audiences_profilesample" if self.limit_kind == "sample" else "audiences_profileworkspace"

    def ids(self, values: Sequence[int]) -> str:
        return self.p(list(values), "::bigint[]")

    def window(self, column: str, window: TimeWindow) -> str:
        return self.ops.windows[window.form](column, window, self.now, self.p)

    # -- conditions ------------------------------------------------------------------------------

    def condition(self, op: str, data_type: str, value: Any, value2: Any, x: str, present: str) -> str:
        """A never-NULL predicate: the condition on jsonb expression `x` (present when `present`)."""
        if op in NEGATIVE:
            return f"NOT {self.condition(NEGATIVE[op], data_type, value, value2, x, present)}"
        return f"COALESCE({self.positive(op, data_type, value, value2, x, present)}, false)"

    def positive(self, op: str, data_type: str, value: Any, value2: Any, x: str, present: str) -> str:
        compare, text = self.ops.compare, self.ops.text
        if op == "exists":
            return present
        if op == "equals" and data_type == "number":
            number = as_number(value)
            return "false" if number is None else f"audiences_number({x}) {compare['equals']} {self.p(number)}"
        if op == "equals" and data_type == "boolean":
            flag = as_boolean(value)
            return "false" if flag is None else f"audiences_boolean({x}) = {self.p(flag)}"
        if op in ("equals", "contains", "pattern"):
            wanted = as_text(value)
            if wanted is None:
                return "false"
            param = self.p(like_pattern(wanted) if op == "pattern" else wanted)
            return text[op](f"audiences_text({x})", param)
        if op in ("gt", "gte", "lt", "lte"):
            return f"audiences_number({x}) {compare[op]} {self.p(as_number(value))}"
        if op == "between":
            low, high = self.p(as_number(value)), self.p(as_number(value2))
            return f"(audiences_number({x}) {compare['gte']} {low} AND audiences_number({x}) {compare['lte']} {high})"
        if op == "is_true":
            return f"audiences_boolean({x})"
        if op == "is_false":
            return f"NOT audiences_boolean({x})"
        if op in ("includes", "partial_match"):
            wanted = as_text(value)
            if wanted is None:
                return "false"
            test = text["equals" if op == "includes" else "contains"]("audiences_text(el.v)", self.p(wanted))
            return (
                f"EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof({x}) = 'array' "
                f"THEN {x} END) AS el(v) WHERE {test})"
            )
        if op == "time":
            return self.window(f"audiences_date({x})", value)
        raise ValueError(f"unknown operator {op}")

    def keyed(self, obj: str, key: str, condition: Any, op: str | None = None) -> str:
        """A condition on the value under `key` of the jsonb object `obj`."""
        k = self.p(key)
        x = f"({obj} -> {k})"
        present = f"(jsonb_typeof({obj}) = 'object' AND {obj} ? {k})"
        return self.condition(
            op or condition.op, type_of(condition), condition.value, getattr(condition, "value2", None), x, present
        )

    def frequency(self, count: str, frequency: Frequency) -> str:
        compare = self.ops.compare
        if frequency.op == "between":
            low, high = self.p(frequency.value), self.p(frequency.value2)
            return f"({count} {compare['gte']} {low} AND {count} {compare['lte']} {high})"
        return f"{count} {compare[frequency.op]} {self.p(frequency.value)}"

    # -- criteria --------------------------------------------------------------------------------

    @property
    def account(self) -> str:
        return self.p(self.scope.account_id)

    def events_where(self, alias: str, criterion: Any, event_type: str) -> str:
        tiers = self.scope.tiers
        tier = (
            f"{alias}.tier = {self.p(tiers[0])}"
            if len(tiers) == 1
            else f"{alias}.tier = ANY({self.p(list(tiers), '::smallint[]')})"
        )
        where = (
            f"{alias}.account_id = {self.account} AND {tier}"
            f" AND {alias}.workspace_id = ANY({self.ids(self.scope.workspaces_for(criterion))})"
            f" AND {alias}.input_id = ANY({self.ids(self.scope.inputs_for(criterion))})"
            f" AND {alias}.event_type = {self.p(event_type)}"
        )
        period = self.scope.period
        if period is not None and period.since is not None:
            where += f' AND {alias}."timestamp" >= {self.p(period.since)}'
        if period is not None and period.until is not None:
            where += f' AND {alias}."timestamp" < {self.p(period.until)}'
        return where

    def event(self, criterion: EventCriterion) -> Part:
        where = self.events_where("e", criterion, criterion.event_type)
        if criterion.name is not None:
            where += f" AND e.name = {self.p(criterion.name)}"
        window = self.scope.window_for(criterion)
        if window is not None:
            where += " AND " + self.window('e."timestamp"', window)
        for condition in criterion.attributes:
            where += " AND " + self.keyed("e.attributes", condition.key, condition)
        table = (
            f"SELECT e.mpid, count(*) AS n FROM audiences_event AS e "
            f"WHERE {where}{self.restrict('e.mpid')} GROUP BY e.mpid"
        )
        return self.counted(table, criterion.frequency or DEFAULT_FREQUENCY)

    def counted(self, table: str, frequency: Frequency) -> Part:
        alias = f"c{self.index}"
        holds = self.frequency(f"COALESCE({alias}.n, 0)", frequency)
        fails = f"NOT {holds}"
        if not self.holds_at_zero(frequency):
            # Without COALESCE the test is strict, so PostgreSQL turns the LEFT JOIN into an
            # inner join and can start from the few matching events instead of every profile
            # (several times faster on a million profiles). NULL (no events) then behaves as
            # false: `holds` only ever meets AND, OR and WHERE; `fails` keeps the COALESCE.
            holds = self.frequency(f"{alias}.n", frequency)
        return Part(table=table, holds=holds, fails=fails, count=f"COALESCE({alias}.n, 0)")

    def holds_at_zero(self, frequency: Frequency) -> bool:
        """Whether a count of zero satisfies the frequency as the SQL operators spell it."""
        tests = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le, "=": operator.eq}
        compare = self.ops.compare
        if frequency.op == "between":
            low, high = tests.get(compare["gte"]), tests.get(compare["lte"])
            return low is None or high is None or (low(0, frequency.value) and high(0, frequency.value2))
        test = tests.get(compare[frequency.op])
        return test is None or test(0, frequency.value)

    def cart_abandonment(self, criterion: CartAbandonmentCriterion) -> Part:
        wait = dt.timedelta(hours=criterion.wait_hours)
        adds = self.events_where("e", criterion, "commerce_event") + f" AND e.name = {self.p('add_to_cart')}"
        window = self.scope.window_for(criterion)
        if window is not None:
            adds += " AND " + self.window('e."timestamp"', window)
        purchases = self.events_where("b", criterion, "commerce_event") + f" AND b.name = {self.p('purchase')}"
        # Redundant bounds (a purchase that counts comes after an add-to-cart of the window, and
        # before now) so the purchases are read once for everyone, not per profile.
        earliest = earliest_moment(window, self.now) if window is not None else None
        if earliest is not None:
            purchases += f' AND b."timestamp" >= {self.p(earliest)}'
        purchases += f' AND b."timestamp" <= {self.p(self.now)}{self.restrict("b.mpid")}'
        wait_param = self.p(wait, "::interval")
        table = (
            f'SELECT l.mpid FROM (SELECT e.mpid, max(e."timestamp") AS last_add FROM audiences_event AS e '
            f"WHERE {adds}{self.restrict('e.mpid')} GROUP BY e.mpid) AS l "
            f"WHERE l.last_add <= {self.p(self.now - wait)} AND NOT EXISTS (SELECT 1 FROM audiences_event AS b "
            f'WHERE {purchases} AND b.mpid = l.mpid AND b."timestamp" >= l.last_add '
            f'AND b."timestamp" <= l.last_add + {wait_param})'
        )
        return self.present(table)

    def present(self, table: str, negative: bool = False) -> Part:
        alias = f"c{self.index}"
        holds, fails = f"{alias}.mpid IS NOT NULL", f"{alias}.mpid IS NULL"
        return Part(table=table, holds=fails if negative else holds, fails=holds if negative else fails)

    def profile_rows(self, criterion: Any, predicate: str, negative: bool = False) -> Part:
        """Profiles with a workspace row (in the criterion's workspaces) where `predicate` holds."""
        workspaces = self.scope.workspaces_for(criterion)
        if workspaces == self.scope.workspace_ids:
            # Read in the same pass as the universe (a column of it): one scan of the profile
            # rows for all such criteria instead of one each.
            flag = f"f{self.index}"
            self.flags.append((flag, f"COALESCE({predicate}, false)"))
            holds, fails = f"u.{flag}", f"NOT u.{flag}"
            return Part(table=None, holds=fails if negative else holds, fails=holds if negative else fails)
        distinct = "DISTINCT " if len(workspaces) > 1 else ""
        table = (
            f"SELECT {distinct}pw.mpid FROM {self.profile_rows_table} AS pw "
            f"WHERE pw.workspace_id = ANY({self.ids(workspaces)}) AND {predicate}{self.restrict('pw.mpid')}"
        )
        return self.present(table, negative)

    def user_attribute(self, criterion: UserAttributeCriterion | UserAttributeListCriterion) -> Part:
        positive = NEGATIVE.get(criterion.op, criterion.op)
        return self.profile_rows(
            criterion, self.keyed("pw.user_attributes", criterion.key, criterion, positive), criterion.op in NEGATIVE
        )

    def device(self, criterion: DeviceCriterion) -> Part:
        positive = NEGATIVE.get(criterion.op, criterion.op)
        return self.profile_rows(
            criterion, self.keyed("pw.device", criterion.key, criterion, positive), criterion.op in NEGATIVE
        )

    def audience(self, criterion: AudienceCriterion) -> Part:
        table = (
            f"SELECT m.mpid FROM audiences_member AS m WHERE m.audience_id = {self.p(criterion.audience_id)}"
            f"{self.restrict('m.mpid')}"
        )
        return self.present(table, negative=not criterion.member)

    def calculated_attribute(self, criterion: CalculatedAttributeCriterion) -> Part:
        positive = NEGATIVE.get(criterion.op, criterion.op)
        workspaces = self.scope.workspaces_for(criterion)
        predicate = self.condition(positive, type_of(criterion), criterion.value, criterion.value2, "c.value", "true")
        table = (
            f"SELECT DISTINCT c.mpid FROM audiences_calculatedattributevalue AS c "
            f"WHERE c.workspace_id = ANY({self.ids(workspaces)}) AND c.name = {self.p(criterion.name)} "
            f"AND {predicate}{self.restrict('c.mpid')}"
        )
        return self.present(table, criterion.op in NEGATIVE)

    def consent(self, criterion: ConsentCriterion) -> Part:
        state = f"(pw.consent -> {self.p(criterion.regulation)} -> {self.p(criterion.consent_purpose)} -> 'consented')"
        flag = self.p("true" if criterion.consented else "false", "::jsonb")
        return self.profile_rows(criterion, f"COALESCE({state} = {flag}, false)")

    def first_seen(self, criterion: FirstSeenCriterion) -> Part:
        return self.profile_rows(criterion, self.window("pw.first_seen", criterion.time))

    def location(self, criterion: LocationCriterion) -> Part:
        if criterion.mode == "equals":
            k = self.p(criterion.key)
            x = f"(pw.user_attributes -> {k})"
            present = f"(jsonb_typeof(pw.user_attributes) = 'object' AND pw.user_attributes ? {k})"
            return self.profile_rows(criterion, self.condition("equals", "string", criterion.value, None, x, present))
        # Great-circle distance by the haversine formula, written exactly as the reference
        # evaluator computes it (same operations, same order, same constants).
        rad = f"{RADIANS_PER_DEGREE!r}::float8"
        lat, lon = self.p(float(criterion.latitude), "::float8"), self.p(float(criterion.longitude), "::float8")
        half_lat = f"sin((pw.latitude * {rad} - {lat} * {rad}) / 2)"
        half_lon = f"sin((pw.longitude * {rad} - {lon} * {rad}) / 2)"
        inner = f"{half_lat} * {half_lat} + cos({lat} * {rad}) * cos(pw.latitude * {rad}) * {half_lon} * {half_lon}"
        distance = f"(2 * {EARTH_RADIUS_KM!r}::float8 * asin(least(1.0::float8, sqrt({inner}))))"
        radius = self.p(float(criterion.radius_km), "::float8")
        return self.profile_rows(
            criterion, f"pw.latitude IS NOT NULL AND pw.longitude IS NOT NULL AND {distance} <= {radius}"
        )

    def identity(self, criterion: IdentityCriterion) -> Part:
        positive = NEGATIVE.get(criterion.op, criterion.op)
        predicate = self.condition(positive, "string", criterion.value, None, "to_jsonb(i.value)", "true")
        table = (
            f"SELECT DISTINCT i.mpid FROM audiences_identity AS i WHERE i.account_id = {self.account} "
            f"AND i.workspace_id = ANY({self.ids(self.scope.workspaces_for(criterion))}) "
            f"AND i.identity_type = {self.p(criterion.identity_type)} AND {predicate}{self.restrict('i.mpid')}"
        )
        return self.present(table, criterion.op in NEGATIVE)

    def attribution(self, criterion: AttributionCriterion) -> Part:
        record = "pw.install_attribution" if criterion.event == "install" else "pw.uninstall_attribution"
        predicate = f"jsonb_typeof({record}) = 'object'"
        for name in ("publisher", "campaign"):
            condition = getattr(criterion, name)
            if condition is not None:
                predicate += " AND " + self.keyed(record, name, condition)
        return self.profile_rows(criterion, predicate)

    # -- the whole definition --------------------------------------------------------------------

    HANDLERS = {
        "event": "event",
        "cart_abandonment": "cart_abandonment",
        "user_attribute": "user_attribute",
        "user_attribute_list": "user_attribute",
        "audience": "audience",
        "calculated_attribute": "calculated_attribute",
        "consent": "consent",
        "device": "device",
        "first_seen": "first_seen",
        "location": "location",
        "identity": "identity",
        "attribution": "attribution",
    }

    def compile(self, definition: Definition) -> CompiledQuery:
        self.flags: list[tuple[str, str]] = []
        parts = []
        for index, criterion in enumerate(definition.criteria):
            self.index = index
            parts.append(getattr(self, self.HANDLERS[criterion.type])(criterion))
        rows = f"FROM {self.profile_rows_table} AS pw WHERE pw.workspace_id = ANY({self.ids(self.scope.workspace_ids)})"
        rows += self.restrict("pw.mpid")
        if len(self.scope.workspace_ids) == 1:
            columns = "".join(f", {predicate} AS {flag}" for flag, predicate in self.flags)
            universe = f"SELECT pw.mpid{columns} {rows}"
        else:
            # A profile seen in several of the workspaces matches when any of its rows does.
            columns = "".join(f", bool_or({predicate}) AS {flag}" for flag, predicate in self.flags)
            universe = f"SELECT pw.mpid{columns} {rows} GROUP BY pw.mpid"
        where = parts[0].holds
        for criterion, part in zip(definition.criteria[1:], parts[1:], strict=True):
            if criterion.join == "and":
                where = f"({where} AND {part.holds})"
            elif criterion.join == "or":
                where = f"({where} OR {part.holds})"
            else:
                where = f"({where} AND {part.fails})"
        return CompiledQuery(universe=universe, parts=parts, where=where, params=self.p.values)


def statistics_known(cursor: Any, account_id: int) -> bool:
    """Whether PostgreSQL has measured (ANALYZE or autovacuum) the profile rows and every event
    partition of the account. Its own plans can then be trusted, and a full calculation plans
    better with them (set_based_plans: 5x slower than a hand-written query for the tutorial
    audience, which looks up the few thousand profiles its event criterion names by index
    rather than hashing a million; docs/benchmarks.md)."""
    cursor.execute(
        "SELECT coalesce(bool_and(coalesce(last_analyze, last_autoanalyze) IS NOT NULL), false) "
        "FROM pg_stat_user_tables WHERE relname = 'audiences_profileworkspace' OR starts_with(relname, %s)",
        [f"audiences_event_a{account_id}_t"],
    )
    return cursor.fetchone()[0]


@contextmanager
def set_based_plans(cursor: Any, *, trust_statistics: bool = False) -> Iterator[None]:
    """Inside a transaction: plan the statements run meanwhile with hash joins, not nested loops.

    Fresh partitions and just-loaded profiles have no statistics yet; PostgreSQL then guesses
    one row per derived table and nests loops over what are really thousands of rows each
    (minutes instead of milliseconds). Hash joins stay linear whatever the guesses. The setting
    is put back afterwards, so the rest of the caller's transaction plans as usual.

    JIT compilation goes off too: a nested loop the planner cannot avoid (the A/B variation
    join, say) is costed at 10^10 once nested loops are off, which triggers JIT with inlining
    and optimisation, some 3 seconds of compiling for a query that then runs in milliseconds
    (measured in docs/benchmarks.md: real-time evaluation of 40 users, 2.8 s of JIT per audience).
    With `trust_statistics` (see `statistics_known`) only JIT goes off.
    """
    # One round trip each way: real-time evaluation runs this for every audience of every chunk.
    nestloop = "DEFAULT" if trust_statistics else "off"
    cursor.execute(f"SET LOCAL enable_nestloop = {nestloop}; SET LOCAL jit = off")
    yield
    cursor.execute("SET LOCAL enable_nestloop = DEFAULT; SET LOCAL jit = DEFAULT")


def compile_definition(
    definition: Definition,
    scope: Scope,
    *,
    now: dt.datetime,
    mpids: Sequence[int] | None = None,
    sample_buckets: Sequence[int] | None = None,
    operators: Operators = DEFAULT_OPERATORS,
) -> CompiledQuery:
    """The query for a definition whose types are resolved (see `resolve_types`)."""
    compiler = Compiler(scope, now, mpids=mpids, sample_buckets=sample_buckets, operators=operators)
    return compiler.compile(definition)
