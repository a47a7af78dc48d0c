"""Facebook Custom Audiences against a local Graph API stub: the custom audience is created on
connect, hashed identities go in and out, the audience is deleted with ours, and Graph's
error answers become retries or faults with Facebook's own message."""

from __future__ import annotations

import hashlib
import json

import pytest

from outputs.partners.base import AudienceRef, Member, PartnerError
from outputs.partners.facebook.partner import Facebook, member_rows
from tests.partners.stub_facebook import AD_ACCOUNT, TOKEN, FacebookStub, graph_error

IDFA = "AECE52E7-03EE-455A-B3C4-E57283966239"
GAID = "38400000-8cf0-11bd-b23e-10b96e40000d"


def sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@pytest.fixture
def graph():
    with FacebookStub() as stub:
        yield stub


def _partner(url: str, **overrides) -> Facebook:
    settings = {"access_token": TOKEN, "ad_account_id": AD_ACCOUNT, "base_url": url, **overrides}
    return Facebook(Facebook.Configuration.model_validate(settings))


def _audience(**kwargs) -> AudienceRef:
    return AudienceRef(audience_id=7, connection_id=1, name=kwargs.pop("name", "Paris fans"), **kwargs)


def _connected(graph: FacebookStub, **overrides) -> tuple[Facebook, AudienceRef]:
    partner, audience = _partner(graph.url, **overrides), _audience()
    partner.connect(audience)
    return partner, audience


def test_connect_creates_a_customer_file_custom_audience_named_after_the_audience(graph):
    partner, audience = _partner(graph.url), _audience(variation="Variant A")
    partner.connect(audience)
    created = graph.audiences[audience.state["custom_audience_id"]]
    assert created.name == "Paris fans - Variant A"
    assert (created.subtype, created.customer_file_source) == ("CUSTOM", "USER_PROVIDED_ONLY")
    request = graph.requests[0]
    assert (request.method, request.path) == ("POST", f"/v25.0/act_{AD_ACCOUNT}/customaudiences")
    assert TOKEN.encode() not in request.path.encode() and not request.query  # the token stays out of the URL

    partner.connect(audience)  # connecting again keeps the same audience
    assert len(graph.audiences) == 1


def test_the_graph_version_and_file_source_are_configurable(graph):
    partner = Facebook(
        Facebook.Configuration.model_validate(
            {"access_token": TOKEN, "ad_account_id": f"act_{AD_ACCOUNT}", "base_url": graph.url, "api_version": "v24.0"}
        ),
        Facebook.ConnectionSettings.model_validate({"customer_file_source": "BOTH_USER_AND_PARTNER_PROVIDED"}),
    )
    audience = _audience()
    partner.connect(audience)
    assert graph.requests[0].path.startswith("/v24.0/act_")
    assert graph.audiences[audience.state["custom_audience_id"]].customer_file_source == (
        "BOTH_USER_AND_PARTNER_PROVIDED"
    )


def test_adds_are_normalised_and_hashed_and_drops_remove_them(graph):
    partner, audience = _connected(graph)
    john = Member(
        mpid=1,
        identities={
            "email": ["  John.Smith@Example.COM "],
            "mobile_number": ["+1 (415) 555-0100"],
            "ios_advertising_id": [IDFA, "B67385F8-9A82-4670-8C0A-6F9EA7513F5F"],
            "android_advertising_id": [GAID],
        },
    )
    jane = Member(mpid=2, identities={"phone_number_2": ["0044 20 7183 8750"]})
    partner.send(audience, [john, jane], [], batch_id="b-1")

    users = graph.audiences[audience.state["custom_audience_id"]].users
    assert users["EMAIL"] == {sha("john.smith@example.com")}
    assert users["PHONE"] == {sha("14155550100"), sha("442071838750")}
    # Mobile advertising ids travel lowercased and unhashed, as Facebook asks for MADID.
    assert users["MADID"] == {IDFA.lower(), "b67385f8-9a82-4670-8c0a-6f9ea7513f5f", GAID}
    body = graph.requests[-1]
    assert (body.method, body.path) == ("POST", f"/v25.0/{audience.state['custom_audience_id']}/users")
    payload = json.loads(graph.params(body)["payload"])
    assert payload["schema"] == ["EMAIL", "PHONE", "MADID"]
    assert len(payload["data"]) == 4  # John: three advertising ids on three rows; Jane: one row

    partner.send(audience, [], [john], batch_id="b-2")
    assert graph.requests[-1].method == "DELETE"
    assert users["EMAIL"] == set() and users["MADID"] == set()
    assert users["PHONE"] == {sha("442071838750")}


def test_every_identity_gets_a_row_and_blank_values_none():
    rows = member_rows(
        Member(mpid=1, identities={"email": ["a@x.test", "A@X.test ", "b@x.test"], "mobile_number": ["--"]})
    )
    assert rows == [[sha("a@x.test"), "", ""], [sha("b@x.test"), "", ""]]
    assert member_rows(Member(mpid=2, identities={"email": ["  "]})) == []


def test_more_than_ten_thousand_rows_are_split_into_requests(graph):
    partner, audience = _connected(graph)
    members = [Member(mpid=n, identities={"email": [f"user{n}@x.test"]}) for n in range(10_001)]
    partner.send(audience, members, [], batch_id="big")
    calls = [r for r in graph.requests if r.path.endswith("/users")]
    assert [len(json.loads(graph.params(r)["payload"])["data"]) for r in calls] == [10_000, 1]
    assert len(graph.audiences[audience.state["custom_audience_id"]].users["EMAIL"]) == 10_001


def test_a_batch_with_nothing_facebook_can_match_sends_nothing(graph):
    partner, audience = _connected(graph)
    partner.send(audience, [Member(mpid=1, identities={"mobile_number": ["n/a"]})], [], batch_id="b")
    assert [r.path for r in graph.requests] == [f"/v25.0/act_{AD_ACCOUNT}/customaudiences"]


def test_send_creates_the_audience_when_connect_never_stored_one(graph):
    partner, audience = _partner(graph.url), _audience()
    partner.send(audience, [Member(mpid=1, identities={"email": ["a@x.test"]})], [], batch_id="b")
    assert graph.audiences[audience.state["custom_audience_id"]].users["EMAIL"] == {sha("a@x.test")}


def test_deleting_the_audience_deletes_the_custom_audience(graph):
    partner, audience = _connected(graph)
    audience_id = audience.state["custom_audience_id"]
    partner.delete(audience)
    assert (graph.requests[-1].method, graph.requests[-1].path) == ("DELETE", f"/v25.0/{audience_id}")
    assert graph.audiences == {}
    assert "custom_audience_id" not in audience.state


def test_deleting_an_audience_already_gone_in_facebook_is_not_a_fault(graph):
    partner, audience = _connected(graph)
    graph.audiences.clear()  # deleted in Ads Manager
    partner.delete(audience)
    partner.delete(_audience())  # never connected: nothing to delete, no call
    assert graph.requests[-1].method == "DELETE"
    assert len(graph.requests) == 2


def test_app_secret_proof_is_sent_when_an_app_secret_is_set():
    with FacebookStub(app_secret="the-app-secret") as graph:
        _, audience = _connected(graph, app_secret="the-app-secret")
        assert audience.state["custom_audience_id"]
        with pytest.raises(PartnerError) as fault:
            _connected(graph, app_secret="another-secret")
        assert fault.value.permanent and "appsecret_proof" in fault.value.message


def test_an_expired_token_faults_at_once_with_facebooks_message(graph):
    with pytest.raises(PartnerError) as fault:
        _connected(graph, access_token="EAAB-expired")
    assert fault.value.permanent and fault.value.status == 400
    assert "Invalid OAuth access token" in fault.value.message and "code 190" in fault.value.message


def test_an_ad_account_without_permission_faults(graph):
    with pytest.raises(PartnerError) as fault:
        _connected(graph, ad_account_id="999")
    assert fault.value.permanent and fault.value.status == 403
    assert "ads_management" in fault.value.message


def test_an_unknown_custom_audience_faults_with_the_graph_message(graph):
    partner, audience = _connected(graph)
    graph.audiences.clear()
    with pytest.raises(PartnerError) as fault:
        partner.send(audience, [Member(mpid=1, identities={"email": ["a@x.test"]})], [], batch_id="b")
    assert fault.value.permanent
    assert "does not exist" in fault.value.message and "subcode 33" in fault.value.message


@pytest.mark.parametrize(
    ("status", "code", "permanent"),
    [
        (400, 100, True),  # invalid parameter
        (401, 190, True),  # expired token: even on 401 and whatever the transport, a new token is needed
        (403, 10, True),  # permission denied
        (404, 803, True),  # unknown alias
        (400, 17, False),  # user request limit: Facebook throttles with HTTP 400
        (400, 4, False),  # application request limit
        (400, 613, False),  # too many calls from this ad account
        (400, 80003, False),  # custom audience business use case limit
        (500, 2, False),  # temporary service error
        (503, None, False),  # an answer without a Graph error body
    ],
)
def test_graph_errors_map_to_retry_or_fault(graph, status, code, permanent):
    partner, audience = _connected(graph)
    body = graph_error(status, f"scripted error {code}", code).body if code else {"unexpected": True}
    graph.fail_next(status, body=body)
    with pytest.raises(PartnerError) as fault:
        partner.send(audience, [Member(mpid=1, identities={"email": ["a@x.test"]})], [], batch_id="b")
    assert fault.value.permanent is permanent
    assert fault.value.status == status
    if code:
        assert f"scripted error {code}" in fault.value.message and "fbtrace_id AbCdEfGh123" in fault.value.message


def test_a_429_is_retried_after_retry_after(graph):
    partner, audience = _connected(graph)
    graph.fail_next(429, body={"error": {"message": "slow down", "code": 4}}, retry_after=7)
    with pytest.raises(PartnerError) as fault:
        partner.send(audience, [Member(mpid=1, identities={"email": ["a@x.test"]})], [], batch_id="b")
    assert not fault.value.permanent and fault.value.retry_after == 7


def test_a_business_use_case_throttle_waits_for_the_time_facebook_names(graph):
    partner, audience = _connected(graph)
    usage = {"1234": [{"type": "custom_audience", "call_count": 100, "estimated_time_to_regain_access": 3}]}
    throttled = graph_error(400, "User request limit reached", 80003)
    throttled.headers["X-Business-Use-Case-Usage"] = json.dumps(usage)
    graph.failures.append(throttled)
    with pytest.raises(PartnerError) as fault:
        partner.send(audience, [Member(mpid=1, identities={"email": ["a@x.test"]})], [], batch_id="b")
    assert not fault.value.permanent and fault.value.retry_after == 180


def test_an_unreachable_graph_is_retried_not_faulted():
    with pytest.raises(PartnerError) as fault:
        _partner("http://127.0.0.1:9").connect(_audience())
    assert not fault.value.permanent


def test_settings_mark_secrets_and_refuse_a_malformed_ad_account():
    assert Facebook.Configuration.secret_fields() == {"access_token", "app_secret"}
    with pytest.raises(ValueError):
        Facebook.Configuration.model_validate({"access_token": TOKEN, "ad_account_id": "my account"})
    assert _partner("https://graph.facebook.com").base_url == "https://graph.facebook.com/v25.0"
