"""Platform API for standard audiences: create with a date range, preview and start a
calculation, credits and the ledger, status in the audience, Send; bad input is a 4xx naming
the field, and nothing is written."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from accounts.tokens import create_token
from audiences import standard
from audiences.models import Audience, CreditEntry, StandardCalculation, StandardState
from connections.models import StandardSend
from tests.connections.helpers import webhook_configuration
from tests.standard.helpers import PLAYED, draft, give_credits

pytestmark = pytest.mark.django_db


def client_as(tenant, role: str = "marketer") -> Client:
    value = create_token(account=tenant.account, name=role, role=role, created_by=tenant.marketer)[1]
    return Client(headers={"Authorization": f"Bearer {value}"})


def post(client: Client, path: str, body) -> object:
    return client.post(path, json.dumps(body), content_type="application/json")


@pytest.fixture
def api(tenant) -> Client:
    return client_as(tenant)


def new_standard(tenant, **fields) -> dict:
    return {
        "name": "Lapsed buyers",
        "kind": "standard",
        "workspace_ids": [tenant.workspace.pk],
        "definition": PLAYED,
        "date_range": {"start": "2018-01-01", "end": "2020-01-01"},
        **fields,
    }


def test_create_a_standard_audience_and_read_its_state(tenant, api):
    created = post(api, "/platform/v1/audiences", new_standard(tenant))

    assert created.status_code == 201, created.content
    body = created.json()
    assert body["kind"] == "standard"
    assert body["standard"] == {
        "date_range": {"start": "2018-01-01", "end": "2020-01-01"},
        "state": "draft",
        "progress": 0.0,
        "calculated_at": None,
        "expires_at": None,
        "last_sent_at": None,
        "error": None,
    }
    recent = post(
        api, "/platform/v1/audiences", new_standard(tenant, date_range={"start": "2019-05-01", "end": "most_recent"})
    )
    assert recent.json()["standard"]["date_range"] == {"start": "2019-05-01", "end": "most_recent"}
    everything = post(api, "/platform/v1/audiences", new_standard(tenant, date_range={"all": True}))
    assert everything.json()["standard"]["date_range"] == {"all": True}
    realtime = post(api, "/platform/v1/audiences", {"name": "Now", "workspace_ids": [tenant.workspace.pk]})
    assert realtime.json()["standard"] is None
    listed = api.get("/platform/v1/audiences", {"kind": "standard"}).json()
    assert len(listed) == 3 and all(a["standard"]["state"] == "draft" for a in listed)


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"date_range": None}, "date_range"),
        ({"date_range": "all"}, "date_range"),
        ({"date_range": {"all": False}}, "date_range.start"),
        ({"date_range": {"start": "2019-02-30", "end": "most_recent"}}, "date_range.start"),
        ({"date_range": {"start": "2019-01-01"}}, "date_range.end"),
        ({"date_range": {"start": "2019-01-01", "end": "yesterday"}}, "date_range.end"),
        ({"date_range": {"start": "2020-01-01", "end": "2019-01-01"}}, "date_range.end"),
        ({"date_range": {"start": "2999-01-01", "end": "most_recent"}}, "date_range.start"),
        ({"date_range": {"start": "2019-01-01", "end": "most_recent", "tz": "CET"}}, "date_range.tz"),
        ({"date_range": {"start": 20190101, "end": "most_recent"}}, "date_range.start"),
        ({"kind": "realtime"}, "date_range"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_standard_audiences_are_refused_by_path_and_nothing_is_stored(tenant, api, fields, path):
    body = new_standard(tenant, **fields)
    if body.get("date_range") is None:
        del body["date_range"]

    answer = post(api, "/platform/v1/audiences", body)

    assert answer.status_code == 400, answer.content
    assert path in [e["path"] for e in answer.json()["errors"]]
    assert not Audience.objects.exists()


def test_a_draft_date_range_changes_a_calculated_one_does_not(tenant, api):
    audience = draft(tenant, {"all": True})

    changed = api.patch(
        f"/platform/v1/audiences/{audience.pk}",
        json.dumps({"date_range": {"start": "2019-01-01", "end": "2019-12-31"}, "name": "Renamed"}),
        content_type="application/json",
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["standard"]["date_range"] == {"start": "2019-01-01", "end": "2019-12-31"}
    bad = api.patch(
        f"/platform/v1/audiences/{audience.pk}",
        json.dumps({"date_range": {"start": "nope", "end": "2019-12-31"}, "name": "Again"}),
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["path"] == "date_range.start"
    audience.refresh_from_db()
    assert audience.name == "Renamed"

    Audience.objects.filter(pk=audience.pk).update(standard_state=StandardState.READY)
    refused = api.patch(
        f"/platform/v1/audiences/{audience.pk}",
        json.dumps({"date_range": {"all": True}}),
        content_type="application/json",
    )
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["path"] == "date_range"


def test_preview_then_start_a_calculation(tenant, api):
    give_credits(tenant, 3)
    ids = [draft(tenant, {"start": "2019-01-01", "end": "2019-12-31"}, name=f"A{n}").pk for n in range(3)]

    preview = post(api, "/platform/v1/standard-calculations", {"audience_ids": ids, "confirm": False})
    assert preview.status_code == 200, preview.content
    assert (preview.json()["credits"], preview.json()["balance"], preview.json()["id"]) == (1, 3, None)
    assert not StandardCalculation.objects.exists()

    started = post(api, "/platform/v1/standard-calculations", {"audience_ids": ids, "confirm": True})
    assert started.status_code == 202, started.content
    body = started.json()
    assert (body["credits"], body["balance"], body["state"], body["audience_ids"]) == (1, 2, "queued", sorted(ids))
    one = api.get(f"/platform/v1/audiences/{ids[0]}").json()
    assert one["standard"]["state"] == "calculating"

    standard.calculate_standard(body["id"])
    status = api.get(f"/platform/v1/standard-calculations/{body['id']}").json()
    assert (status["state"], status["progress"]) == ("done", 1.0)
    one = api.get(f"/platform/v1/audiences/{ids[0]}").json()
    assert one["standard"]["state"] == "ready" and one["standard"]["expires_at"] is not None
    again = post(api, "/platform/v1/standard-calculations", {"audience_ids": ids[:1], "confirm": True})
    assert again.status_code == 400
    assert again.json()["errors"][0]["message"] == "A0 is Ready, not a draft: clone it to calculate it again"


def test_a_calculation_the_balance_cannot_pay_is_a_409_and_spends_nothing(tenant, api):
    give_credits(tenant, 1)
    audience = draft(tenant, {"start": "2018-01-01", "end": "2020-01-01"})

    refused = post(api, "/platform/v1/standard-calculations", {"audience_ids": [audience.pk], "confirm": True})

    assert refused.status_code == 409
    assert refused.json()["errors"] == [
        {"path": "credits", "message": "this needs 2 credits and the account has 1: ask an admin for more credits"}
    ]
    assert standard.balance(tenant.account) == 1
    assert not StandardCalculation.objects.exists()
    assert Audience.objects.get(pk=audience.pk).standard_state == StandardState.DRAFT


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"audience_ids": [], "confirm": True}, "audience_ids"),
        ({"audience_ids": [1]}, "confirm"),
        ({"audience_ids": [0], "confirm": True}, "audience_ids[0]"),
        ({"audience_ids": [2**63], "confirm": True}, "audience_ids[0]"),
        ({"audience_ids": ["x"], "confirm": True}, "audience_ids[0]"),
        ({"audience_ids": [1], "confirm": "yes", "extra": 1}, "extra"),
    ],
)
def test_bad_calculation_requests_are_refused_by_path(tenant, api, body, path):
    give_credits(tenant, 3)

    answer = post(api, "/platform/v1/standard-calculations", body)

    assert answer.status_code == 400, answer.content
    assert any(path in e["path"] for e in answer.json()["errors"]), answer.json()
    assert standard.balance(tenant.account) == 3


def test_other_accounts_audiences_and_realtime_ones_are_not_calculated(tenant, other_tenant, api):
    give_credits(tenant, 3)
    theirs = draft(other_tenant, {"all": True})
    realtime = post(api, "/platform/v1/audiences", {"name": "Now", "workspace_ids": [tenant.workspace.pk]}).json()

    for ids, message in (
        ([theirs.pk], f"no audience {theirs.pk} in this account"),
        ([realtime["id"]], "Now is a real-time audience: it calculates itself"),
    ):
        answer = post(api, "/platform/v1/standard-calculations", {"audience_ids": ids, "confirm": True})
        assert answer.status_code == 400
        assert answer.json()["errors"] == [{"path": "audience_ids[0]", "message": message}]
    assert standard.balance(tenant.account) == 3


def test_credits_show_the_balance_and_the_ledger(tenant, api, other_tenant):
    give_credits(tenant, 4)
    give_credits(other_tenant, 9)
    audience = draft(tenant, {"start": "2019-01-01", "end": "2019-12-31"})
    standard.start_calculation(tenant.account, [audience], acting_user=tenant.marketer)

    answer = api.get("/platform/v1/credits").json()

    assert answer["balance"] == 3
    assert [(e["reason"], e["change"], e["balance_after"]) for e in answer["ledger"]] == [
        ("spend", -1, 3),
        ("grant", 4, 4),
    ]
    assert answer["ledger"][1]["by"] == "acme-admin" and answer["ledger"][1]["note"] == "test"
    assert client_as(tenant, "support").get("/platform/v1/credits").json()["balance"] == 3


def test_support_tokens_read_but_do_not_calculate_or_send(tenant):
    support = client_as(tenant, "support")
    audience = draft(tenant, {"all": True})
    give_credits(tenant, 3)

    calc = post(support, "/platform/v1/standard-calculations", {"audience_ids": [audience.pk], "confirm": False})
    send = post(support, f"/platform/v1/audiences/{audience.pk}/send", {"connection_ids": [1]})

    assert (calc.status_code, send.status_code) == (403, 403)
    assert CreditEntry.objects.count() == 1


def _ready_with_connection(tenant):
    from connections import services as connections

    give_credits(tenant, 1)
    audience = draft(tenant, {"all": True})
    standard.calculate_standard(standard.start_calculation(tenant.account, [audience], acting_user=tenant.marketer).pk)
    configuration = webhook_configuration(tenant.account, "http://127.0.0.1:9/hook")
    return audience, connections.create_connection(audience, configuration, acting_user=tenant.marketer)


def test_send_answers_202_and_records_it(tenant, api):
    audience, connection = _ready_with_connection(tenant)

    answer = post(api, f"/platform/v1/audiences/{audience.pk}/send", {"connection_ids": [connection.pk]})

    assert answer.status_code == 202, answer.content
    assert answer.json()["connection_ids"] == [connection.pk]
    assert answer.json()["last_sent_at"] is not None
    assert StandardSend.objects.get(connection=connection).sends == 1
    shown = api.get(f"/platform/v1/audiences/{audience.pk}").json()["standard"]
    assert shown["last_sent_at"] is not None


def test_bad_sends_are_refused_and_nothing_is_recorded(tenant, other_tenant, api):
    audience, connection = _ready_with_connection(tenant)
    theirs, their_connection = _ready_with_connection(other_tenant)
    a_draft = draft(tenant, {"all": True}, name="Still a draft")

    cases = [
        (audience.pk, {"connection_ids": []}, 400, "connection_ids"),
        (audience.pk, {"connection_ids": [their_connection.pk]}, 400, "connection_ids[0]"),
        (audience.pk, {"connection_ids": [connection.pk], "now": True}, 400, "now"),
        (a_draft.pk, {"connection_ids": [connection.pk]}, 400, "connection_ids[0]"),
        (theirs.pk, {"connection_ids": [their_connection.pk]}, 404, None),
        (2**63, {"connection_ids": [connection.pk]}, 404, None),
    ]
    for audience_id, body, status, path in cases:
        answer = post(api, f"/platform/v1/audiences/{audience_id}/send", body)
        assert answer.status_code == status, (body, answer.content)
        if path:
            assert any(path in e["path"] for e in answer.json()["errors"]), answer.json()
    Audience.objects.filter(pk=audience.pk).update(standard_state=StandardState.EXPIRED)
    expired = post(api, f"/platform/v1/audiences/{audience.pk}/send", {"connection_ids": [connection.pk]})
    assert expired.status_code == 409
    assert expired.json()["errors"] == [
        {"path": "audience", "message": "Long history has expired: clone it and calculate the copy to send it"}
    ]
    assert not StandardSend.objects.exists()


def test_cloning_a_standard_audience_keeps_its_date_range(tenant, api):
    audience = draft(tenant, {"start": "2019-01-01", "end": "most_recent"})
    Audience.objects.filter(pk=audience.pk).update(standard_state=StandardState.EXPIRED)

    copy = api.post(f"/platform/v1/audiences/{audience.pk}/clone")

    assert copy.status_code == 201
    assert copy.json()["standard"]["date_range"] == {"start": "2019-01-01", "end": "most_recent"}
    assert copy.json()["standard"]["state"] == "draft"


def test_a_standard_audience_is_not_activated(tenant, api):
    audience = draft(tenant, {"all": True})

    answer = api.post(f"/platform/v1/audiences/{audience.pk}/activate")

    assert answer.status_code == 400
    assert answer.json()["errors"] == [{"path": "kind", "message": "a standard audience is calculated, not activated"}]


def test_connecting_an_expired_audience_is_refused_by_the_api(tenant, api):
    from connections.models import Connection

    audience = draft(tenant, {"all": True})
    Audience.objects.filter(pk=audience.pk).update(standard_state=StandardState.EXPIRED)
    configuration = webhook_configuration(tenant.account, "http://127.0.0.1:9/hook")

    answer = post(
        api,
        f"/platform/v1/audiences/{audience.pk}/connections",
        {"output_configuration_id": configuration.pk, "status": "sending", "settings": {}},
    )

    assert answer.status_code == 400, answer.content
    assert answer.json()["errors"] == [
        {"path": "audience", "message": "Long history has expired: clone it and calculate the copy to connect it"}
    ]
    assert not Connection.objects.exists()
