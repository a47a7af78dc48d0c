"""Deleting a profile drops the user from every audience through the log; outputs hear of it."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.tokens import create_token
from audiences.models import ErasedProfile, Identity, Member, MembershipChange, Profile
from connections import forwarding, services
from tests.connections.helpers import Receiver, audience_with_members, webhook_configuration


@pytest.fixture
def receiver():
    with Receiver() as stub:
        yield stub


def test_deleting_a_profile_drops_it_everywhere_and_the_partner_gets_the_drop(tenant, other_tenant, receiver):
    first = audience_with_members(tenant, [1, 2], name="First")
    second = audience_with_members(tenant, [1], name="Second")
    connection = services.create_connection(
        first, webhook_configuration(tenant.account, receiver.url), acting_user=tenant.admin
    )
    forwarding.forward(connection.pk)
    assert receiver.members() == {1, 2}
    admin = Client(
        headers={"Authorization": "Bearer " + create_token(account=tenant.account, name="a", role="admin")[1]}
    )
    outsider = Client(
        headers={"Authorization": "Bearer " + create_token(account=other_tenant.account, name="o", role="admin")[1]}
    )
    marketer = Client(
        headers={"Authorization": "Bearer " + create_token(account=tenant.account, name="m", role="marketer")[1]}
    )
    assert outsider.delete("/platform/v1/profiles/1").status_code == 404
    assert marketer.delete("/platform/v1/profiles/1").status_code == 403
    assert admin.delete("/platform/v1/profiles/1").status_code == 204
    assert not Profile.objects.filter(mpid=1).exists()
    assert not Identity.objects.filter(profile_id=1).exists()
    assert not Member.objects.filter(mpid=1).exists()
    for audience in (first, second):
        assert list(MembershipChange.objects.filter(audience=audience, mpid=1).values_list("added", flat=True)) == [
            True,
            False,
        ]
    forwarding.forward(connection.pk)
    assert receiver.members() == {2}
    assert receiver.batches[-1]["drops"][0]["identities"] == {"email": ["user1@example.com"]}
    assert ErasedProfile.objects.filter(mpid=1).exists()
