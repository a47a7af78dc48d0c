"""The Braze partner against a local Braze: membership as a boolean or array custom attribute
via /users/track, identifiers, batching at 75 objects, shared attributes, and each error
answer mapped to a retry or a fault with Braze's message."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from outputs.partners.base import AudienceRef, Member, PartnerError
from outputs.partners.braze.partner import Braze
from tests.partners.stub_braze import BrazeStub

KEY = "braze-rest-key-with-track"
READ_ONLY_KEY = "braze-rest-key-export-only"


@pytest.fixture
def braze():
    with BrazeStub({KEY: {"users.track"}, READ_ONLY_KEY: {"users.export.ids"}}) as stub:
        yield stub


def _partner(stub: BrazeStub, key: str = KEY, **connection) -> Braze:
    return Braze(
        Braze.Configuration.model_validate({"api_key": key, "base_url": stub.url}),
        Braze.ConnectionSettings.model_validate(connection),
    )


AUDIENCE = AudienceRef(audience_id=7, connection_id=1, name="Paris fans")


def test_settings_default_to_the_us_instance_and_keep_the_key_secret():
    configuration = Braze.Configuration.model_validate({"api_key": KEY})
    assert Braze(configuration).base_url == "https://rest.iad-01.braze.com"
    assert Braze.Configuration.secret_fields() == {"api_key"}
    with pytest.raises(ValidationError):
        Braze.ConnectionSettings.model_validate({"attribute_name": "$reserved"})


def test_connect_needs_nothing_at_braze(braze):
    audience = AudienceRef(audience_id=7, connection_id=1, name="Paris fans")
    _partner(braze).connect(audience)
    assert braze.requests == [] and audience.state == {}


def test_adds_and_drops_set_a_boolean_attribute_named_after_the_audience(braze):
    partner = _partner(braze)
    partner.send(AUDIENCE, [Member(1, {"customerid": ["c1"]}), Member(2, {"customerid": ["c2"]})], [], batch_id="b1")
    partner.send(AUDIENCE, [], [Member(2, {"customerid": ["c2"]})], batch_id="b2")
    assert braze.profile("external_id", "c1") == {"Paris fans": True}
    assert braze.profile("external_id", "c2") == {"Paris fans": False}
    request = braze.requests[0]
    assert request.path == "/users/track"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.json() == {
        "attributes": [{"external_id": "c1", "Paris fans": True}, {"external_id": "c2", "Paris fans": True}]
    }


def test_the_attribute_name_comes_from_the_connection_settings(braze):
    _partner(braze, attribute_name="in_paris_fans").send(
        AUDIENCE, [Member(1, {"customerid": ["c1"]})], [], batch_id="b"
    )
    assert braze.profile("external_id", "c1") == {"in_paris_fans": True}


def test_array_mode_adds_and_removes_the_audience_name(braze):
    partner = _partner(braze, membership="array")
    other = AudienceRef(audience_id=8, connection_id=2, name="Lyon fans")
    ann = Member(1, {"customerid": ["c1"]})
    partner.send(AUDIENCE, [ann], [], batch_id="b1")
    partner.send(other, [ann], [], batch_id="b2")
    partner.send(AUDIENCE, [], [ann], batch_id="b3")
    assert braze.profile("external_id", "c1") == {"audiences": ["Lyon fans"]}
    assert braze.requests[0].json()["attributes"][0]["audiences"] == {"add": ["Paris fans"]}
    assert braze.requests[2].json()["attributes"][0]["audiences"] == {"remove": ["Paris fans"]}


def test_users_without_a_customer_id_are_addressed_by_email_then_by_push_token_alias(braze):
    _partner(braze).send(
        AUDIENCE,
        [
            Member(1, {"customerid": ["c1"], "email": ["ann@x.test"]}),
            Member(2, {"email": ["bob@x.test"], "push_token": ["tok-b"]}),
            Member(3, {"push_token": ["tok-c1", "tok-c2"]}),
        ],
        [],
        batch_id="b",
    )
    objects = braze.requests[0].json()["attributes"]
    assert [next(k for k in o if k in ("external_id", "email", "user_alias")) for o in objects] == [
        "external_id",
        "email",
        "user_alias",
        "user_alias",
    ]
    assert braze.profile("external_id", "c1") == {"Paris fans": True}
    assert braze.profile("email", "bob@x.test") == {"Paris fans": True}
    assert braze.profile("alias", "push_token", "tok-c2") == {"Paris fans": True}
    assert braze.profile("email", "ann@x.test") == {}


def test_a_batch_is_split_at_75_attribute_objects(braze):
    adds = [Member(i, {"customerid": [f"c{i}", f"alt{i}"]}) for i in range(75)]
    _partner(braze).send(AUDIENCE, adds, [], batch_id="b")
    assert [len(r.json()["attributes"]) for r in braze.requests] == [75, 75]
    assert braze.profile("external_id", "alt74") == {"Paris fans": True}


def test_shared_attributes_are_sent_as_attributes(braze):
    member = Member(1, {"customerid": ["c1"]}, attributes={"$FirstName": "Ann", "status": "Premium", "email": "x"})
    _partner(braze).send(AUDIENCE, [member], [], batch_id="b")
    assert braze.profile("external_id", "c1") == {
        "first_name": "Ann",
        "status": "Premium",
        "custom_email": "x",
        "Paris fans": True,
    }


def test_deleting_the_audience_leaves_the_attribute_in_braze(braze):
    _partner(braze).send(AUDIENCE, [Member(1, {"customerid": ["c1"]})], [], batch_id="b")
    _partner(braze).delete(AUDIENCE)
    assert len(braze.requests) == 1
    assert braze.profile("external_id", "c1") == {"Paris fans": True}


def test_a_wrong_key_faults_at_once_with_brazes_message(braze):
    with pytest.raises(PartnerError) as fault:
        _partner(braze, key="not-a-known-key").send(AUDIENCE, [Member(1, {"customerid": ["c1"]})], [], batch_id="b")
    assert fault.value.permanent and fault.value.status == 401
    assert fault.value.message == "Braze answered 401: Invalid API key: unknown or missing REST API key"


def test_a_key_without_the_track_permission_faults(braze):
    with pytest.raises(PartnerError) as fault:
        _partner(braze, key=READ_ONLY_KEY).send(AUDIENCE, [Member(1, {"customerid": ["c1"]})], [], batch_id="b")
    assert fault.value.permanent and fault.value.status == 403
    assert "users.track permission" in fault.value.message


def test_a_wrong_instance_path_faults_with_404(braze):
    partner = Braze(
        Braze.Configuration.model_validate({"api_key": KEY, "base_url": braze.url + "/v2"}),
        Braze.ConnectionSettings(),
    )
    with pytest.raises(PartnerError) as fault:
        partner.send(AUDIENCE, [Member(1, {"customerid": ["c1"]})], [], batch_id="b")
    assert fault.value.permanent and fault.value.status == 404


def test_a_bad_request_faults_with_brazes_message(braze):
    braze.fail_next(400, body={"message": "Valid data must be provided in the attributes field."})
    with pytest.raises(PartnerError) as fault:
        _partner(braze).send(AUDIENCE, [Member(1, {"customerid": ["c1"]})], [], batch_id="b")
    assert fault.value.permanent and fault.value.status == 400
    assert "Valid data must be provided" in fault.value.message


def test_the_rate_limit_is_retried_after_the_window_resets(braze):
    braze.throttle(reset_in=5)
    with pytest.raises(PartnerError) as fault:
        _partner(braze).send(AUDIENCE, [Member(1, {"customerid": ["c1"]})], [], batch_id="b")
    assert not fault.value.permanent and fault.value.status == 429
    assert 3 <= fault.value.retry_after <= 5


def test_retry_after_is_honoured_when_given(braze):
    braze.fail_next(429, body={"message": "Too many requests"}, retry_after=4)
    with pytest.raises(PartnerError) as fault:
        _partner(braze).send(AUDIENCE, [Member(1, {"customerid": ["c1"]})], [], batch_id="b")
    assert fault.value.retry_after == 4


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retried_and_the_batch_then_lands(braze, status):
    braze.fail_next(status, body={"message": "Internal Server Error"})
    with pytest.raises(PartnerError) as fault:
        _partner(braze).send(AUDIENCE, [Member(1, {"customerid": ["c1"]})], [], batch_id="b")
    assert not fault.value.permanent and fault.value.status == status
    assert "Internal Server Error" in fault.value.message
    _partner(braze).send(AUDIENCE, [Member(1, {"customerid": ["c1"]})], [], batch_id="b")
    assert braze.profile("external_id", "c1") == {"Paris fans": True}


def test_non_fatal_errors_do_not_stop_the_batch(braze):
    _partner(braze).send(
        AUDIENCE, [Member(1, {"customerid": [""]}), Member(2, {"customerid": ["c2"]})], [], batch_id="b"
    )
    assert braze.profile("external_id", "c2") == {"Paris fans": True}
