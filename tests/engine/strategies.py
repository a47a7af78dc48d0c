"""Hypothesis strategies: random definitions (every criterion type and operator) and random
profiles aimed at the edges: day boundaries, counts of zero, missing keys, null values,
wrong-typed values, unicode and case."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from audiences.criteria.definition import ALL_OPS, CRITERION_TYPES
from audiences.models.events import Tier
from tests.engine.world import NOW, Happened, Person, Row

DAY = dt.timedelta(days=1)
TINY = dt.timedelta(microseconds=1)
MIDNIGHT = dt.datetime.combine(NOW.date(), dt.time(0), tzinfo=dt.UTC)

# -- moments: around now, n days back, and UTC midnights, each nudged by a microsecond --------
_edges = []
for days in range(0, 36):
    for base in (NOW - days * DAY, MIDNIGHT - (days - 1) * DAY):
        _edges += [base - TINY, base, base + TINY]
_edges += [NOW + dt.timedelta(hours=5), NOW - dt.timedelta(hours=12)]
EDGES = sorted(set(_edges))

moments = st.one_of(
    st.sampled_from(EDGES),
    st.datetimes(
        min_value=(NOW - 38 * DAY).replace(tzinfo=None),
        max_value=(NOW + DAY).replace(tzinfo=None),
        timezones=st.just(dt.UTC),
    ),
)
days = st.integers(min_value=-36, max_value=1).map(lambda n: NOW.date() + n * DAY)

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
    "2018-09-05T13:00:00Z",
    "2018-09-09T12:59:59.999999+00:00",
    "2018-09-09 00:00",
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
    st.integers(min_value=-5, max_value=50),
    st.sampled_from([0, 42, 1.5, -0.0, 0.1, 2.5, 1e20, 1.5e-7, 99.99, -3.25]),
    st.floats(min_value=-1000, max_value=1000, allow_nan=False, allow_infinity=False),
)
scalars = st.one_of(text, numbers, st.booleans(), st.none())
json_values = st.one_of(
    scalars,
    st.lists(st.one_of(text, numbers, st.booleans(), st.none()), max_size=4),
    st.just({"nested": "blue"}),
)
KEYS = ["status", "Status", "color", "age", "score", "tags", "birthday", "flag", "$city", "$zip", "gone"]


def objects(keys: list[str] = KEYS) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(keys), json_values, max_size=5)


# -- profiles ------------------------------------------------------------------------------------
IDENTITY_TYPES = ["email", "customerid", "ios_advertising_id"]
EVENT_TYPES = [
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
EVENT_NAMES = ["Play Video", "play video", "add_to_cart", "purchase", "Home", ""]
CALCULATED = ["ltv", "visits"]

consent_states = st.dictionaries(
    st.sampled_from(["gdpr", "ccpa"]),
    st.dictionaries(
        st.sampled_from(["marketing", "analytics", "data_sale_opt_out"]),
        st.one_of(
            st.builds(lambda c: {"consented": c, "timestamp_unixtime_ms": 1}, st.booleans()),
            st.just({"consented": "true"}),
            st.just({}),
        ),
        max_size=2,
    ),
    max_size=2,
)
devices = st.dictionaries(
    st.sampled_from(["platform", "os_version", "device_model", "network_carrier"]),
    st.one_of(st.sampled_from(["iOS", "ios", "Android", "17.1", "14", "iPhone15,2", "Verizon", "T-Mobile"]), scalars),
    max_size=4,
)
attributions = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {},
        optional={
            "publisher": st.one_of(st.sampled_from(["Facebook", "facebook ads", "Google"]), scalars),
            "campaign": st.one_of(st.sampled_from(["Summer", "summer sale", "Winter"]), scalars),
        },
    ),
)
coordinates = st.one_of(
    st.none(),
    st.tuples(st.floats(min_value=41.0, max_value=42.5), st.floats(min_value=-88.5, max_value=-87.0)),
    st.tuples(st.floats(min_value=-90, max_value=90), st.floats(min_value=-180, max_value=180)),
)


@st.composite
def rows(draw: st.DrawFn, workspace: int) -> Row:
    where = draw(coordinates)
    return Row(
        workspace=workspace,
        first_seen=draw(moments),
        user_attributes=draw(objects()),
        consent=draw(consent_states),
        device=draw(devices),
        latitude=where[0] if where else None,
        longitude=where[1] if where else None,
        install=draw(attributions),
        uninstall=draw(attributions),
    )


happenings = st.builds(
    Happened,
    workspace=st.sampled_from([0, 0, 1, 2]),
    input=st.integers(min_value=0, max_value=1),
    event_type=st.sampled_from(EVENT_TYPES),
    name=st.sampled_from(EVENT_NAMES),
    timestamp=moments,
    attributes=objects(),
    tier=st.sampled_from([Tier.LIVE, Tier.LIVE, Tier.LIVE, Tier.HISTORICAL]),
)


@st.composite
def people(draw: st.DrawFn) -> Person:
    workspaces = draw(st.sets(st.sampled_from([0, 1, 2]), max_size=3))
    person = Person(
        rows=[draw(rows(w)) for w in sorted(workspaces)],
        identities=draw(
            st.lists(
                st.tuples(st.sampled_from([0, 1, 2]), st.sampled_from(IDENTITY_TYPES), st.sampled_from(WORDS[:20])),
                max_size=3,
            )
        ),
        events=draw(st.lists(happenings, max_size=8)),
        memberships=draw(st.lists(st.sampled_from([0, 1]), max_size=2)),
        calculated=draw(
            st.lists(st.tuples(st.sampled_from([0, 1, 2]), st.sampled_from(CALCULATED), json_values), max_size=3)
        ),
        sample_bucket=draw(st.integers(min_value=0, max_value=3)),
    )
    return person


# -- definitions ---------------------------------------------------------------------------------


@st.composite
def windows(draw: st.DrawFn) -> dict[str, Any]:
    form = draw(st.sampled_from(["within_days", "between_days_ago", "before", "after", "on", "between_dates"]))
    if form == "within_days":
        return {"within_days": draw(st.integers(min_value=1, max_value=35))}
    if form == "between_days_ago":
        pair = sorted(draw(st.lists(st.integers(min_value=0, max_value=35), min_size=2, max_size=2)), reverse=True)
        return {"between_days_ago": pair}
    if form == "between_dates":
        pair = sorted(draw(st.lists(days, min_size=2, max_size=2)))
        return {"between_dates": [d.isoformat() for d in pair]}
    return {form: draw(days).isoformat()}


@st.composite
def condition_fields(draw: st.DrawFn, ops: tuple[str, ...] = ALL_OPS) -> dict[str, Any]:
    from audiences.criteria.values import as_boolean, as_number

    op = draw(st.sampled_from(ops))
    fields: dict[str, Any] = {"op": op}
    if op in ("gt", "gte", "lt", "lte"):
        fields["value"] = draw(numbers)
    elif op == "between":
        low, high = sorted(draw(st.lists(numbers, min_size=2, max_size=2)))
        fields["value"], fields["value2"] = low, high
    elif op == "time":
        fields["value"] = draw(windows())
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
def criteria(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    maybe_workspace = st.sampled_from([None, None, 0, 1])
    if kind == "event":
        found: dict[str, Any] = {"type": "event", "event_type": draw(st.sampled_from(EVENT_TYPES))}
        name = draw(st.sampled_from([None, *EVENT_NAMES]))
        if name is not None:
            found["name"] = name
        found["attributes"] = [
            {"key": draw(st.sampled_from(KEYS)), **draw(condition_fields())}
            for _ in range(draw(st.integers(min_value=0, max_value=2)))
        ]
        if draw(st.booleans()):
            op = draw(st.sampled_from(["gt", "gte", "lt", "lte", "equals", "between"]))
            low, high = sorted(draw(st.lists(st.integers(min_value=0, max_value=4), min_size=2, max_size=2)))
            found["frequency"] = {"op": op, "value": low} | ({"value2": high} if op == "between" else {})
        if draw(st.booleans()):
            found["time"] = draw(windows())
        found["_inputs"] = draw(st.sampled_from([None, "first"]))
    elif kind == "cart_abandonment":
        found = {"type": "cart_abandonment", "wait_hours": draw(st.sampled_from([1, 24, 72, 200]))}
        if draw(st.booleans()):
            found["time"] = draw(windows())
    elif kind == "user_attribute":
        found = {"type": "user_attribute", "key": draw(st.sampled_from(KEYS)), **draw(condition_fields())}
    elif kind == "user_attribute_list":
        found = {
            "type": "user_attribute_list",
            "key": draw(st.sampled_from(KEYS)),
            **draw(condition_fields(("includes", "not_includes", "partial_match"))),
        }
    elif kind == "audience":
        found = {"type": "audience", "audience_id": draw(st.sampled_from([0, 1])), "member": draw(st.booleans())}
    elif kind == "calculated_attribute":
        found = {"type": "calculated_attribute", "name": draw(st.sampled_from(CALCULATED)), **draw(condition_fields())}
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
            **draw(condition_fields(ops)),
        }
    elif kind == "first_seen":
        found = {"type": "first_seen", "time": draw(windows())}
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
            **draw(condition_fields(ops)),
        }
        found.pop("data_type", None)
    else:
        found = {"type": "attribution", "event": draw(st.sampled_from(["install", "uninstall"]))}
        for name in ("publisher", "campaign"):
            if draw(st.booleans()):
                condition = draw(
                    condition_fields(
                        ("equals", "not_equals", "contains", "not_contains", "pattern", "exists", "not_exists")
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
def definitions(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Criteria still holding indexes (`_workspace`, `_inputs`, audience index), bound to a
    world's ids by `bind`."""
    count = draw(st.integers(min_value=1, max_value=4))
    found = []
    for index in range(count):
        criterion = draw(criteria(draw(st.sampled_from(CRITERION_TYPES))))
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
