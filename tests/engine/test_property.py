"""The compiler and the reference evaluator agree on random definitions and random profiles,
and the comparison catches a compiler that is subtly wrong.

`make test` runs at least 300 examples (each checks several definitions, plus the same
queries limited to given mpids and to a sample, and the estimator's per-criterion counts);
`pytest --hypothesis-profile=deep` runs many more.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, Phase, find, given, settings

from audiences.criteria.compiler import (
    DEFAULT_OPERATORS,
    SAMPLED_BUCKETS,
    Operators,
    compile_definition,
    midnight,
)
from audiences.criteria.datatypes import resolve_types
from audiences.criteria.definition import parse_definition
from audiences.criteria.reference import in_universe, is_member, load_profiles, verdicts
from audiences.criteria.scope import Period, Scope
from audiences.models.events import Tier
from tests.engine.strategies import Focus
from tests.engine.strategies import examples as example_strategy
from tests.engine.world import World, write_people

EXAMPLES = max(300, settings.default.max_examples)
SLOW_OK = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]


class Disagreement(AssertionError):
    pass


examples = example_strategy()


def bind(world: World, criteria: list[dict[str, Any]], scope: Scope) -> dict[str, Any]:
    """Turn the strategies' indexes into the world's ids."""
    bound = []
    for raw in criteria:
        criterion = {k: v for k, v in raw.items() if not k.startswith("_")}
        if raw.get("_workspace") is not None:
            criterion["workspace_id"] = world.workspaces[raw["_workspace"]].pk
        if raw.get("_inputs") == "first":
            criterion["input_ids"] = [scope.input_ids[0]]
        if raw["type"] == "audience":
            criterion["audience_id"] = world.nested[raw["audience_id"]].pk
        bound.append(criterion)
    return {"version": 1, "criteria": bound}


def scope_of(world: World, spec: dict[str, Any], standard: bool, period: tuple | None = None) -> Scope:
    """A standard audience's scope reads every tier and is bounded by its date range."""
    workspaces = [world.workspaces[w].pk for w in spec["workspaces"]]
    inputs = [world.inputs[world.workspaces[w].pk][i] for w, i in spec["inputs"]]
    return Scope(
        account_id=world.account.pk,
        workspace_ids=tuple(workspaces),
        input_ids=tuple(sorted(inputs)),
        multi_workspace=spec["multi"],
        tiers=(Tier.LIVE, Tier.HISTORICAL, Tier.LONG_TERM) if standard else (Tier.LIVE,),
        period=Period.of_days(*period) if standard and period else None,
    )


def fetch(sql: str, params: dict[str, Any]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def compare(world: World, example: dict[str, Any], operators: Operators = DEFAULT_OPERATORS) -> None:
    """Raise Disagreement if the compiled query and the reference evaluator ever differ."""
    scope = scope_of(world, example["scope"], example["standard"], example.get("period"))
    now = example["now"]
    with transaction.atomic():
        mpids = write_people(world, example["people"])
        facts = load_profiles(world.account.pk, mpids)
        buckets = dict(fetch("SELECT m, audiences_sample_bucket(m) FROM unnest(%(m)s::bigint[]) AS m", {"m": mpids}))
        sample = list(range(SAMPLED_BUCKETS))  # the world's mpids alternate in and out of it
        for criteria in example["definitions"]:
            data = bind(world, criteria, scope)
            definition, errors = parse_definition(data)
            assert definition is not None, errors
            definition = resolve_types(definition, scope)
            expected = {m for m in mpids if is_member(definition, scope, facts[m], now)}

            def differs(what: str, got: Any, wanted: Any, *, definition=definition, data=data) -> None:
                if got != wanted:
                    shown = {m: [v.reason for v in verdicts(definition, scope, facts[m], now)] for m in mpids}
                    raise Disagreement(
                        f"{what}: compiled {got} != reference {wanted}\n"
                        f"definition {json.dumps(data, ensure_ascii=False)}\nnow {now}\nverdicts {shown}"
                    )

            compiled = compile_definition(definition, scope, now=now, operators=operators)
            differs("members", {row[0] for row in fetch(*compiled.members())}, expected)
            # Criterion by criterion, profile by profile, event counts included: a mistake
            # shows here even where the fold of the criteria hides it.
            found = {row[0]: list(row[1:]) for row in fetch(*compiled.matches())}
            wanted = {}
            for mpid in mpids:
                if in_universe(scope, facts[mpid]):
                    judged = verdicts(definition, scope, facts[mpid], now)
                    wanted[mpid] = [mpid in expected] + [x for v in judged for x in (v.matched, v.count)]
            differs("criteria of each profile", found, wanted)

            some = mpids[::2]
            limited = compile_definition(definition, scope, now=now, mpids=some, operators=operators)
            differs("members among given mpids", {row[0] for row in fetch(*limited.members())}, expected & set(some))

            sampled = compile_definition(definition, scope, now=now, sample_buckets=sample, operators=operators)
            universe = [m for m in mpids if in_universe(scope, facts[m]) and buckets[m] in sample]
            wanted = [len(universe), len(expected & set(universe))]
            wanted += (
                [
                    sum(judged.matched for judged in column)
                    for column in zip(*[verdicts(definition, scope, facts[m], now) for m in universe], strict=True)
                ]
                if universe
                else [0] * len(definition.criteria)
            )
            differs("counts in the sample", list(fetch(*sampled.counts())[0]), wanted)
        transaction.set_rollback(True)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=SLOW_OK)
@given(example=examples)
def test_the_compiled_query_agrees_with_the_reference_evaluator(world, example):
    compare(world, example)


def _broken(**changes: dict) -> Operators:
    return dataclasses.replace(
        DEFAULT_OPERATORS, **{name: {**getattr(DEFAULT_OPERATORS, name), **table} for name, table in changes.items()}
    )


# Each deliberately wrong compiler, and the operators or time forms it gets wrong: the search
# draws those half the time (the check itself is the same property as above).
BROKEN = {
    "lte for lt": (_broken(compare={"lt": "<="}), Focus(ops=("lt",))),
    "case-sensitive contains": (
        _broken(text={"contains": lambda expr, param: f"strpos({expr}, {param}) > 0"}),
        Focus(ops=("contains", "not_contains", "partial_match")),
    ),
    "exclusive after": (
        _broken(windows={"after": lambda column, window, now, p: f"{column} > {p(midnight(window.after))}"}),
        Focus(forms=("after",)),
    ),
    "gte for gt": (_broken(compare={"gt": ">="}), Focus(ops=("gt",))),
    "case-sensitive equals": (
        _broken(text={"equals": lambda expr, param: f"{expr} = {param}"}),
        Focus(ops=("equals", "not_equals", "includes")),
    ),
    "inclusive before": (
        _broken(windows={"before": lambda column, window, now, p: f"{column} <= {p(midnight(window.before))}"}),
        Focus(forms=("before",)),
    ),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_a_subtly_wrong_compiler_is_caught(world, name):
    operators, focus = BROKEN[name]

    def disagrees(example: dict[str, Any]) -> bool:
        try:
            compare(world, example, operators)
        except Disagreement:
            return True
        return False

    # No shrinking: finding one disagreement is the point, not the smallest one.
    found = find(
        example_strategy(focus=focus),
        disagrees,
        settings=settings(
            max_examples=1000,
            phases=[Phase.generate],
            database=None,
            derandomize=True,
            deadline=None,
            suppress_health_check=SLOW_OK,
        ),
    )
    assert found is not None
