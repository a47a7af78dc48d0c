"""Hypothesis strategies: random definitions (every criterion type and operator) and random
profiles aimed at the edges: day boundaries, counts of zero, missing keys, null values,
wrong-typed values, unicode and case."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from audiences.criteria.definition import ALL_OPS, CRITERION_TYPES
from audiences.models.events import Tier
from tests.engine.world import NOW, Happened, Person, Row

DAY = dt.timedelta(days=1)
TINY = dt.timedelta(microseconds=1)

# -- moments: n days back from now and UTC midnights of the windows' days, each nudged by a
# microsecond either way, so windows are probed exactly at their edges.
AGES = [1, 3, 4, 6, 7, 30]
KEY_DAYS = [NOW.date() + n * DAY for n in (1, 0, -1, -3, -5, -6, -30)]
_edges = [NOW, NOW + dt.timedelta(hours=5), NOW - dt.timedelta(hours=12)]
for base in [NOW - age * DAY for age in AGES] + [dt.datetime.combine(d, dt.time(0), tzinfo=dt.UTC) for d in KEY_DAYS]:
    _edges += [base - TINY, base, base + TINY]
EDGES = sorted(set(_edges))

moments = st.one_of(
    st.sampled_from(EDGES),
    st.datetimes(
        min_value=(NOW - 35 * DAY).replace(tzinfo=None),
        max_value=(NOW + DAY).replace(tzinfo=None),
        timezones=st.just(dt.UTC),
    ),
)
days = st.one_of(st.sampled_from(KEY_DAYS), st.integers(min_value=-36, max_value=1).map(lambda n: NOW.date() + n * DAY))

# -- JSON values ---------------------------------------------------------------------------------
WORDS = [
    "blue",
    "Blue",
    "BLUE SHIRT",
    "blue shirt",
    "bl?e",
    "bl*e",
    "Chicago",
    "chicago",
    "Chicago Cubs",
    "Premium",
    "premium",
    "PREMIUM ",
    "",
    "École",
    "école",
    "ÉCOLE",
    "Straße",
    "STRASSE",
    "ΣΟΦΊΑ",
    "σοφία",
    "İstanbul",
    "istanbul",
    "日本",
    "100%",
    "a_b",
    "axb",
    "a\\b",
    "tab\there",
    "line\nbreak",
    "true",
    "FALSE",
    "yes",
    "42",
    "42.0",
    "-1e3",
    " 5",
    "5 ",
    "0x10",
    "1,000",
    ".5",
    "7.",
    "2018-09-03",
    "2018-09-04",
    "2018-09-05T13:00:00Z",
    "2018-09-09T12:59:59.999999+00:00",
    "2018-09-09 00:00",
    "2018-09-08T00:00:00Z",
    "2018-09-08T23:30:00-05:00",
    "2018-09-09T02:00+0300",
    "2018-02-30",
    "2018-13-01",
    "2018-09-09T24:00:00",
    "9999-12-31T23:00:00-05:00",
    "0999-01-01",
    "Paris",
    "paris",
    "60601",
    "Destination Intro",
]
text = st.one_of(st.sampled_from(WORDS), st.text(alphabet="aAbBéÉ?*%_ ß1.", max_size=6))
numbers = st.one_of(
    st.sampled_from([0, 1, 2, 5, 42, 1.5, -0.0, 0.1, 2.5, 1e20, 1.5e-7, 99.99, -3.25]),
    st.integers(min_value=-5, max_value=50),
    st.floats(min_value=-1000, max_value=1000, allow_nan=False, allow_infinity=False),
)
scalars = st.one_of(text, numbers, st.booleans(), st.none())
json_values = st.one_of(
    scalars,
    st.lists(st.one_of(text, numbers, st.booleans(), st.none()), max_size=4),
    st.just({"nested": "blue"}),
)
KEYS = ["status", "Status", "color", "score", "tags", "birthday", "$city", "$zip", "gone"]


def objects(keys: list[str] = KEYS) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(keys), json_values, max_size=4)


# -- profiles, aimed at the definitions they are checked against -----------------------------
# Random data rarely lands exactly on a window's edge or differs from a condition's value only
# in case, so profiles draw half their keys, values, moments and event kinds from `Hints`
# gathered from the definitions: edges +- 1 microsecond, case variants, near-miss numbers.
IDENTITY_TYPES = ["email", "customerid", "ios_advertising_id"]
EVENT_TYPES = [
    "custom_event",
    "custom_event",
    "commerce_event",
    "screen_view",
    "session_start",
    "crash_report",
    "install",
    "upgrade",
    "uninstall",
    "attribution",
]
EVENT_NAMES = ["Play Video", "add_to_cart", "purchase", "play video", "Home", ""]
CALCULATED = ["ltv", "visits"]


coordinates = st.one_of(
    st.none(),
    st.tuples(st.floats(min_value=41.0, max_value=42.5), st.floats(min_value=-88.5, max_value=-87.0)),
    st.tuples(st.floats(min_value=-90, max_value=90), st.floats(min_value=-180, max_value=180)),
)


@dataclass
class Hints:
    """What the definitions look at: keys with the values that would just match or just miss."""

    attributes: dict[str, list[Any]] = field(default_factory=dict)  # user attributes
    event_attributes: dict[str, list[Any]] = field(default_factory=dict)
    device: dict[str, list[Any]] = field(default_factory=dict)
    calculated: dict[str, list[Any]] = field(default_factory=dict)
    identities: dict[str, list[Any]] = field(default_factory=dict)
    attribution: dict[str, list[Any]] = field(default_factory=dict)
    moments: list[dt.datetime] = field(default_factory=list)
    first_seen: list[dt.datetime] = field(default_factory=list)
    event_types: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    purposes: list[str] = field(default_factory=list)
    places: list[tuple[float, float]] = field(default_factory=list)
    templates: list[Template] = field(default_factory=list)


@dataclass
class Template:
    """Events an event criterion looks for: its kind and name, its window's edges, and the
    values its attribute conditions would just match or just miss."""

    event_type: str
    name: str | None
    moments: list[dt.datetime]
    attributes: dict[str, list[Any]] = field(default_factory=dict)


def midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC)


def edges_of(window: dict[str, Any], now: dt.datetime) -> list[dt.datetime]:
    ((form, value),) = window.items()
    if form == "within_days":
        bases = [now - value * DAY, now]
    elif form == "between_days_ago":
        bases = [now - value[0] * DAY, now - value[1] * DAY]
    elif form == "between_dates":
        bases = [midnight(dt.date.fromisoformat(value[0])), midnight(dt.date.fromisoformat(value[1])) + DAY]
    else:
        bases = [midnight(dt.date.fromisoformat(value)), midnight(dt.date.fromisoformat(value)) + DAY]
    # The exact edge twice: an inclusive/exclusive mistake shows only there.
    return [base + k * TINY for base in bases for k in (-1, 0, 0, 1)]


def variants(value: Any) -> list[Any]:
    """Values a condition on `value` could just match or just miss."""
    if isinstance(value, bool):
        return [value, str(value).lower(), str(value).upper(), not value]
    if isinstance(value, int | float):
        return [value, str(value), value + 1, value - 1, float(value), -value, [value]]
    if not isinstance(value, str):
        return []
    plain = value.replace("*", "ab").replace("?", "x")
    return [
        value,
        value.upper(),
        value.lower(),
        value.title(),
        value.swapcase(),
        plain,
        plain.upper(),
        f"{plain} shirt",
        f"my {plain.swapcase()}",
        value[:-1],
        [plain.upper(), "other"],
        [f"x{plain}"],
        None,
    ]


def condition_values(found: dict[str, Any], now: dt.datetime) -> list[Any]:
    if found.get("op") == "time":
        values: list[Any] = []
        for moment in edges_of(found["value"], now):
            values += [moment.isoformat(), moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")]
            if moment.time() == dt.time(0):
                values.append(moment.date().isoformat())
        return values
    return [v for name in ("value", "value2") if name in found for v in variants(found[name])] or [True, "x", 1]


def hints_of(definitions: list[list[dict[str, Any]]], now: dt.datetime) -> Hints:
    from audiences.criteria.definition import DEVICE_KEYS, LOCATION_KEYS

    hints = Hints()

    def add(mapping: dict[str, list[Any]], key: str, values: list[Any]) -> None:
        mapping.setdefault(key, []).extend(values)

    for criteria in definitions:
        for found in criteria:
            kind = found["type"]
            if "time" in found:
                hints.moments += edges_of(found["time"], now)
            if kind == "event":
                hints.event_types.append(found["event_type"])
                hints.names.append(found.get("name", ""))
                template = Template(
                    found["event_type"], found.get("name"), edges_of(found.get("time", {"within_days": 30}), now)
                )
                for item in found["attributes"]:
                    add(hints.event_attributes, item["key"], condition_values(item, now))
                    add(template.attributes, item["key"], condition_values(item, now))
                hints.templates.append(template)
            elif kind == "cart_abandonment":
                wait = dt.timedelta(hours=found["wait_hours"])
                hints.event_types.append("commerce_event")
                hints.names += ["add_to_cart", "purchase"]
                edges = edges_of(found.get("time", {"within_days": 30}), now)
                edges += [now - wait + k * TINY for k in (-1, 0, 1)] + [now - 2 * wait + k * TINY for k in (-1, 0, 1)]
                hints.moments += edges
                hints.templates += [Template("commerce_event", name, edges) for name in ("add_to_cart", "purchase")]
            elif kind in ("user_attribute", "user_attribute_list"):
                add(hints.attributes, found["key"], condition_values(found, now))
            elif kind == "device":
                add(hints.device, DEVICE_KEYS[found["field"]], condition_values(found, now))
            elif kind == "calculated_attribute":
                add(hints.calculated, found["name"], condition_values(found, now))
            elif kind == "identity":
                texts = [v for v in condition_values(found, now) if isinstance(v, str)] or ["x@example.com"]
                add(hints.identities, found["identity_type"], texts)
            elif kind == "location" and found["mode"] == "equals":
                add(hints.attributes, LOCATION_KEYS[found["field"]], variants(found["value"]))
            elif kind == "location":
                lat, lon, km = found["latitude"], found["longitude"], found["radius_km"]
                hints.places += [(lat, lon), (lat + km / 111.2, lon), (lat - 0.999 * km / 111.2, lon)]
            elif kind == "attribution":
                for name in ("publisher", "campaign"):
                    if name in found:
                        add(hints.attribution, name, condition_values(found[name], now))
            elif kind == "first_seen":
                hints.first_seen += edges_of(found["time"], now)
            elif kind == "consent":
                hints.purposes.append(found.get("purpose", "data_sale_opt_out"))
    return hints


# Strategies are built once here and hinted values are picked by index: building strategies
# inside every draw costs more than the database work of an example.
coin = st.booleans()
workspace_of_event = st.sampled_from([0, 0, 1, 2])
input_of_event = st.integers(min_value=0, max_value=1)
tiers = st.sampled_from([Tier.LIVE, Tier.LIVE, Tier.LIVE, Tier.HISTORICAL])
event_types = st.sampled_from(EVENT_TYPES)
event_names = st.sampled_from(EVENT_NAMES)
purposes = st.sampled_from(["marketing", "analytics", "data_sale_opt_out"])
consent_states = st.one_of(
    st.builds(lambda c: {"consented": c, "timestamp_unixtime_ms": 1}, st.booleans()),
    st.just({"consented": "true"}),
    st.just({}),
)
devices = st.dictionaries(
    st.sampled_from(["platform", "os_version", "device_model", "network_carrier"]),
    st.one_of(st.sampled_from(["iOS", "Android", "17.1", "14", "Verizon"]), scalars),
    max_size=3,
)
attributions = st.one_of(st.none(), st.fixed_dictionaries({}, optional={"publisher": scalars, "campaign": scalars}))
user_objects = objects()
identities = st.tuples(st.sampled_from([0, 1, 2]), st.sampled_from(IDENTITY_TYPES), st.sampled_from(WORDS[:20]))
calculated_values = st.tuples(st.sampled_from([0, 1, 2]), st.sampled_from(CALCULATED), json_values)
workspace_sets = st.sets(st.sampled_from([0, 1, 2]), max_size=3)
memberships = st.lists(st.sampled_from([0, 1]), max_size=2)


def pick(draw: st.DrawFn, hinted: list[Any], general: st.SearchStrategy) -> Any:
    """Half the time one of the hinted values, else anything the general strategy gives."""
    if hinted and draw(coin):
        return hinted[draw(st.integers(min_value=0, max_value=len(hinted) - 1))]
    return draw(general)


def aimed_object(draw: st.DrawFn, hinted: dict[str, list[Any]], general: st.SearchStrategy) -> Any:
    """A random object, then each hinted key set (or not) to one of its hinted values."""
    found = draw(general)
    if not isinstance(found, dict):
        return found
    for key, values in hinted.items():
        if draw(coin):
            found[key] = values[draw(st.integers(min_value=0, max_value=len(values) - 1))]
    return found


def _first_seen(draw: st.DrawFn, hints: Hints) -> dt.datetime:
    if hints.first_seen and draw(coin):
        return hints.first_seen[draw(st.integers(min_value=0, max_value=len(hints.first_seen) - 1))]
    return pick(draw, hints.moments, moments)


def row(draw: st.DrawFn, workspace: int, hints: Hints) -> Row:
    where = pick(draw, hints.places, coordinates)
    consent: dict[str, Any] = {}
    for regulation in ("gdpr", "ccpa"):
        if draw(coin):
            consent[regulation] = {pick(draw, hints.purposes, purposes): draw(consent_states)}
    return Row(
        workspace=workspace,
        first_seen=_first_seen(draw, hints),
        user_attributes=aimed_object(draw, hints.attributes, user_objects),
        consent=consent,
        device=aimed_object(draw, hints.device, devices),
        latitude=where[0] if where else None,
        longitude=where[1] if where else None,
        install=aimed_object(draw, hints.attribution, attributions),
        uninstall=aimed_object(draw, hints.attribution, attributions),
    )


def happening(draw: st.DrawFn, hints: Hints) -> Happened:
    if hints.templates and draw(coin):
        template = hints.templates[draw(st.integers(min_value=0, max_value=len(hints.templates) - 1))]
        return Happened(
            workspace=draw(workspace_of_event),
            input=draw(input_of_event),
            event_type=template.event_type,
            name=template.name if template.name is not None else draw(event_names),
            timestamp=pick(draw, template.moments, moments),
            attributes=aimed_object(draw, template.attributes, user_objects),
            tier=draw(tiers),
        )
    return Happened(
        workspace=draw(workspace_of_event),
        input=draw(input_of_event),
        event_type=pick(draw, hints.event_types, event_types),
        name=pick(draw, hints.names, event_names),
        timestamp=pick(draw, hints.moments, moments),
        attributes=aimed_object(draw, hints.event_attributes, user_objects),
        tier=draw(tiers),
    )


def person(draw: st.DrawFn, hints: Hints) -> Person:
    found = [draw(identities) for _ in range(draw(st.integers(min_value=0, max_value=2)))]
    for kind, values in hints.identities.items():
        if draw(coin):
            found.append((draw(workspace_of_event), kind, pick(draw, values, st.just("x"))))
    calculated = [draw(calculated_values) for _ in range(draw(st.integers(min_value=0, max_value=2)))]
    for name, values in hints.calculated.items():
        if draw(coin):
            calculated.insert(0, (draw(workspace_of_event), name, pick(draw, values, json_values)))
    return Person(
        rows=[row(draw, w, hints) for w in sorted(draw(workspace_sets))],
        identities=found,
        events=[happening(draw, hints) for _ in range(draw(st.integers(min_value=0, max_value=8)))],
        memberships=draw(memberships),
        calculated=calculated,
    )


# -- definitions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Focus:
    """Operators and time forms to draw half the time: aims the search at one feature."""

    ops: tuple[str, ...] = ()
    forms: tuple[str, ...] = ()

    def op(self, draw: st.DrawFn, ops: tuple[str, ...] | list[str]) -> str:
        wanted = [op for op in self.ops if op in ops]
        if wanted and draw(coin):
            return draw(st.sampled_from(wanted))
        return draw(st.sampled_from(ops))


NO_FOCUS = Focus()
FORMS = ("within_days", "between_days_ago", "before", "after", "on", "between_dates")


@st.composite
def windows(draw: st.DrawFn, focus: Focus = NO_FOCUS) -> dict[str, Any]:
    form = draw(st.sampled_from(focus.forms)) if focus.forms and draw(coin) else draw(st.sampled_from(FORMS))
    if form == "within_days":
        return {"within_days": draw(st.one_of(st.sampled_from(AGES), st.integers(min_value=1, max_value=35)))}
    if form == "between_days_ago":
        ages = st.one_of(st.sampled_from([0, *AGES]), st.integers(min_value=0, max_value=35))
        pair = sorted(draw(st.lists(ages, min_size=2, max_size=2)), reverse=True)
        return {"between_days_ago": pair}
    if form == "between_dates":
        pair = sorted(draw(st.lists(days, min_size=2, max_size=2)))
        return {"between_dates": [d.isoformat() for d in pair]}
    return {form: draw(days).isoformat()}


@st.composite
def condition_fields(draw: st.DrawFn, ops: tuple[str, ...] = ALL_OPS, focus: Focus = NO_FOCUS) -> dict[str, Any]:
    from audiences.criteria.values import as_boolean, as_number

    op = focus.op(draw, ops)
    fields: dict[str, Any] = {"op": op}
    if op in ("gt", "gte", "lt", "lte"):
        fields["value"] = draw(numbers)
    elif op == "between":
        low, high = sorted(draw(st.lists(numbers, min_size=2, max_size=2)))
        fields["value"], fields["value2"] = low, high
    elif op == "time":
        fields["value"] = draw(windows(focus))
    elif op in ("includes", "not_includes", "partial_match", "contains", "not_contains", "pattern"):
        fields["value"] = draw(st.one_of(text, numbers))
    elif op in ("equals", "not_equals"):
        value = draw(st.one_of(text, numbers, st.booleans()))
        fields["value"] = value
        allowed = [None, "string", "date", "list"]
        if as_number(value) is not None:
            allowed.append("number")
        if as_boolean(value) is not None:
            allowed.append("boolean")
        data_type = draw(st.sampled_from(allowed))
        if data_type:
            fields["data_type"] = data_type
    return fields


@st.composite
def criteria(draw: st.DrawFn, kind: str, focus: Focus = NO_FOCUS) -> dict[str, Any]:
    maybe_workspace = st.sampled_from([None, None, 0, 1])
    if kind == "event":
        found: dict[str, Any] = {"type": "event", "event_type": draw(st.sampled_from(EVENT_TYPES))}
        name = draw(st.sampled_from([None, None, *EVENT_NAMES[:4]]))
        if name is not None:
            found["name"] = name
        found["attributes"] = [
            {"key": draw(st.sampled_from(KEYS)), **draw(condition_fields(focus=focus))}
            for _ in range(draw(st.integers(min_value=0, max_value=2)))
        ]
        if draw(st.booleans()):
            op = focus.op(draw, ["gt", "gte", "lt", "lte", "equals", "between"])
            low, high = sorted(draw(st.lists(st.integers(min_value=0, max_value=3), min_size=2, max_size=2)))
            found["frequency"] = {"op": op, "value": low} | ({"value2": high} if op == "between" else {})
        if draw(st.booleans()):
            found["time"] = draw(windows(focus))
        found["_inputs"] = draw(st.sampled_from([None, "first"]))
    elif kind == "cart_abandonment":
        found = {"type": "cart_abandonment", "wait_hours": draw(st.sampled_from([1, 24, 72, 200]))}
        if draw(st.booleans()):
            found["time"] = draw(windows(focus))
    elif kind == "user_attribute":
        found = {"type": "user_attribute", "key": draw(st.sampled_from(KEYS)), **draw(condition_fields(focus=focus))}
    elif kind == "user_attribute_list":
        found = {
            "type": "user_attribute_list",
            "key": draw(st.sampled_from(KEYS)),
            **draw(condition_fields(("includes", "not_includes", "partial_match"), focus)),
        }
    elif kind == "audience":
        found = {"type": "audience", "audience_id": draw(st.sampled_from([0, 1])), "member": draw(st.booleans())}
    elif kind == "calculated_attribute":
        found = {
            "type": "calculated_attribute",
            "name": draw(st.sampled_from(CALCULATED)),
            **draw(condition_fields(focus=focus)),
        }
    elif kind == "consent":
        regulation = draw(st.sampled_from(["gdpr", "ccpa"]))
        found = {"type": "consent", "regulation": regulation, "consented": draw(st.booleans())}
        if regulation == "gdpr":
            found["purpose"] = draw(st.sampled_from(["marketing", "analytics"]))
    elif kind == "device":
        ops = ("equals", "not_equals", "contains", "not_contains", "pattern", "exists", "not_exists", "gt", "lte")
        found = {
            "type": "device",
            "field": draw(st.sampled_from(["platform", "device_model", "os", "os_version", "carrier"])),
            **draw(condition_fields(ops, focus)),
        }
    elif kind == "first_seen":
        found = {"type": "first_seen", "time": draw(windows(focus))}
    elif kind == "location":
        if draw(st.booleans()):
            found = {
                "type": "location",
                "mode": "equals",
                "field": draw(st.sampled_from(["city", "zip"])),
                "value": draw(st.sampled_from(["Chicago", "chicago", "60601", "Paris", "İstanbul"])),
            }
        else:
            found = {
                "type": "location",
                "mode": "within",
                "latitude": draw(st.floats(min_value=41.0, max_value=42.5)),
                "longitude": draw(st.floats(min_value=-88.5, max_value=-87.0)),
                "radius_km": draw(st.sampled_from([1.0, 25.0, 80.0, 500.0])),
            }
    elif kind == "identity":
        ops = ("exists", "not_exists", "equals", "not_equals", "contains", "not_contains", "pattern")
        found = {
            "type": "identity",
            "identity_type": draw(st.sampled_from(IDENTITY_TYPES)),
            **draw(condition_fields(ops, focus)),
        }
        found.pop("data_type", None)
    else:
        found = {"type": "attribution", "event": draw(st.sampled_from(["install", "uninstall"]))}
        for name in ("publisher", "campaign"):
            if draw(st.booleans()):
                condition = draw(
                    condition_fields(
                        ("equals", "not_equals", "contains", "not_contains", "pattern", "exists", "not_exists"), focus
                    )
                )
                condition.pop("data_type", None)
                found[name] = condition
    if kind not in ("audience",) and draw(st.booleans()):
        workspace = draw(maybe_workspace)
        if workspace is not None:
            found["_workspace"] = workspace
    return found


@st.composite
def definitions(draw: st.DrawFn, most: int = 4, focus: Focus = NO_FOCUS) -> list[dict[str, Any]]:
    """Criteria still holding indexes (`_workspace`, `_inputs`, audience index), bound to a
    world's ids by `bind`."""
    count = draw(st.integers(min_value=1, max_value=most))
    found = []
    for index in range(count):
        criterion = draw(criteria(draw(st.sampled_from(CRITERION_TYPES)), focus))
        if index:
            criterion["join"] = draw(st.sampled_from(["and", "or", "exclude"]))
        found.append(criterion)
    return found


@st.composite
def scopes(draw: st.DrawFn) -> dict[str, Any]:
    multi = draw(st.booleans())
    workspaces = [0, 1] if multi else [0]
    inputs = draw(st.sets(st.sampled_from([(w, i) for w in workspaces for i in (0, 1)]), min_size=1))
    return {"multi": multi, "workspaces": workspaces, "inputs": sorted(inputs)}


MOMENTS = [NOW, midnight(NOW.date()), midnight(NOW.date()) - TINY]


@st.composite
def examples(
    draw: st.DrawFn, definitions_per_example: int = 5, criteria_per_definition: int = 3, focus: Focus = NO_FOCUS
) -> dict[str, Any]:
    """Definitions first, then profiles aimed at them."""
    now = draw(st.sampled_from(MOMENTS))
    found = [draw(definitions(criteria_per_definition, focus)) for _ in range(definitions_per_example)]
    hints = hints_of(found, now)
    period = draw(periods(now))
    # Events on both sides of the date range's edges (used when the example is standard).
    edges = [dt.datetime.combine(period[0], dt.time(0), tzinfo=dt.UTC)] if period[0] else []
    edges += [dt.datetime.combine(period[1] + DAY, dt.time(0), tzinfo=dt.UTC)] if period[1] else []
    nudged = [edge + k * TINY for edge in edges for k in (-1, 0, 1)]
    hints.moments += nudged
    for template in hints.templates:
        template.moments += nudged
    return {
        "now": now,
        "definitions": found,
        "people": [person(draw, hints) for _ in range(draw(st.integers(min_value=1, max_value=5)))],
        "scope": draw(scopes()),
        "standard": draw(st.booleans()),
        "period": period,
    }


@st.composite
def periods(draw: st.DrawFn, now: dt.datetime) -> tuple[dt.date | None, dt.date | None]:
    """A standard audience's date range around `now`: open or closed on either side (UTC days,
    both included), often cutting through the events' days."""
    today = now.date()
    # Within the days the world has partitions for (FIRST_DAY .. LAST_DAY).
    first = draw(st.none() | st.integers(min_value=0, max_value=38).map(lambda n: today - n * DAY))
    last = draw(st.none() | st.integers(min_value=-1, max_value=38).map(lambda n: today - n * DAY))
    if first is not None and last is not None and last < first:
        first, last = last, first
    if first is None:
        last = None  # no start means all available data
    return first, last
