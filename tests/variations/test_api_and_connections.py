"""The A/B test through the Platform API, and connections that target one variation."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.tokens import create_token
from audiences.calculation import calculate
from audiences.models import Audience, Member
from audiences.models.variations import Variation
from connections import forwarding, services
from connections.models import Connection, DownstreamDeletion
from tests.connections.helpers import Receiver, webhook_configuration
from tests.variations.helpers import age_below, calculated_audience, generate_profiles

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver():
    with Receiver() as stub:
        yield stub


def _api(account, role: str = "marketer") -> Client:
    return Client(headers={"Authorization": "Bearer " + create_token(account=account, name=role, role=role)[1]})


def _url(audience: Audience) -> str:
    return f"/platform/v1/audiences/{audience.pk}/ab-test"


def test_a_test_is_saved_once_and_bad_input_names_the_field(tenant):
    generate_profiles(tenant, 500)
    audience = calculated_audience(tenant, age_below(100))
    api = _api(tenant.account)

    answer = api.get(_url(audience))
    assert answer.status_code == 200
    assert answer.json()["variations"] == [{"id": None, "name": "Control", "percent": 100, "control": True}]

    over = api.put(_url(audience), {"variations": [{"percent": 60}, {"percent": 50}]}, content_type="application/json")
    assert over.status_code == 400
    assert over.json()["errors"][0]["path"] == "variations[1].percent"
    assert "cannot exceed 100%" in over.json()["errors"][0]["message"]
    six = api.put(_url(audience), {"variations": [{"percent": 5}] * 6}, content_type="application/json")
    assert six.status_code == 400 and six.json()["errors"][0]["path"] == "variations"
    assert not Variation.objects.exists()

    saved = api.put(
        _url(audience),
        {"variations": [{"percent": 40, "name": "Email"}, {"percent": 40, "name": "Push"}]},
        content_type="application/json",
    )
    assert saved.status_code == 201
    assert [(v["name"], v["percent"]) for v in saved.json()["variations"]] == [
        ("Email", 40),
        ("Push", 40),
        ("Control", 20),
    ]
    again = api.put(_url(audience), {"variations": [{"percent": 10}]}, content_type="application/json")
    assert again.status_code == 409
    assert again.json()["errors"][0]["path"] == "variations"
    assert list(Variation.objects.values_list("name", "percent")) == [("Email", 40), ("Push", 40), ("Control", 20)]

    support = _api(tenant.account, "support").delete(_url(audience))
    assert support.status_code == 403 and Variation.objects.count() == 3


def test_a_variation_connection_sends_only_its_users_under_the_variant_name(tenant, other_tenant, receiver):
    generate_profiles(tenant, 3_000)
    audience = calculated_audience(tenant, age_below(50))
    api = _api(tenant.account)
    api.put(
        _url(audience),
        {"variations": [{"percent": 40, "name": "Email"}, {"percent": 40, "name": "Push"}]},
        content_type="application/json",
    )
    email = Variation.objects.get(audience=audience, name="Email")
    configuration = webhook_configuration(tenant.account, receiver.url + "/hook")

    # A variation of another audience (or account) is refused and nothing is created.
    generate_profiles(other_tenant, 10, start=9_000_000_000)
    elsewhere = calculated_audience(other_tenant, age_below(100), name="Elsewhere")
    refused = api.post(
        f"/platform/v1/audiences/{elsewhere.pk}/connections",
        {"output_configuration_id": configuration.pk, "variation_id": email.pk},
        content_type="application/json",
    )
    assert refused.status_code == 404  # another account's audience is not visible at all
    second = calculated_audience(tenant, age_below(10), name="Second")
    refused = api.post(
        f"/platform/v1/audiences/{second.pk}/connections",
        {"output_configuration_id": configuration.pk, "variation_id": email.pk},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert refused.json()["errors"] == [{"path": "variation_id", "message": "no such A/B variation of this audience"}]
    assert not Connection.objects.exists()

    created = api.post(
        f"/platform/v1/audiences/{audience.pk}/connections",
        {"output_configuration_id": configuration.pk, "variation_id": email.pk},
        content_type="application/json",
    )
    assert created.status_code == 201
    connection = Connection.objects.get()
    forwarding.forward(connection.pk)

    def in_email() -> set[int]:
        return set(Member.objects.filter(audience=audience, variation_id=email.pk).values_list("mpid", flat=True))

    assert receiver.members() == in_email()
    assert 0.3 < len(in_email()) / audience.members.count() < 0.5
    assert {(b["audience"]["name"], b["audience"]["variation"]) for b in receiver.batches} == {
        ("Low engagement", "Email")
    }

    # New members follow through the log, still only this variation's.
    Audience.objects.filter(pk=audience.pk).update(definition=age_below(80))
    audience.refresh_from_db()
    calculate(audience)
    forwarding.forward(connection.pk)
    assert receiver.members() == in_email()

    # Bulk connect refuses an audience with a test, saying why.
    results = services.connect_audiences(configuration, [audience.pk], acting_user=tenant.admin)
    assert results[0].error == "this audience has an A/B test: connect its variations one by one"

    # Ending the test deletes the variation's connection; nothing more is sent for it.
    connection.refresh_from_db()
    assert connection.connected_at is not None
    ended = api.delete(_url(audience))
    assert ended.status_code == 200 and ended.json() == {"deleted_connections": 1}
    assert not Connection.objects.exists() and not Variation.objects.exists()
    assert DownstreamDeletion.objects.get().variation == "Email"
    batches = len(receiver.batches)
    Audience.objects.filter(pk=audience.pk).update(definition=age_below(30))
    audience.refresh_from_db()
    calculate(audience)
    for connection_id in Connection.objects.values_list("pk", flat=True):
        forwarding.forward(connection_id)
    assert len(receiver.batches) == batches
    assert api.get(_url(audience)).json()["variations"][0]["name"] == "Control"
