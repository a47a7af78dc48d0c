"""Customer.io against a local Track API stub: members join and leave a manual segment by
customer id or email, in requests of 1,000, and the Track API's errors become retries or
faults carrying Customer.io's message."""

from __future__ import annotations

import pytest

from outputs.partners.base import AudienceRef, Member, PartnerError
from outputs.partners.customerio.partner import CustomerIO
from tests.partners.stub_customerio import API_KEY, SITE_ID, CustomerIOStub

AUDIENCE = AudienceRef(audience_id=7, connection_id=1, name="Paris fans")


@pytest.fixture
def track():
    with CustomerIOStub() as stub:
        yield stub


def _partner(url: str, segment_id: int = 12, **overrides) -> CustomerIO:
    settings = {"site_id": SITE_ID, "api_key": API_KEY, "base_url": f"{url}/api/v1", **overrides}
    return CustomerIO(
        CustomerIO.Configuration.model_validate(settings),
        CustomerIO.ConnectionSettings.model_validate({"segment_id": segment_id}),
    )


def test_adds_join_the_segment_by_customer_id_or_else_by_email(track):
    members = [
        Member(mpid=1, identities={"customerid": ["cust-1"], "email": ["one@x.test"]}),
        Member(mpid=2, identities={"email": ["two@x.test"]}),
    ]
    _partner(track.url).send(AUDIENCE, members, [], batch_id="b-1")
    assert track.segments[12].people["id"] == {"cust-1"}
    assert track.segments[12].people["email"] == {"two@x.test"}
    by_id, by_email = track.requests
    assert (by_id.method, by_id.path, by_id.query) == ("POST", "/api/v1/segments/12/add_customers", {})
    assert by_id.json() == {"ids": ["cust-1"]}
    assert by_email.query == {"id_type": ["email"]}


def test_drops_leave_the_segment(track):
    partner = _partner(track.url)
    one = Member(mpid=1, identities={"customerid": ["cust-1"]})
    two = Member(mpid=2, identities={"email": ["two@x.test"]})
    partner.send(AUDIENCE, [one, two], [], batch_id="b-1")
    partner.send(AUDIENCE, [], [one, two], batch_id="b-2")
    assert track.segments[12].people == {"id": set(), "email": set(), "cio_id": set()}
    assert {r.path for r in track.requests[2:]} == {"/api/v1/segments/12/remove_customers"}


def test_ids_travel_in_requests_of_at_most_a_thousand(track):
    members = [Member(mpid=n, identities={"customerid": [f"c{n}"]}) for n in range(2500)]
    _partner(track.url).send(AUDIENCE, members, [], batch_id="b")
    assert [len(r.json()["ids"]) for r in track.requests] == [1000, 1000, 500]
    assert len(track.segments[12].people["id"]) == 2500


def test_a_batch_without_usable_identities_sends_nothing(track):
    _partner(track.url).send(AUDIENCE, [Member(mpid=1, identities={"email": [" "]})], [], batch_id="b")
    assert track.requests == []


def test_deleting_the_audience_leaves_the_segment_alone(track):
    _partner(track.url).delete(AUDIENCE)
    assert track.requests == []
    assert "stay" in CustomerIO.delete_behaviour


def test_a_wrong_api_key_faults_at_once_with_customerios_message(track):
    with pytest.raises(PartnerError) as fault:
        _partner(track.url, api_key="wrong").send(
            AUDIENCE, [Member(mpid=1, identities={"customerid": ["c"]})], [], batch_id="b"
        )
    assert fault.value.permanent and fault.value.status == 401
    assert "Unauthorized request" in fault.value.message


def test_an_unknown_segment_faults(track):
    with pytest.raises(PartnerError) as fault:
        _partner(track.url, segment_id=99).send(
            AUDIENCE, [Member(mpid=1, identities={"customerid": ["c"]})], [], batch_id="b"
        )
    assert fault.value.permanent and fault.value.status == 404
    assert fault.value.message == "Customer.io answered 404: segment not found"


def test_a_data_driven_segment_faults_with_the_validation_message(track):
    with pytest.raises(PartnerError) as fault:
        _partner(track.url, segment_id=13).send(
            AUDIENCE, [Member(mpid=1, identities={"customerid": ["c"]})], [], batch_id="b"
        )
    assert fault.value.permanent and fault.value.status == 400
    assert "data-driven segment" in fault.value.message


@pytest.mark.parametrize(("status", "permanent"), [(403, True), (429, False), (500, False), (502, False)])
def test_answers_map_to_retry_or_fault(track, status, permanent):
    track.fail_next(status, body={"meta": {"errors": [f"scripted {status}"]}}, retry_after=4 if status == 429 else None)
    with pytest.raises(PartnerError) as fault:
        _partner(track.url).send(AUDIENCE, [Member(mpid=1, identities={"customerid": ["c"]})], [], batch_id="b")
    assert fault.value.permanent is permanent
    assert f"scripted {status}" in fault.value.message
    if status == 429:
        assert fault.value.retry_after == 4


def test_a_retry_after_a_failure_delivers(track):
    partner = _partner(track.url)
    track.fail_next(503)
    member = Member(mpid=1, identities={"customerid": ["c"]})
    with pytest.raises(PartnerError):
        partner.send(AUDIENCE, [member], [], batch_id="b")
    partner.send(AUDIENCE, [member], [], batch_id="b")
    assert track.segments[12].people["id"] == {"c"}


def test_the_region_picks_the_track_endpoint():
    def url(region: str) -> str:
        return _partner("unused", region=region, base_url=None).base_url

    assert url("us") == "https://track.customer.io/api/v1"
    assert url("eu") == "https://track-eu.customer.io/api/v1"
    assert CustomerIO.Configuration.secret_fields() == {"api_key"}
    with pytest.raises(ValueError):
        CustomerIO.ConnectionSettings.model_validate({"segment_id": "not a segment"})
