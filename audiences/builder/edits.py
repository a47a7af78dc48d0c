"""Edits of the criteria list: joins, order, and the definition around them."""

from __future__ import annotations

from typing import Any

from audiences.builder.vocabulary import CRITERION_KINDS, EVENT_LABELS, JOINS
from audiences.criteria.definition import parse_definition


def normalise_joins(criteria: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first criterion has no join; every other one has one (And unless said otherwise)."""
    for index, criterion in enumerate(criteria):
        if index == 0:
            criterion.pop("join", None)
        elif not isinstance(criterion.get("join"), str) or criterion["join"] not in JOINS:
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


def readable(criterion: dict[str, Any]) -> bool:
    """Whether a criterion has the shape DEFINITION.md gives it (values may still be refused
    by the account checks, such as a nested audience that no longer exists).

    The criteria travel through the page, so one may come back as anything: only readable
    ones are summarised or opened in an editor; the others can be removed."""
    alone = {key: value for key, value in criterion.items() if key != "join"}
    return parse_definition({"version": 1, "criteria": [alone]})[0] is not None


def draft_identity(draft: Any) -> dict[str, Any] | None:
    """What the open editor is for: its type (and event type, or attribution event) and join.

    Everything else an editor shows is read back from its fields on every post, so nothing
    else of the posted draft is trusted."""
    if not isinstance(draft, dict) or not isinstance(draft.get("type"), str) or draft["type"] not in CRITERION_KINDS:
        return None
    identity: dict[str, Any] = {"type": draft["type"]}
    if draft["type"] == "event":
        event_type = draft.get("event_type")
        identity["event_type"] = (
            event_type if isinstance(event_type, str) and event_type in EVENT_LABELS else "custom_event"
        )
    if draft["type"] == "attribution":
        identity["event"] = draft.get("event") if draft.get("event") in ("install", "uninstall") else "install"
    if isinstance(draft.get("join"), str) and draft["join"] in JOINS:
        identity["join"] = draft["join"]
    return identity
