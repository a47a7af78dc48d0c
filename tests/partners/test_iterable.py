"""The Iterable partner against a local Iterable: a list created on connect (or one named),
subscribe/unsubscribe with data fields, deleting only the list we created, and each error
answer mapped to a retry or a fault with Iterable's message."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from outputs.partners.base import AudienceRef, Member, PartnerError
from outputs.partners.iterable.partner import Iterable
from tests.partners.stub_iterable import IterableStub

KEY = "server-side-key-0123"
MOBILE_KEY = "mobile-key-0123"
OWN_LIST = 42


@pytest.fixture
def iterable():
    with IterableStub({KEY: "server_side", MOBILE_KEY: "mobile"}, lists={OWN_LIST: "Newsletter"}) as stub:
        yield stub


def _partner(stub: IterableStub, key: str = KEY, **connection) -> Iterable:
    return Iterable(
        Iterable.Configuration.model_validate({"api_key": key, "base_url": stub.url}),
        Iterable.ConnectionSettings.model_validate(connection),
    )


def _connected(stub: IterableStub, **connection) -> tuple[Iterable, AudienceRef]:
    partner = _partner(stub, **connection)
    audience = AudienceRef(audience_id=7, connection_id=1, name="Paris fans")
    partner.connect(audience)
    return partner, audience


def test_settings_default_to_the_us_data_center_and_keep_the_key_secret():
    assert Iterable(Iterable.Configuration.model_validate({"api_key": KEY})).base_url == "https://api.iterable.com"
    assert Iterable.Configuration.secret_fields() == {"api_key"}
    with pytest.raises(ValidationError):
        Iterable.ConnectionSettings.model_validate({"list_id": "not a number"})


def test_connect_creates_a_list_named_after_the_audience_and_keeps_its_id(iterable):
    partner, audience = _connected(iterable)
    assert audience.state["created"] is True
    assert iterable.names[audience.state["list_id"]] == "Paris fans"
    assert iterable.requests[0].headers["api-key"] == KEY
    # Connecting again (a retried first run) does not create a second list.
    partner.connect(audience)
    assert len(iterable.names) == 2


def test_connect_uses_a_named_list_without_creating_one(iterable):
    _, audience = _connected(iterable, list_id=OWN_LIST)
    assert audience.state == {"list_id": OWN_LIST, "created": False}
    assert len(iterable.names) == 1


def test_connect_to_a_list_that_does_not_exist_faults(iterable):
    with pytest.raises(PartnerError) as fault:
        _connected(iterable, list_id=999)
    assert fault.value.permanent
    assert "no list 999" in fault.value.message


def test_adds_are_subscribed_and_drops_unsubscribed_from_the_list_only(iterable):
    partner, audience = _connected(iterable)
    list_id = audience.state["list_id"]
    ann, bob = Member(1, {"email": ["ann@x.test", "ann@work.test"]}), Member(2, {"email": ["bob@x.test"]})
    partner.send(audience, [ann, bob], [], batch_id="b1")
    assert iterable.members(list_id) == {"ann@x.test", "ann@work.test", "bob@x.test"}
    partner.send(audience, [], [bob], batch_id="b2")
    assert iterable.members(list_id) == {"ann@x.test", "ann@work.test"}
    assert iterable.channel_unsubscribed == set()
    unsubscribe = next(r for r in iterable.requests if r.path == "/api/lists/unsubscribe").json()
    assert unsubscribe == {"listId": list_id, "subscribers": [{"email": "bob@x.test"}], "channelUnsubscribe": False}


def test_an_address_shared_by_a_leaving_and_a_joining_user_stays_on_the_list(iterable):
    partner, audience = _connected(iterable)
    partner.send(
        audience, [Member(1, {"email": ["shared@x.test"]})], [Member(2, {"email": ["shared@x.test"]})], batch_id="b"
    )
    assert iterable.members(audience.state["list_id"]) == {"shared@x.test"}


def test_shared_attributes_travel_as_data_fields(iterable):
    partner, audience = _connected(iterable)
    member = Member(1, {"email": ["ann@x.test"]}, attributes={"$FirstName": "Ann", "status": "Premium", "a.b": 1})
    partner.send(audience, [member], [], batch_id="b")
    assert iterable.users["ann@x.test"] == {"firstName": "Ann", "status": "Premium", "a_b": 1}


def test_an_address_iterable_refuses_does_not_stop_the_others(iterable):
    partner, audience = _connected(iterable)
    partner.send(audience, [Member(1, {"email": ["nonsense"]}), Member(2, {"email": ["bob@x.test"]})], [], batch_id="b")
    assert iterable.members(audience.state["list_id"]) == {"bob@x.test"}


def test_deleting_the_audience_deletes_the_list_we_created(iterable):
    partner, audience = _connected(iterable)
    partner.delete(audience)
    assert audience.state["list_id"] not in iterable.names
    assert iterable.requests[-1].method == "DELETE"
    # Already gone (deleted in Iterable by hand, or a retried deletion): nothing to fault.
    partner.delete(audience)


def test_deleting_the_audience_leaves_a_list_the_customer_named(iterable):
    partner, audience = _connected(iterable, list_id=OWN_LIST)
    requests_before = len(iterable.requests)
    partner.delete(audience)
    assert OWN_LIST in iterable.names
    assert len(iterable.requests) == requests_before


def test_a_wrong_key_faults_at_once_with_iterables_message(iterable):
    with pytest.raises(PartnerError) as fault:
        _connected(iterable, key="wrong-key-0000")
    assert fault.value.permanent and fault.value.status == 401
    assert fault.value.message == "Iterable answered 401: Invalid API key (BadApiKey)"


def test_a_key_of_the_wrong_type_faults(iterable):
    with pytest.raises(PartnerError) as fault:
        _connected(iterable, key=MOBILE_KEY)
    assert fault.value.permanent and fault.value.status == 403
    assert "mobile API key" in fault.value.message


def test_a_list_deleted_in_iterable_faults_the_connection_with_404(iterable):
    partner, audience = _connected(iterable)
    del iterable.lists[audience.state["list_id"]]
    with pytest.raises(PartnerError) as fault:
        partner.send(audience, [Member(1, {"email": ["a@x.test"]})], [], batch_id="b")
    assert fault.value.permanent and fault.value.status == 404
    assert "does not exist" in fault.value.message


def test_a_bad_request_faults_with_iterables_message(iterable):
    partner, audience = _connected(iterable)
    iterable.fail_next(400, body={"msg": "subscribers must be an array", "code": "BadParams", "params": None})
    with pytest.raises(PartnerError) as fault:
        partner.send(audience, [Member(1, {"email": ["a@x.test"]})], [], batch_id="b")
    assert fault.value.permanent and fault.value.status == 400
    assert fault.value.message == "Iterable answered 400: subscribers must be an array (BadParams)"


@pytest.mark.parametrize("status", [429, 500, 503])
def test_rate_limits_and_server_errors_are_retried(iterable, status):
    partner, audience = _connected(iterable)
    iterable.fail_next(status, body={"msg": "Slow down", "code": "RateLimitExceeded", "params": None}, retry_after=2)
    with pytest.raises(PartnerError) as fault:
        partner.send(audience, [Member(1, {"email": ["a@x.test"]})], [], batch_id="b")
    assert not fault.value.permanent and fault.value.status == status
    assert fault.value.retry_after == 2
    assert "Slow down" in fault.value.message
    partner.send(audience, [Member(1, {"email": ["a@x.test"]})], [], batch_id="b")
    assert iterable.members(audience.state["list_id"]) == {"a@x.test"}
