"""Saved criteria in plain words, for the list of criteria on the Build tab."""

from __future__ import annotations

from typing import Any

from audiences.builder.vocabulary import (
    DEFAULT_FREQUENCY,
    DEFAULT_TIME,
    DEVICE_FIELDS,
    EVENT_LABELS,
    FREQUENCY_LABELS,
    LOCATION_FIELDS,
    OP_LABELS,
)
from audiences.criteria.definition import NO_VALUE_OPS

# ---------------------------------------------------------------------------------------
# Plain-words summaries of saved criteria, for the list of criteria.


def _value_words(value: Any) -> str:
    if isinstance(value, dict):
        return time_words(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"“{value}”" if isinstance(value, str) else str(value)


def condition_words(condition: dict[str, Any], key_name: str = "key") -> str:
    op = condition.get("op", "")
    words = f"{condition.get(key_name, '')} {OP_LABELS.get(op, op).lower()}"
    if op in NO_VALUE_OPS:
        return words
    if op == "time":
        return f"{condition.get(key_name, '')} {time_words(condition.get('value') or {})}"
    if op == "between":
        return f"{words} {_value_words(condition.get('value'))} and {_value_words(condition.get('value2'))}"
    return f"{words} {_value_words(condition.get('value'))}"


def time_words(window: dict[str, Any]) -> str:
    if not window:
        return "in the last 30 days"
    mode, value = next(iter(window.items()))
    if mode == "within_days":
        return f"in the last {value} day{'s' if value != 1 else ''}"
    if mode == "between_days_ago":
        return f"between {value[0]} and {value[1]} days ago"
    if mode == "between_dates":
        return f"between {value[0]} and {value[1]}"
    return f"{mode} {value}"


def frequency_words(frequency: dict[str, Any]) -> str:
    op = frequency.get("op", "gt")
    count = f"{frequency.get('value')}" + (f" and {frequency.get('value2')}" if op == "between" else "")
    plural = "s" if frequency.get("value") != 1 or op == "between" else ""
    return f"{FREQUENCY_LABELS.get(op, op).lower()} {count} event{plural}"


def summary(
    criterion: dict[str, Any],
    *,
    audience_names: dict[int, str],
    workspace_names: dict[int, str],
    standard: bool = False,
) -> str:
    """One line in the product's words, e.g. `Play Video where category exact match “Paris”`.
    `standard`: an event criterion without a time covers the audience's date range."""
    kind = criterion.get("type")
    text = ""
    if kind == "event":
        name = criterion.get("name") or f"any {EVENT_LABELS.get(criterion.get('event_type', ''), 'event').lower()}"
        text = name
        conditions = criterion.get("attributes") or []
        if conditions:
            text += " where " + " and ".join(condition_words(c) for c in conditions)
        text += f", {frequency_words(criterion.get('frequency') or DEFAULT_FREQUENCY)}"
        if standard and not criterion.get("time"):
            text += " in the date range"
        else:
            text += f" {time_words(criterion.get('time') or DEFAULT_TIME)}"
    elif kind == "cart_abandonment":
        window = time_words(criterion.get("time") or DEFAULT_TIME)
        text = f"added to cart and no purchase within {criterion.get('wait_hours')} hours, {window}"
    elif kind == "user_attribute":
        text = condition_words(criterion)
    elif kind == "calculated_attribute":
        text = condition_words(criterion, key_name="name")
    elif kind == "user_attribute_list":
        text = condition_words(criterion)
    elif kind == "audience":
        name = audience_names.get(criterion.get("audience_id"), f"audience {criterion.get('audience_id')}")
        text = f"{'member' if criterion.get('member', True) else 'not a member'} of {name}"
    elif kind == "consent":
        what = f"GDPR {criterion.get('purpose')}" if criterion.get("regulation") == "gdpr" else "CCPA data sale opt-out"
        text = f"{'consented' if criterion.get('consented') else 'not consented'} to {what}"
    elif kind == "device":
        condition = {**criterion, "key": DEVICE_FIELDS.get(criterion.get("field", ""), "").lower()}
        text = condition_words(condition)
    elif kind == "first_seen":
        text = f"first seen {time_words(criterion.get('time') or {})}"
    elif kind == "location":
        if criterion.get("mode") == "within":
            text = (
                f"within {criterion.get('radius_km')} km of {criterion.get('latitude')}, {criterion.get('longitude')}"
            )
        else:
            where = LOCATION_FIELDS.get(criterion.get("field", ""), "").lower()
            text = f"{where} is {_value_words(criterion.get('value'))}"
    elif kind == "identity":
        text = condition_words({**criterion, "key": criterion.get("identity_type")})
    elif kind == "attribution":
        parts = [
            condition_words({**criterion[part], "key": part})
            for part in ("publisher", "campaign")
            if criterion.get(part)
        ]
        text = " and ".join(parts) or "any publisher and campaign"
    if criterion.get("workspace_id") in workspace_names:
        text += f" (in {workspace_names[criterion['workspace_id']]})"
    return text
