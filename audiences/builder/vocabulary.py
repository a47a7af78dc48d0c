"""The builder's words: the Add Criteria menu, labels, operators by data type, defaults."""

from __future__ import annotations

import json
from typing import Any, get_args

from audiences.criteria.definition import CRITERION_TYPES
from audiences.ingestion.wire import DEVICE_IDENTITY_TYPES, USER_IDENTITY_TYPES, ProductAction

# ---------------------------------------------------------------------------------------
# The Add Criteria menu, grouped as marketers know it: event-based kinds first, then the
# profile-based Users and Attribution groups.

MENU: list[tuple[str, list[tuple[str, str]]]] = [
    ("Events", [("event:custom_event", "Custom events"), ("event:attribution", "Attribution events")]),
    ("Ecommerce", [("event:commerce_event", "Product actions"), ("cart_abandonment", "Cart abandonment")]),
    ("Crashes", [("event:crash_report", "Crashes")]),
    ("Installs", [("event:install", "Installs")]),
    ("Uninstalls", [("event:uninstall", "Uninstalls")]),
    ("Sessions", [("event:session_start", "Session starts")]),
    ("Upgrades", [("event:upgrade", "Upgrades")]),
    ("Screen views", [("event:screen_view", "Screen views")]),
    (
        "Users",
        [
            ("audience", "Audience membership"),
            ("calculated_attribute", "Calculated attributes"),
            ("consent", "Consent"),
            ("device", "Device, OS, carrier"),
            ("first_seen", "First seen"),
            ("location", "Location"),
            ("identity", "User and device identities"),
            ("user_attribute", "User attributes"),
            ("user_attribute_list", "User attribute lists"),
        ],
    ),
    (
        "Attribution",
        [("attribution:install", "Install attribution"), ("attribution:uninstall", "Uninstall attribution")],
    ),
]

EVENT_LABELS = {
    "custom_event": "Custom event",
    "attribution": "Attribution event",
    "commerce_event": "Product action",
    "crash_report": "Crash",
    "install": "Install",
    "uninstall": "Uninstall",
    "session_start": "Session start",
    "upgrade": "Upgrade",
    "screen_view": "Screen view",
}
# What the name of an event means for each event type (the engine matches it exactly).
NAME_LABELS = {
    "custom_event": "Event name",
    "attribution": "Attribution event name",
    "commerce_event": "Product action",
    "crash_report": "Crash class (blank: any crash)",
    "screen_view": "Screen name",
    "install": "Name (blank: any install)",
    "uninstall": "Name (blank: any uninstall)",
    "session_start": "Name (blank: any session)",
    "upgrade": "Name (blank: any upgrade)",
}
NAME_REQUIRED = {"custom_event", "attribution", "commerce_event", "screen_view"}
# The product actions the Events API accepts, and every criterion type of DEFINITION.md
# (`event` covers all event types): one list each, where the contracts are defined.
PRODUCT_ACTIONS = [
    action for action in get_args(ProductAction.model_fields["action"].annotation) if action != "unknown"
]
CRITERION_KINDS = CRITERION_TYPES
TYPE_LABELS = {
    "cart_abandonment": "Cart abandonment",
    "user_attribute": "User attribute",
    "user_attribute_list": "User attribute list",
    "audience": "Audience membership",
    "calculated_attribute": "Calculated attribute",
    "consent": "Consent",
    "device": "Device",
    "first_seen": "First seen",
    "location": "Location",
    "identity": "Identity",
    "attribution": "Attribution",
}

# ---------------------------------------------------------------------------------------
# Operators offered by data type (the engine accepts any operator on any attribute; the
# editor offers the ones that make sense for what the catalogue detected).

OP_LABELS = {
    "equals": "Exact match",
    "not_equals": "Does not match",
    "contains": "Contains",
    "not_contains": "Does not contain",
    "pattern": "Pattern",
    "exists": "Exists",
    "not_exists": "Does not exist",
    "gt": "Greater than",
    "gte": "At least",
    "lt": "Less than",
    "lte": "At most",
    "between": "Between",
    "is_true": "Is true",
    "is_false": "Is false",
    "includes": "Includes",
    "not_includes": "Does not include",
    "partial_match": "Partial match",
    "time": "In time range",
}
OPS_BY_TYPE = {
    "string": ["equals", "not_equals", "contains", "not_contains", "pattern", "exists", "not_exists"],
    "number": ["equals", "not_equals", "gt", "gte", "lt", "lte", "between", "exists", "not_exists"],
    "boolean": ["is_true", "is_false", "exists", "not_exists"],
    "date": ["time", "exists", "not_exists"],
    "list": ["includes", "not_includes", "partial_match", "exists", "not_exists"],
}
DATA_TYPES = [
    ("string", "Abc", "Text"),
    ("number", "123", "Number"),
    ("date", "Date", "Date"),
    ("boolean", "T/F", "Boolean"),
    ("list", "[ ]", "List"),
]
STRING_OPS = ["equals", "not_equals", "contains", "not_contains", "pattern", "exists", "not_exists"]
DEVICE_OPS = [*STRING_OPS, "gt", "gte", "lt", "lte", "between"]
ATTRIBUTION_OPS = ["equals", "not_equals", "contains", "not_contains", "pattern", "exists", "not_exists"]
FREQUENCY_LABELS = {
    "gt": "More than",
    "gte": "At least",
    "lt": "Fewer than",
    "lte": "At most",
    "equals": "Exactly",
    "between": "Between",
}
TIME_MODES = {
    "within_days": "In the last",
    "between_days_ago": "Between days ago",
    "before": "Before",
    "after": "After",
    "on": "On",
    "between_dates": "Between dates",
}
DEVICE_FIELDS = {
    "platform": "Platform",
    "os": "Operating system",
    "os_version": "OS version",
    "device_model": "Device model",
    "carrier": "Carrier",
}
LOCATION_FIELDS = {"city": "City", "state": "State", "zip": "Zip code", "dma": "DMA"}
IDENTITY_TYPES = [*USER_IDENTITY_TYPES, *DEVICE_IDENTITY_TYPES]
JOINS = {"and": "And", "or": "Or", "exclude": "Exclude"}
GENERAL_FIELDS = ("criterion", "workspace_id", "event_type", "input_ids", "join", "event")
# Editors that list every fault next to their one row of fields.
ONE_ROW_EDITORS = ("user_attribute_list", "audience", "consent", "device", "location", "identity")
DEFAULT_FREQUENCY = {"op": "gt", "value": 0}
DEFAULT_TIME = {"within_days": 30}
# Standard audiences: an event criterion without a time of its own covers the whole date range.
RANGE_MODE = {"range": "In the date range"}


def new_criterion(key: str, *, standard: bool = False) -> dict[str, Any] | None:
    """A fresh criterion for a menu entry, with the defaults a marketer expects (for a standard
    audience, events over its whole date range)."""
    kind, _, sub = key.partition(":")
    if kind == "event" and sub in EVENT_LABELS:
        fresh = {
            "type": "event",
            "event_type": sub,
            "name": "",
            "attributes": [],
            "frequency": dict(DEFAULT_FREQUENCY),
            "time": dict(DEFAULT_TIME),
        }
        if standard:
            del fresh["time"]
        return fresh
    if kind == "attribution" and sub in ("install", "uninstall"):
        return {"type": "attribution", "event": sub}
    fresh = {
        "cart_abandonment": {"type": "cart_abandonment", "wait_hours": 24, "time": dict(DEFAULT_TIME)},
        "user_attribute": {"type": "user_attribute", "key": "", "op": "equals", "value": ""},
        "user_attribute_list": {"type": "user_attribute_list", "key": "", "op": "includes", "value": ""},
        "audience": {"type": "audience", "audience_id": None, "member": True},
        "calculated_attribute": {"type": "calculated_attribute", "name": "", "op": "equals", "value": ""},
        "consent": {"type": "consent", "regulation": "gdpr", "purpose": "", "consented": True},
        "device": {"type": "device", "field": "platform", "op": "equals", "value": ""},
        "first_seen": {"type": "first_seen", "time": {"within_days": 7}},
        "location": {"type": "location", "mode": "equals", "field": "city", "value": ""},
        "identity": {"type": "identity", "identity_type": "email", "op": "exists"},
    }
    found = fresh.get(kind)
    return json.loads(json.dumps(found)) if found else None


def title_of(criterion: dict[str, Any]) -> str:
    if criterion.get("type") == "event":
        return EVENT_LABELS.get(str(criterion.get("event_type", "")), "Event")  # posted JSON may hold a list
    if criterion.get("type") == "attribution":
        return f"{str(criterion.get('event', '')).capitalize()} attribution"
    return TYPE_LABELS.get(str(criterion.get("type")), "Criterion")
