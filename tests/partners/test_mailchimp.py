"""The Mailchimp partner against a local Mailchimp: list check, batch subscribe/unsubscribe,
merge fields, and each error answer mapped to a retry or a fault with Mailchimp's words."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from outputs.partners.base import AudienceRef, Member, PartnerError
from outputs.partners.mailchimp.partner import Mailchimp
from tests.partners.stub_mailchimp import MailchimpStub, problem

KEY = "0123456789abcdef0123456789abcdef-us6"
LIST = "a1b2c3d4e5"


@pytest.fixture
def mailchimp():
    with MailchimpStub(KEY, {LIST: "Paris fans"}, disabled_keys=("ffffffffffffffffffffffffffffffff-us6",)) as stub:
        yield stub


def _partner(stub: MailchimpStub, key: str = KEY, list_id: str = LIST) -> Mailchimp:
    return Mailchimp(
        Mailchimp.Configuration.model_validate({"api_key": key, "base_url": stub.url + "/3.0"}),
        Mailchimp.ConnectionSettings.model_validate({"list_id": list_id}),
    )


def _audience() -> AudienceRef:
    return AudienceRef(audience_id=7, connection_id=1, name="Paris fans")


def test_the_base_url_follows_the_data_center_of_the_key():
    partner = Mailchimp(
        Mailchimp.Configuration.model_validate({"api_key": KEY}), Mailchimp.ConnectionSettings(list_id=LIST)
    )
    assert partner.base_url == "https://us6.api.mailchimp.com/3.0"


def test_settings_need_a_key_with_a_data_center_and_a_list_and_keep_the_key_secret():
    assert Mailchimp.Configuration.secret_fields() == {"api_key"}
    with pytest.raises(ValidationError):
        Mailchimp.Configuration.model_validate({"api_key": "0123456789abcdef"})
    with pytest.raises(ValidationError):
        Mailchimp.ConnectionSettings.model_validate({})


def test_connect_checks_the_list_and_remembers_it(mailchimp):
    audience = _audience()
    _partner(mailchimp).connect(audience)
    assert audience.state == {"list_id": LIST, "list_name": "Paris fans"}
    assert mailchimp.requests[0].method == "GET"
    assert mailchimp.requests[0].path == f"/3.0/lists/{LIST}"


def test_connect_to_an_unknown_list_faults_with_mailchimps_message(mailchimp):
    with pytest.raises(PartnerError) as fault:
        _partner(mailchimp, list_id="nosuchlist").connect(_audience())
    assert fault.value.permanent and fault.value.status == 404
    assert "Resource Not Found" in fault.value.message


def test_adds_are_subscribed_and_drops_unsubscribed_with_every_address(mailchimp):
    partner = _partner(mailchimp)
    partner.send(
        _audience(),
        adds=[Member(1, {"email": ["ann@x.test", "ann@work.test"]}), Member(2, {"email": ["bob@x.test"]})],
        drops=[],
        batch_id="b1",
    )
    partner.send(_audience(), adds=[], drops=[Member(2, {"email": ["bob@x.test"]})], batch_id="b2")
    assert mailchimp.status(LIST) == {
        "ann@x.test": "subscribed",
        "ann@work.test": "subscribed",
        "bob@x.test": "unsubscribed",
    }
    body = mailchimp.requests[0].json()
    assert body["update_existing"] is True
    assert mailchimp.requests[0].query == {"skip_merge_validation": ["true"]}
    assert mailchimp.requests[0].headers["authorization"].startswith("Basic ")


def test_a_user_added_back_is_subscribed_again(mailchimp):
    partner = _partner(mailchimp)
    ann = Member(1, {"email": ["ann@x.test"]})
    partner.send(_audience(), [ann], [], batch_id="b1")
    partner.send(_audience(), [], [ann], batch_id="b2")
    partner.send(_audience(), [ann], [], batch_id="b3")
    assert mailchimp.status(LIST) == {"ann@x.test": "subscribed"}


def test_an_address_shared_by_a_leaving_and_a_joining_user_stays_subscribed(mailchimp):
    _partner(mailchimp).send(
        _audience(),
        adds=[Member(1, {"email": ["Shared@x.test"]})],
        drops=[Member(2, {"email": ["shared@x.test"]})],
        batch_id="b",
    )
    assert mailchimp.status(LIST) == {"shared@x.test": "subscribed"}
    assert len(mailchimp.requests[0].json()["members"]) == 1


def test_large_batches_are_split_at_mailchimps_limit_of_500(mailchimp):
    adds = [Member(i, {"email": [f"user{i}@x.test"]}) for i in range(1, 1201)]
    _partner(mailchimp).send(_audience(), adds, [], batch_id="big")
    assert [len(r.json()["members"]) for r in mailchimp.requests] == [500, 500, 200]
    assert len(mailchimp.status(LIST)) == 1200


def test_shared_attributes_travel_as_merge_fields(mailchimp):
    member = Member(
        1,
        {"email": ["ann@x.test"]},
        attributes={"$FirstName": "Ann", "$LastName": "Lee", "status": "Premium", "visits": 3, "tags": ["a", "b"]},
    )
    _partner(mailchimp).send(_audience(), [member], [], batch_id="b")
    sent = mailchimp.requests[0].json()["members"][0]
    assert sent["merge_fields"] == {"FNAME": "Ann", "LNAME": "Lee", "STATUS": "Premium", "VISITS": 3, "TAGS": "a, b"}
    assert mailchimp.contacts[LIST]["ann@x.test"]["merge_fields"]["FNAME"] == "Ann"


def test_an_address_mailchimp_rejects_does_not_stop_the_others(mailchimp):
    _partner(mailchimp).send(
        _audience(), [Member(1, {"email": ["not-an-address"]}), Member(2, {"email": ["bob@x.test"]})], [], batch_id="b"
    )
    assert mailchimp.status(LIST) == {"bob@x.test": "subscribed"}


def test_deleting_the_audience_leaves_mailchimp_alone(mailchimp):
    _partner(mailchimp).delete(_audience())
    assert mailchimp.requests == []


def test_a_wrong_key_faults_at_once_with_mailchimps_message(mailchimp):
    with pytest.raises(PartnerError) as fault:
        _partner(mailchimp, key="99999999999999999999999999999999-us6").send(
            _audience(), [Member(1, {"email": ["a@x.test"]})], [], batch_id="b"
        )
    assert fault.value.permanent and fault.value.status == 401
    assert "API Key Invalid" in fault.value.message


def test_a_disabled_account_faults_with_mailchimps_message(mailchimp):
    with pytest.raises(PartnerError) as fault:
        _partner(mailchimp, key="ffffffffffffffffffffffffffffffff-us6").connect(_audience())
    assert fault.value.permanent and fault.value.status == 403
    assert "User Disabled" in fault.value.message


def test_a_bad_request_faults_with_the_field_mailchimp_names(mailchimp):
    answer = problem(
        400,
        "Invalid Resource",
        "The resource submitted could not be validated.",
        [{"field": "members", "message": "x"}],
    )
    mailchimp.fail_next(400, body=answer.body)
    with pytest.raises(PartnerError) as fault:
        _partner(mailchimp).send(_audience(), [Member(1, {"email": ["a@x.test"]})], [], batch_id="b")
    assert fault.value.permanent and fault.value.status == 400
    assert (
        fault.value.message == "Mailchimp answered 400: Invalid Resource: The resource submitted could not be "
        "validated. (members: x)"
    )


@pytest.mark.parametrize(("status", "title"), [(429, "Too Many Requests"), (500, "Internal Server Error"), (503, "")])
def test_rate_limits_and_server_errors_are_retried(mailchimp, status, title):
    mailchimp.fail_next(status, body=problem(status, title, "Try again later.").body, retry_after=7)
    with pytest.raises(PartnerError) as fault:
        _partner(mailchimp).send(_audience(), [Member(1, {"email": ["a@x.test"]})], [], batch_id="b")
    assert not fault.value.permanent and fault.value.status == status
    assert fault.value.retry_after == 7
    assert "Try again later." in fault.value.message
    # The retried batch goes through once Mailchimp is back.
    _partner(mailchimp).send(_audience(), [Member(1, {"email": ["a@x.test"]})], [], batch_id="b")
    assert mailchimp.status(LIST) == {"a@x.test": "subscribed"}
