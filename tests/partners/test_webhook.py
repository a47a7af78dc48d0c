"""The Webhook partner against a local receiver that verifies signatures like a customer would."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from outputs.partners.base import AudienceRef, Member, PartnerError
from outputs.partners.webhook.partner import Webhook
from tests.partners.stub import Answer, PartnerStub, Received

SECRET = "a-shared-secret-of-some-length"


class Receiver(PartnerStub):
    def handle(self, request: Received) -> Answer:
        expected = "sha256=" + hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
        if request.headers.get("x-openaudience-signature") != expected:
            return Answer(401, {"error": "bad signature"})
        return Answer(204)


@pytest.fixture
def receiver():
    with Receiver() as stub:
        yield stub


def _partner(url: str, secret: str = SECRET) -> Webhook:
    return Webhook(Webhook.Configuration.model_validate({"url": url, "secret": secret}))


AUDIENCE = AudienceRef(audience_id=7, connection_id=1, name="Paris fans", variation=None)


def test_a_batch_arrives_signed_with_adds_drops_and_identities(receiver):
    adds = [Member(mpid=1, identities={"email": ["a@x.test"], "ios_advertising_id": ["I1", "I2"]})]
    drops = [Member(mpid=2, identities={"email": ["b@x.test"]}, attributes={"status": "Premium"})]
    _partner(receiver.url + "/hook").send(AUDIENCE, adds, drops, batch_id="b-1")
    body = receiver.requests[0].json()
    assert receiver.requests[0].path == "/hook"
    assert body["batch_id"] == "b-1"
    assert body["audience"] == {"id": 7, "name": "Paris fans", "variation": None}
    assert body["adds"] == [{"mpid": 1, "identities": {"email": ["a@x.test"], "ios_advertising_id": ["I1", "I2"]}}]
    assert body["drops"][0]["attributes"] == {"status": "Premium"}


def test_deleting_the_audience_sends_a_final_message(receiver):
    _partner(receiver.url).delete(AUDIENCE)
    assert receiver.requests[0].json()["deleted"] is True


def test_a_wrong_secret_is_a_permanent_fault_with_the_receivers_message(receiver):
    with pytest.raises(PartnerError) as fault:
        _partner(receiver.url, secret="another-secret-of-length").send(AUDIENCE, [], [], batch_id="b")
    assert fault.value.permanent and fault.value.status == 401
    assert "bad signature" in fault.value.message


@pytest.mark.parametrize(("status", "permanent"), [(429, False), (500, False), (503, False), (403, True), (404, True)])
def test_answers_map_to_retry_or_fault(receiver, status, permanent):
    receiver.fail_next(status, retry_after=3 if status == 429 else None)
    with pytest.raises(PartnerError) as fault:
        _partner(receiver.url).send(AUDIENCE, [], [], batch_id="b")
    assert fault.value.permanent is permanent
    if status == 429:
        assert fault.value.retry_after == 3


def test_an_unreachable_endpoint_is_retried_not_faulted():
    with pytest.raises(PartnerError) as fault:
        _partner("http://127.0.0.1:9").send(AUDIENCE, [], [], batch_id="b")
    assert not fault.value.permanent


def test_settings_are_validated_and_the_secret_is_marked_secret():
    assert Webhook.Configuration.secret_fields() == {"secret"}
    with pytest.raises(ValueError):
        Webhook.Configuration.model_validate({"url": "not a url", "secret": "short"})
