"""A profile page lists the audiences the profile is in, each with the engine's "why"."""

from __future__ import annotations

from django.urls import reverse

from audiences.calculation import calculate
from audiences.models import Member
from tests.web.audiences.conftest import TUTORIAL


def test_a_member_sees_each_audience_with_the_criteria_it_met(tenant, client_for, tutorial):
    from audiences import services

    services.update_audience(tutorial, acting_user=tenant.marketer, definition=TUTORIAL)
    calculate(tutorial)
    mpid = Member.objects.filter(audience=tutorial).values_list("mpid", flat=True).first()
    page = client_for(tenant.support).get(reverse("audiences:profile_detail", args=[mpid])).content.decode()
    assert "Audience memberships" in page and "Paris premium" in page
    assert "This profile meets the criteria." in page
    assert page.count('class="matched"') == 2 and "AND" in page


def test_a_profile_in_no_audience_says_so(tenant, client_for, tutorial):
    mpid = tenant.account.profiles.values_list("mpid", flat=True).first()
    page = client_for(tenant.marketer).get(reverse("audiences:profile_detail", args=[mpid])).content.decode()
    assert "Not a member of any audience right now." in page
