"""Random mutations of a valid batch never make the Events API answer 500: only 202, or a 4xx
with the documented error body."""

from __future__ import annotations

import itertools
import json
import time

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from audiences.ingestion.wire import EVENT_TYPES, IDENTITY_TYPES

NOW_MS = int(time.time() * 1000)
request_ids = itertools.count()


def valid_batch() -> dict:
    return {
        # A fresh idempotency key each time, so that every example reaches the database.
        "source_request_id": f"fuzz-{next(request_ids)}",
        "environment": "production",
        "mpid": 1234567890123,
        "user_identities": {"email": "fuzz@example.com", "customerid": "c-1"},
        "device_info": {"platform": "iOS", "ios_advertising_id": "AAAA-BBBB", "is_tablet": False},
        "application_info": {"application_name": "Radio", "application_version": "1.2"},
        "user_attributes": {"$city": "Leeds", "genres": ["jazz", "folk"], "age": 37, "vip": True, "note": None},
        "deleted_user_attributes": ["old"],
        "consent_state": {
            "gdpr": {"marketing": {"consented": True, "document": "v1", "timestamp_unixtime_ms": NOW_MS}},
            "ccpa": {"data_sale_opt_out": {"consented": False}},
        },
        "ip": "203.0.113.9",
        "events": [
            {
                "event_type": "custom_event",
                "data": {
                    "event_name": "Play",
                    "custom_event_type": "media",
                    "timestamp_unixtime_ms": NOW_MS,
                    "custom_attributes": {"song": "So What", "seconds": 545},
                    "location": {"latitude": 53.8, "longitude": -1.55},
                },
            },
            {
                "event_type": "commerce_event",
                "data": {
                    "timestamp_unixtime_ms": NOW_MS,
                    "currency_code": "GBP",
                    "product_action": {
                        "action": "purchase",
                        "total_amount": 9.99,
                        "products": [{"id": "sku-1", "name": "Vinyl", "price": 9.99, "quantity": 1}],
                    },
                },
            },
            {
                "event_type": "application_state_transition",
                "data": {"application_transition_type": "application_initialized", "is_first_run": True},
            },
            {"event_type": "screen_view", "data": {"screen_name": "Home", "session_id": 5}},
            {"event_type": "crash_report", "data": {"class_name": "Boom", "exception_handled": False}},
        ],
    }


# Values that have broken JSON services before: edge numbers, odd text, and nesting.
edge_numbers = st.sampled_from(
    [0, -1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, -(2**63) - 1, 2**64, 10**30, -(10**40), 1e308, -1e-308, 0.5, -0.0]
)
odd_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "\x00", "a\x00b", "\ud800", "\udfff", "é" * 600, "x" * 5000, "1e400", "NaN", "null"]),
    st.sampled_from(list(EVENT_TYPES) + list(IDENTITY_TYPES)),
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), edge_numbers, st.floats(allow_nan=False), odd_text)
garbage = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(odd_text, inner, max_size=4)),
    max_leaves=12,
)


def places(document, at=()):
    """Every path into the document, the root included."""
    yield at
    if isinstance(document, dict):
        for key, value in document.items():
            yield from places(value, (*at, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from places(value, (*at, index))


def mutate(document, data) -> object:
    paths = [path for path in places(document) if path]
    path = data.draw(st.sampled_from(paths), label="path")
    parent = document
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    how = data.draw(st.sampled_from(["replace", "same_kind", "delete", "add", "event_type", "wrap"]), label="how")
    if how == "same_kind":
        # An odd value of the expected kind gets past validation and exercises the storage.
        kind = {str: odd_text, int: edge_numbers, float: edge_numbers, bool: st.booleans()}.get(type(parent[last]))
        parent[last] = data.draw(garbage if kind is None else kind, label="value")
    elif how == "replace":
        parent[last] = data.draw(garbage, label="value")
    elif how == "delete":
        del parent[last]
    elif how == "add" and isinstance(parent, dict):
        parent[data.draw(odd_text, label="key")] = data.draw(garbage, label="value")
    elif how == "add":
        parent.append(data.draw(garbage, label="value"))
    elif how == "event_type":
        events = document.get("events")
        if isinstance(events, list) and events and isinstance(events[0], dict):
            events[0]["event_type"] = data.draw(st.one_of(st.sampled_from(EVENT_TYPES), odd_text), label="type")
    else:
        parent[last] = data.draw(st.sampled_from([[parent[last]], {"value": parent[last]}]), label="wrapped")
    return document


def as_text(document, data) -> str:
    """Serialise, sometimes with a number or constant JSON itself does not allow."""
    text = json.dumps(document)
    tricks = [None] * 8 + ["1e400", "NaN", "-Infinity", "1" + "0" * 5000]  # mostly none: keep most bodies valid
    trick = data.draw(st.sampled_from(tricks), label="trick")
    if trick and '"age": 37' in text:
        text = text.replace('"age": 37', f'"age": {trick}')
    return text


@pytest.mark.django_db
@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_mutated_batches_never_make_a_500(post, tenant, data):
    tenant.input.rate_limit = 1_000_000  # the rate limit is tested elsewhere; here it would hide faults
    tenant.input.save(update_fields=["rate_limit"])
    document = valid_batch()
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        if isinstance(document, dict | list) and any(True for path in places(document) if path):
            document = mutate(document, data)
    endpoint = data.draw(st.sampled_from(["/v2/events", "/v2/bulkevents", "/v2/bulkevents/historical"]), label="to")
    if endpoint != "/v2/events":
        document = [valid_batch(), document]

    response = post(endpoint, as_text(document, data), raw=True)
    event(f"answered {response.status_code}")  # seen with --hypothesis-show-statistics

    assert response.status_code == 202 or 400 <= response.status_code < 500, response.content[:500]
    body = response.json()
    if response.status_code == 202:
        assert isinstance(body["batches"], int)
        assert isinstance(body["events"], int)
    else:
        assert body["errors"], body
        for error in body["errors"]:
            assert isinstance(error["path"], str)
            assert isinstance(error["message"], str)
            assert error["message"]
