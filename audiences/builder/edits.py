"""Edits of the criteria list: joins, order, and the definition around them."""

from __future__ import annotations

from typing import Any

from audiences.builder.vocabulary import JOINS

# ---------------------------------------------------------------------------------------
# Edits of the criteria list.


def normalise_joins(criteria: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first criterion has no join; every other one has one (And unless said otherwise)."""
    for index, criterion in enumerate(criteria):
        if index == 0:
            criterion.pop("join", None)
        elif criterion.get("join") not in JOINS:
            criterion["join"] = "and"
    return criteria


def move(criteria: list[dict[str, Any]], index: int, step: int) -> list[dict[str, Any]]:
    target = index + step
    if 0 <= index < len(criteria) and 0 <= target < len(criteria):
        # A criterion's and/or/exclude travels with it; normalising fixes the new first one.
        criteria[index], criteria[target] = criteria[target], criteria[index]
    return normalise_joins(criteria)


def definition_of(criteria: list[dict[str, Any]]) -> dict[str, Any] | None:
    return {"version": 1, "criteria": criteria} if criteria else None


def criteria_of(definition: Any) -> list[dict[str, Any]]:
    if isinstance(definition, dict) and isinstance(definition.get("criteria"), list):
        return [c for c in definition["criteria"] if isinstance(c, dict)]
    return []
