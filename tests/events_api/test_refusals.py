"""Refused requests answer the documented status with a JSON body naming the faulty path, and
store nothing of the request."""

from __future__ import annotations

import json

import mparticle
import pytest
from mparticle.rest import ApiException

from audiences.inputs import set_enabled
from tests.events_api.conftest import stored
from tests.events_api.test_upload import batch_of

pytestmark = pytest.mark.django_db


def event(name: str = "Tap", **data) -> dict:
    return {"event_type": "custom_event", "data": {"event_name": name, **data}}


def batch(**fields) -> dict:
    return {"user_identities": {"email": "ada@example.com"}, "events": [event()], **fields}


def errors_of(response) -> list[dict]:
    body = response.json()
    assert set(body) == {"errors"}
    for error in body["errors"]:
        assert set(error) == {"path", "message"}
        assert isinstance(error["path"], str) and isinstance(error["message"], str) and error["message"]
    return body["errors"]


def paths(response) -> list[str]:
    return [error["path"] for error in errors_of(response)]


def refused_by_client(call) -> ApiException:
    with pytest.raises(ApiException) as caught:
        call()
    return caught.value


def client_errors(exc: ApiException) -> list[dict]:
    body = json.loads(exc.body)
    assert set(body) == {"errors"}
    return body["errors"]


def test_invalid_json_is_refused(post):
    before = stored()
    for body in ('{"events": [', "not json", '{"user_attributes": {"a": NaN}}', '{"a": Infinity}', "\xff"):
        response = post("/v2/events", body, raw=True)
        assert response.status_code == 400, body
        assert paths(response) == ["$"]
    assert stored() == before


@pytest.mark.parametrize(
    ("sent", "path"),
    [
        (batch(mpid="abc"), "mpid"),
        (batch(mpid=2**64), "mpid"),
        (batch(events=[{"event_type": "custom_event", "data": {}}]), "events[0].data.event_name"),
        (batch(events=[event(), event(), event(), {"event_type": "warp_drive", "data": {}}]), "events[3].event_type"),
        (
            batch(events=[event(custom_attributes={"nested": {"too": "deep"}})]),
            "events[0].data.custom_attributes.nested",
        ),
        (batch(user_attributes={"ok": "x", "bad": {"a": 1}}), "user_attributes.bad"),
        (batch(user_attributes=["not", "an", "object"]), "user_attributes"),
        (batch(consent_state={"gdpr": {"marketing": {"consented": "yes"}}}), "consent_state.gdpr.marketing.consented"),
        (batch(environment="staging"), "environment"),
        (batch(events="many"), "events"),
        (batch(events=[event(timestamp_unixtime_ms="yesterday")]), "events[0].data.timestamp_unixtime_ms"),
        (batch(events=[event(location={"latitude": 91, "longitude": 0})]), "events[0].data.location.latitude"),
        (batch(device_info={"ios_advertising_id": "x" * 501}), "device_info.ios_advertising_id"),
        (batch(user_identities={"email": "x" * 501}), "user_identities.email"),
        (batch(user_attributes={"name": "Ada\x00Lovelace"}), "user_attributes.name"),
        (batch(user_attributes={"name": "\ud800"}), "user_attributes.name"),
        ([batch()], "$"),
    ],
)
def test_a_faulty_batch_is_refused_with_its_path(post, sent, path):
    before = stored()

    response = post("/v2/events", sent)

    assert response.status_code == 400
    assert path in paths(response)
    assert stored() == before


def test_an_unknown_event_type_in_bulk_names_the_batch(post):
    before = stored()

    response = post("/v2/bulkevents", [batch(), batch(events=[{"event_type": "teleport", "data": {}}])])

    assert response.status_code == 400
    assert paths(response) == ["[1].events[0].event_type"]
    assert stored() == before


def test_a_bulk_request_with_one_bad_batch_stores_none(post):
    before = stored()

    response = post("/v2/bulkevents", [batch(), batch(), batch(mpid="abc")])

    assert response.status_code == 400
    assert paths(response) == ["[2].mpid"]
    assert stored() == before


def test_a_bulk_request_must_be_a_list(post):
    response = post("/v2/bulkevents", batch())

    assert response.status_code == 400
    assert paths(response) == ["$"]


def test_deep_nesting_is_refused_not_recursed(post):
    deep = "[" * 5000 + "]" * 5000
    for body in (deep, '{"user_attributes": ' + '{"a": ' * 100 + "1" + "}" * 101):
        response = post("/v2/events", body, raw=True)
        assert response.status_code == 400
        assert errors_of(response)


def test_missing_credentials_are_refused(client):
    response = client.post("/v2/events", data=json.dumps(batch()), content_type="application/json")

    assert response.status_code == 401
    assert paths(response) == ["Authorization"]
    assert response["WWW-Authenticate"].startswith("Basic")


# The refusals below go through the real client and a live server.


def small_batch(**fields) -> mparticle.Batch:
    return batch_of([mparticle.AppEvent(event_name="Tap")], **fields)


def test_wrong_credentials_are_refused(events_api, tenant, other_tenant):
    before = stored()
    for api in (
        events_api(secret="not-the-secret"),
        events_api(api_key="oa-no-such-key"),
        events_api(api_key="", secret=""),
        events_api(other_tenant.input, tenant.secret),  # a real key with another input's secret
    ):
        refused = refused_by_client(lambda api=api: api.upload_events(small_batch()))
        assert refused.status == 401
        assert client_errors(refused)[0]["path"] == "Authorization"
    assert stored() == before


def test_a_disabled_input_is_refused(events_api, tenant):
    set_enabled(tenant.input, False)
    before = stored()

    refused = refused_by_client(lambda: events_api().upload_events(small_batch()))

    assert refused.status == 403
    assert client_errors(refused)[0]["path"] == "Authorization"
    assert stored() == before


def test_over_the_rate_limit_is_429_with_retry_after(events_api, tenant):
    tenant.input.rate_limit = 1
    tenant.input.save(update_fields=["rate_limit"])
    api = events_api()
    accepted = 0

    with pytest.raises(ApiException) as caught:  # the loop is what provokes the refusal
        for _ in range(10):
            api.upload_events(small_batch())
            accepted += 1

    assert caught.value.status == 429
    assert int(caught.value.headers["Retry-After"]) >= 1
    assert client_errors(caught.value)[0]["message"]
    assert 1 <= accepted < 10
    assert stored().events == accepted


def test_an_oversize_batch_is_413(events_api, settings):
    settings.EVENTS_MAX_BATCH_BYTES = 2000
    api = events_api()
    before = stored()

    refused = refused_by_client(lambda: api.upload_events(small_batch(user_attributes={"bio": "x" * 3000})))

    assert refused.status == 413
    assert client_errors(refused)[0]["path"] == "$"
    assert stored() == before


def test_the_size_limit_is_per_batch_in_bulk(events_api, settings):
    settings.EVENTS_MAX_BATCH_BYTES = 2000
    api = events_api()
    fits = [small_batch(user_attributes={"bio": "é" * 600}) for _ in range(3)]  # ~1.3 kB each, 4 kB together

    api.bulk_upload_events(fits)
    assert api.api_client.last_response.status == 202
    before = stored()

    refused = refused_by_client(
        lambda: api.bulk_upload_events([small_batch(), small_batch(user_attributes={"bio": "x" * 3000})])
    )
    assert refused.status == 413
    assert client_errors(refused)[0]["path"] == "[1]"
    assert stored() == before


def test_more_than_100_batches_are_refused(events_api):
    api = events_api()
    before = stored()

    refused = refused_by_client(lambda: api.bulk_upload_events([small_batch() for _ in range(101)]))

    assert refused.status == 400
    assert "100" in client_errors(refused)[0]["message"]
    assert stored() == before


def test_an_mpid_of_another_account_is_refused(events_api, tenant, other_tenant):
    theirs = events_api(other_tenant.input, other_tenant.secret)
    theirs.upload_events(small_batch(mpid=777))
    before = stored()

    ours = events_api()
    refused = refused_by_client(lambda: ours.upload_events(small_batch(mpid=777)))
    assert refused.status == 400
    assert client_errors(refused)[0]["path"] == "mpid"

    refused = refused_by_client(lambda: ours.bulk_upload_events([small_batch(), small_batch(mpid=777)]))
    assert refused.status == 400
    assert client_errors(refused)[0]["path"] == "[1].mpid"
    assert stored() == before
