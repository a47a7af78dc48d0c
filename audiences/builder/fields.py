"""Reading a criterion editor's fields into a criterion of DEFINITION.md, and putting the
engine's faults back on those fields."""

from __future__ import annotations

import math
import re
from typing import Any

from django.http import QueryDict

from audiences.builder.editor import Catalogue
from audiences.builder.vocabulary import (
    ATTRIBUTION_OPS,
    DEVICE_FIELDS,
    DEVICE_OPS,
    FREQUENCY_LABELS,
    IDENTITY_TYPES,
    JOINS,
    LOCATION_FIELDS,
    NAME_REQUIRED,
    OP_LABELS,
    OPS_BY_TYPE,
    RANGE_MODE,
    STRING_OPS,
    TIME_MODES,
)
from audiences.criteria.definition import LIST_OPS, NO_VALUE_OPS, NUMBER_OPS, validate_definition
from audiences.models import Audience

# ---------------------------------------------------------------------------------------
# Reading an editor's fields into a criterion.


def _text(data: QueryDict, name: str) -> str:
    # NUL cannot be stored or searched for in PostgreSQL text; nobody means to type it.
    return str(data.get(name, "")).replace("\x00", "").strip()


def _number(raw: str) -> int | float | None:
    try:
        number = float(raw)
    except ValueError:
        return None
    if not math.isfinite(number):
        return None
    return int(number) if number.is_integer() and "." not in raw and "e" not in raw.lower() else number


def _id(raw: str) -> int | None:
    """A database id written in ASCII digits (within a bigint), else None."""
    return int(raw) if re.fullmatch(r"[0-9]{1,18}", raw) else None


def _whole(raw: str) -> int | None:
    try:
        return int(raw)
    except ValueError:
        return None


def read_time(data: QueryDict, prefix: str, errors: dict[str, str], *, standard: bool = False) -> dict[str, Any] | None:
    """A time window from the recency/date fields `{prefix}mode`, `days`, `a`, `b`, `date`, `date2`;
    None for a standard audience's event criterion that covers the whole date range."""
    mode = _text(data, f"{prefix}mode")
    if standard and mode in RANGE_MODE:
        return None
    if mode not in TIME_MODES:
        mode = "within_days"
    if mode == "within_days":
        raw = _text(data, f"{prefix}days")
        days = _whole(raw)
        if days is None:
            errors[f"{prefix}days"] = "Enter a whole number of days."
            return {"within_days": raw}
        return {"within_days": days}
    if mode == "between_days_ago":
        raws = [_text(data, f"{prefix}a"), _text(data, f"{prefix}b")]
        values = [_whole(raw) for raw in raws]
        if None in values:
            errors[f"{prefix}a"] = "Enter whole numbers of days."
            return {"between_days_ago": raws}
        return {"between_days_ago": values}
    if mode == "between_dates":
        return {"between_dates": [_text(data, f"{prefix}date"), _text(data, f"{prefix}date2")]}
    return {mode: _text(data, f"{prefix}date")}


def read_condition(
    data: QueryDict,
    prefix: str,
    errors: dict[str, str],
    *,
    detected: dict[str, str],
    key_name: str = "key",
    refresh: bool = False,
) -> dict[str, Any]:
    """One condition (`key`, `op`, `value`, `value2`, `data_type`) from `{prefix}key` etc.

    The operator must suit the data type (the override, else the detected one); after the key
    or the type changed (`refresh`), an operator that no longer suits is replaced by the first
    that does.
    """
    key = _text(data, f"{prefix}key")
    override = _text(data, f"{prefix}type")
    override = override if override in OPS_BY_TYPE else ""
    kind = override or detected.get(key, "string")
    op = _text(data, f"{prefix}op")
    if op not in OPS_BY_TYPE[kind] and (refresh or op not in OP_LABELS):
        op = OPS_BY_TYPE[kind][0]
    condition: dict[str, Any] = {key_name: key, "op": op}
    if override:
        condition["data_type"] = override
    if not key and not refresh:
        errors[f"{prefix}key"] = "Pick an attribute."
    if op in NO_VALUE_OPS:
        return condition
    if op == "time":
        condition["value"] = read_time(data, f"{prefix}time-", errors)
        return condition
    raw = str(data.get(f"{prefix}value", "")).replace("\x00", "")
    if op in NUMBER_OPS or (kind == "number" and op in ("equals", "not_equals")):
        value = _number(raw.strip())
        if value is None and not refresh:
            errors[f"{prefix}value"] = "Enter a number."
        condition["value"] = raw.strip() if value is None else value
        if op == "between":
            raw2 = _text(data, f"{prefix}value2")
            value2 = _number(raw2)
            if value2 is None and not refresh:
                errors[f"{prefix}value2"] = "Enter a number."
            condition["value2"] = raw2 if value2 is None else value2
        return condition
    if kind == "boolean" and op in ("equals", "not_equals"):
        condition["value"] = raw.strip().lower() in ("true", "1", "yes")
        return condition
    if not raw.strip() and not refresh:
        errors[f"{prefix}value"] = "Enter a value."
    condition["value"] = raw.strip()
    return condition


def _workspace(data: QueryDict, criterion: dict[str, Any], multi: bool) -> None:
    raw = _text(data, "workspace_id")
    criterion.pop("workspace_id", None)
    if multi and _id(raw) is not None:
        criterion["workspace_id"] = _id(raw)


def read_editor(
    draft: dict[str, Any],
    data: QueryDict,
    *,
    catalogue: Catalogue,
    multi: bool,
    refresh: bool = False,
    standard: bool = False,
) -> tuple[dict[str, Any], dict[str, str]]:
    """The criterion the editor's fields describe, and the fields' own faults (by field name).

    `draft` is the criterion as it was when the editor was drawn; it supplies what the editor
    does not show (its type, event type or attribution event).
    """
    errors: dict[str, str] = {}
    kind = draft.get("type")
    criterion: dict[str, Any] = {"type": kind}
    join = _text(data, "join")
    if draft.get("join") or join:
        criterion["join"] = join if join in JOINS else draft.get("join") or "and"
    if kind == "event":
        event_type = draft.get("event_type", "custom_event")
        name = _text(data, "name")
        criterion["event_type"] = event_type
        if name:
            criterion["name"] = name
        elif event_type in NAME_REQUIRED and not refresh:
            errors["name"] = "Pick an event name." if event_type != "commerce_event" else "Pick a product action."
        detected = catalogue.keys(event_type, name or None)
        count = _whole(_text(data, "attr-count")) or 0
        criterion["attributes"] = [
            read_condition(data, f"attr-{n}-", errors, detected=detected, refresh=refresh)
            for n in range(min(count, 20))
        ]
        criterion["frequency"] = read_frequency(data, errors)
        window = read_time(data, "time-", errors, standard=standard)
        if window is not None:
            criterion["time"] = window
        _workspace(data, criterion, multi)
    elif kind == "cart_abandonment":
        raw = _text(data, "wait_hours")
        hours = _whole(raw)
        if hours is None:
            errors["wait_hours"] = "Enter a whole number of hours."
        criterion["wait_hours"] = raw if hours is None else hours
        criterion["time"] = read_time(data, "time-", errors)
        _workspace(data, criterion, multi)
    elif kind in ("user_attribute", "calculated_attribute"):
        detected = catalogue.keys() if kind == "user_attribute" else {}
        key_name = "key" if kind == "user_attribute" else "name"
        criterion.update(read_condition(data, "", errors, detected=detected, key_name=key_name, refresh=refresh))
        _workspace(data, criterion, multi)
    elif kind == "user_attribute_list":
        op = _text(data, "op")
        criterion.update(
            {"key": _text(data, "key"), "op": op if op in LIST_OPS else "includes", "value": _text(data, "value")}
        )
        if not criterion["key"] and not refresh:
            errors["key"] = "Pick a list attribute."
        if not criterion["value"] and not refresh:
            errors["value"] = "Enter a value."
        _workspace(data, criterion, multi)
    elif kind == "audience":
        raw = _text(data, "audience_id")
        criterion["audience_id"] = _id(raw)
        criterion["member"] = _text(data, "member") != "0"
        if criterion["audience_id"] is None and not refresh:
            errors["audience_id"] = "Pick an audience."
    elif kind == "consent":
        regulation = _text(data, "regulation")
        criterion["regulation"] = regulation if regulation in ("gdpr", "ccpa") else "gdpr"
        if criterion["regulation"] == "gdpr":
            criterion["purpose"] = _text(data, "purpose")
            if not criterion["purpose"] and not refresh:
                errors["purpose"] = "Name the GDPR purpose."
        criterion["consented"] = _text(data, "consented") != "0"
        _workspace(data, criterion, multi)
    elif kind == "device":
        field_name = _text(data, "field")
        criterion["field"] = field_name if field_name in DEVICE_FIELDS else "platform"
        detected = {"": "number"} if _text(data, "op") in NUMBER_OPS else {}
        condition = read_condition(data, "", errors, detected=detected, refresh=refresh)
        condition.pop("key", None)
        condition.pop("data_type", None)
        if condition["op"] not in DEVICE_OPS:
            condition["op"] = "equals"
        criterion.update(condition)
        errors.pop("key", None)
        _workspace(data, criterion, multi)
    elif kind == "first_seen":
        criterion["time"] = read_time(data, "time-", errors)
        _workspace(data, criterion, multi)
    elif kind == "location":
        criterion.update(_read_location(data, errors, refresh))
        _workspace(data, criterion, multi)
    elif kind == "identity":
        identity_type = _text(data, "identity_type")
        criterion["identity_type"] = identity_type if identity_type in IDENTITY_TYPES else "email"
        op = _text(data, "op")
        criterion["op"] = op if op in STRING_OPS else "exists"
        if criterion["op"] not in NO_VALUE_OPS:
            criterion["value"] = _text(data, "value")
            if not criterion["value"] and not refresh:
                errors["value"] = "Enter a value."
        _workspace(data, criterion, multi)
    elif kind == "attribution":
        criterion["event"] = draft.get("event", "install")
        for part in ("publisher", "campaign"):
            op = _text(data, f"{part}-op")
            if op in ATTRIBUTION_OPS:
                criterion[part] = {"op": op}
                if op not in NO_VALUE_OPS:
                    criterion[part]["value"] = _text(data, f"{part}-value")
                    if not criterion[part]["value"] and not refresh:
                        errors[f"{part}-value"] = "Enter a value."
        _workspace(data, criterion, multi)
    return criterion, errors


def read_frequency(data: QueryDict, errors: dict[str, str]) -> dict[str, Any]:
    op = _text(data, "freq-op")
    op = op if op in FREQUENCY_LABELS else "gt"
    raw = _text(data, "freq-value")
    value = _whole(raw)
    if value is None or value < 0:
        errors["freq-value"] = "Enter a whole number of events."
    frequency: dict[str, Any] = {"op": op, "value": raw if value is None else value}
    if op == "between":
        raw2 = _text(data, "freq-value2")
        value2 = _whole(raw2)
        if value2 is None:
            errors["freq-value2"] = "Enter a whole number of events."
        frequency["value2"] = raw2 if value2 is None else value2
    return frequency


def _read_location(data: QueryDict, errors: dict[str, str], refresh: bool) -> dict[str, Any]:
    mode = _text(data, "mode")
    if mode == "within":
        found: dict[str, Any] = {"mode": "within"}
        for name, label in (("latitude", "latitude"), ("longitude", "longitude"), ("radius_km", "distance")):
            raw = _text(data, name)
            number = _number(raw)
            if number is None and not refresh:
                errors[name] = f"Enter the {label} as a number."
            found[name] = float(number) if number is not None else raw
        return found
    field_name = _text(data, "field")
    value = _text(data, "value")
    if not value and not refresh:
        errors["value"] = "Enter a value."
    return {"mode": "equals", "field": field_name if field_name in LOCATION_FIELDS else "city", "value": value}


def engine_faults(audience: Audience, criterion: dict[str, Any]) -> dict[str, str]:
    """The engine's faults for one criterion, on the editor's fields (by field name)."""
    alone = {key: value for key, value in criterion.items() if key != "join"}
    _, faults = validate_definition(
        {"version": 1, "criteria": [alone]},
        account=audience.account,
        workspace_ids=list(audience.workspaces.values_list("pk", flat=True)),
        input_ids=list(audience.inputs.values_list("pk", flat=True)),
        audience_id=audience.pk,
        multi_workspace=audience.multi_workspace,
    )
    found: dict[str, str] = {}
    for fault in faults:
        path = fault["path"].removeprefix("criteria[0]").lstrip(".")
        found.setdefault(field_of(criterion, path), fault["message"])
    return found


def field_of(criterion: dict[str, Any], path: str) -> str:
    """The editor field that shows a fault at `path` (relative to the criterion)."""
    head, _, rest = path.partition(".")
    if head.startswith("attributes["):
        index = head[len("attributes[") : -1]
        return f"attr-{index}-{rest.split('.')[0].split('[')[0] or 'key'}".replace("data_type", "type")
    if head.startswith("frequency"):
        return "freq-value"
    if head.startswith("time"):
        return "time"
    if head in ("publisher", "campaign"):
        return f"{head}-value"
    if criterion.get("type") == "calculated_attribute" and head == "name":
        return "key"
    if head == "data_type":
        return "type"
    return head.split("[")[0] or "criterion"
