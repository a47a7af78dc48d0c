"""What a criterion editor shows: the catalogue's names and keys, conditions, time windows."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from audiences.builder.vocabulary import (
    ATTRIBUTION_OPS,
    DATA_TYPES,
    DEFAULT_FREQUENCY,
    DEFAULT_TIME,
    DEVICE_FIELDS,
    DEVICE_OPS,
    FREQUENCY_LABELS,
    GENERAL_FIELDS,
    IDENTITY_TYPES,
    JOINS,
    LOCATION_FIELDS,
    NAME_LABELS,
    ONE_ROW_EDITORS,
    OP_LABELS,
    OPS_BY_TYPE,
    PRODUCT_ACTIONS,
    RANGE_MODE,
    STRING_OPS,
    TIME_MODES,
    title_of,
)
from audiences.criteria.definition import BOOLEAN_OPS, LIST_OPS, NO_VALUE_OPS, NUMBER_OPS
from audiences.models import Audience, CatalogueAttribute, CatalogueEvent

# ---------------------------------------------------------------------------------------
# The workspace catalogue, read for the open editor only.


class Catalogue:
    """Event names and attribute keys (with data types) seen in the audience's workspaces."""

    LIMIT = 1000

    def __init__(self, workspace_ids: list[int]):
        self.workspace_ids = workspace_ids

    def event_names(self, event_type: str) -> list[str]:
        names = CatalogueEvent.objects.filter(workspace_id__in=self.workspace_ids, event_type=event_type)
        found = sorted(set(names.values_list("name", flat=True)[: self.LIMIT]))
        if event_type == "commerce_event":
            found = sorted(set(found) | set(PRODUCT_ACTIONS))
        return [name for name in found if name]

    def keys(self, event_type: str = "", event_name: str | None = "") -> dict[str, str]:
        """{key: data type}; keys whose type differs between workspaces or names count as text."""
        rows = CatalogueAttribute.objects.filter(workspace_id__in=self.workspace_ids, event_type=event_type)
        if event_name is not None:
            rows = rows.filter(event_name=event_name)
        found: dict[str, str] = {}
        for row in rows.only("key", "detected_type", "override_type")[: self.LIMIT]:
            kind = row.data_type
            found[row.key] = kind if found.get(row.key, kind) == kind else "string"
        return dict(sorted(found.items()))


# ---------------------------------------------------------------------------------------
# What the editor shows.


@dataclass
class TimeView:
    prefix: str
    mode: str
    days: Any = 30
    a: Any = ""
    b: Any = ""
    date: str = ""
    date2: str = ""
    error: str = ""
    modes: dict[str, str] = field(default_factory=lambda: TIME_MODES)

    @classmethod
    def of(
        cls, window: dict[str, Any] | None, prefix: str, errors: dict[str, str], *, standard: bool = False
    ) -> TimeView:
        """`standard`: an event criterion of a standard audience, which may have no time of its
        own (it then covers the audience's date range)."""
        if standard and not (isinstance(window, dict) and window):
            window = dict.fromkeys(RANGE_MODE)
        window = window if isinstance(window, dict) and window else dict(DEFAULT_TIME)
        mode = next(iter(window))
        value = window[mode]
        modes = {**RANGE_MODE, **TIME_MODES} if standard else TIME_MODES
        view = cls(prefix=prefix, mode=mode if mode in modes else "within_days", modes=modes)
        if mode == "within_days":
            view.days = value
        elif mode == "between_days_ago" and isinstance(value, list | tuple) and len(value) == 2:
            view.a, view.b = value
        elif mode == "between_dates" and isinstance(value, list | tuple) and len(value) == 2:
            view.date, view.date2 = value
        elif mode in ("before", "after", "on"):
            view.date = value
        local = [message for name, message in errors.items() if name.startswith(prefix) or name == prefix.rstrip("-")]
        view.error = " ".join(local)
        return view


@dataclass
class ConditionView:
    prefix: str
    key: str
    op: str
    value: Any
    value2: Any
    override: str
    detected: str
    ops: list[tuple[str, str]]
    time: TimeView | None
    errors: dict[str, str]
    keys_list: str = ""

    @property
    def data_type(self) -> str:
        return self.override or self.detected

    @property
    def type_badge(self) -> str:
        return next(badge for name, badge, _ in DATA_TYPES if name == self.data_type)

    @property
    def types(self) -> list[tuple[str, str, str]]:
        return DATA_TYPES

    @property
    def needs_value(self) -> bool:
        return self.op not in NO_VALUE_OPS and self.op != "time"

    @property
    def needs_value2(self) -> bool:
        return self.op == "between"

    @property
    def value_kind(self) -> str:
        return "number" if self.op in NUMBER_OPS or self.data_type == "number" else "text"


def condition_view(
    condition: dict[str, Any],
    prefix: str,
    errors: dict[str, str],
    detected: dict[str, str],
    *,
    key_name: str = "key",
    keys_list: str = "",
) -> ConditionView:
    key = str(condition.get(key_name) or "")
    override = condition.get("data_type") or ""
    op = condition.get("op") or "equals"
    kind = override or detected.get(key) or _implied(op)
    ops = OPS_BY_TYPE[kind] if op in OPS_BY_TYPE[kind] else [*OPS_BY_TYPE[kind], op]
    local = {name[len(prefix) :]: message for name, message in errors.items() if name.startswith(prefix)}
    value = condition.get("value")
    return ConditionView(
        prefix=prefix,
        key=key,
        op=op,
        value="" if value is None or isinstance(value, dict) else value,
        value2="" if condition.get("value2") is None else condition["value2"],
        override=override,
        detected=detected.get(key) or _implied(op),
        ops=[(name, OP_LABELS[name]) for name in ops],
        time=TimeView.of(value if op == "time" else None, f"{prefix}time-", errors) if op == "time" else None,
        errors=local,
        keys_list=keys_list,
    )


def _implied(op: str) -> str:
    if op in NUMBER_OPS:
        return "number"
    if op in BOOLEAN_OPS:
        return "boolean"
    if op in LIST_OPS:
        return "list"
    if op == "time":
        return "date"
    return "string"


@dataclass
class EditorView:
    """Everything the criterion editor template needs."""

    draft: dict[str, Any]
    index: int
    errors: dict[str, str]
    title: str
    conditions: list[ConditionView] = field(default_factory=list)
    condition: ConditionView | None = None
    time: TimeView | None = None
    frequency: dict[str, Any] | None = None
    event_names: list[str] = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=dict)
    name_label: str = ""
    workspaces: list[Any] = field(default_factory=list)
    audiences: list[Audience] = field(default_factory=list)
    choices: dict[str, Any] = field(default_factory=dict)

    @property
    def draft_json(self) -> str:
        return json.dumps(self.draft)

    @property
    def frequency_ops(self) -> dict[str, str]:
        return FREQUENCY_LABELS

    @property
    def joins(self) -> dict[str, str]:
        return JOINS

    @property
    def general_errors(self) -> list[str]:
        """Faults no single field shows (the criterion as a whole, its workspace or type)."""
        if self.draft.get("type") in ONE_ROW_EDITORS:
            return []
        return [message for name, message in self.errors.items() if name in GENERAL_FIELDS]

    @property
    def attribution_parts(self) -> list[dict[str, str]]:
        parts = []
        for name in ("publisher", "campaign"):
            condition = self.draft.get(name) or {}
            parts.append(
                {
                    "name": name,
                    "label": name.capitalize(),
                    "op": condition.get("op", ""),
                    "value": condition.get("value") or "",
                    "error": self.errors.get(f"{name}-value", ""),
                }
            )
        return parts


def editor_view(
    audience: Audience, draft: dict[str, Any], index: int, errors: dict[str, str], *, catalogue: Catalogue
) -> EditorView:
    kind = draft.get("type")
    view = EditorView(draft=draft, index=index, errors=errors, title=title_of(draft))
    if audience.multi_workspace and kind != "audience":
        view.workspaces = list(audience.workspaces.all())
    if kind == "event":
        event_type = draft.get("event_type", "custom_event")
        view.name_label = NAME_LABELS.get(event_type, "Name")
        view.event_names = catalogue.event_names(event_type)
        view.keys = catalogue.keys(event_type, draft.get("name") or None)
        view.conditions = [
            condition_view(condition, f"attr-{n}-", errors, view.keys, keys_list="event-keys")
            for n, condition in enumerate(draft.get("attributes") or [])
        ]
        view.frequency = dict(draft.get("frequency") or DEFAULT_FREQUENCY)
        view.time = TimeView.of(draft.get("time"), "time-", errors, standard=audience.kind == "standard")
    elif kind in ("cart_abandonment", "first_seen"):
        view.time = TimeView.of(draft.get("time"), "time-", errors)
    elif kind == "user_attribute":
        view.keys = catalogue.keys()
        view.condition = condition_view(draft, "", errors, view.keys, keys_list="user-keys")
    elif kind == "calculated_attribute":
        view.condition = condition_view(draft, "", errors, {}, key_name="name")
    elif kind == "user_attribute_list":
        view.keys = {key: kind for key, kind in catalogue.keys().items() if kind == "list"}
        view.choices = {"ops": {op: OP_LABELS[op] for op in LIST_OPS}}
    elif kind == "device":
        view.choices = {"fields": DEVICE_FIELDS, "ops": {op: OP_LABELS[op] for op in DEVICE_OPS}}
    elif kind == "location":
        view.choices = {"fields": LOCATION_FIELDS}
    elif kind == "identity":
        view.choices = {"types": IDENTITY_TYPES, "ops": {op: OP_LABELS[op] for op in STRING_OPS}}
    elif kind == "attribution":
        view.choices = {"ops": {op: OP_LABELS[op] for op in ATTRIBUTION_OPS}}
    elif kind == "audience":
        view.audiences = nestable_audiences(audience)
    return view


def nestable_audiences(audience: Audience) -> list[Audience]:
    """Audiences this one may use as a criterion: not itself, and only ones that nest none."""
    others = Audience.objects.filter(account=audience.account).exclude(pk=audience.pk).order_by("name")
    return [other for other in others if not _nests(other.definition)]


def _nests(definition: Any) -> bool:
    criteria = definition.get("criteria") if isinstance(definition, dict) else None
    return any(isinstance(c, dict) and c.get("type") == "audience" for c in criteria or ())
