"""Looking up profiles and what we know of them."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from accounts.models import Account
from audiences.models import Event, Identity, Profile, ProfileWorkspace


def find_profiles(account: Account, query: str) -> QuerySet[Profile]:
    """Profiles of the account whose mpid is `query` or that hold an identity equal to it."""
    query = query.strip()
    by_identity = Identity.objects.filter(account=account, value=query).values("profile_id")
    found = Profile.objects.filter(account=account, mpid__in=by_identity)
    try:
        mpid = int(query)
    except ValueError:
        return found
    if -(2**63) <= mpid < 2**63:
        found = found | Profile.objects.filter(account=account, mpid=mpid)
    return found.distinct()


@dataclass
class ProfileView:
    profile: Profile
    workspaces: list[ProfileWorkspace]
    identities: list[Identity]
    events: list[Event]


def describe(profile: Profile, *, recent: int = 50) -> ProfileView:
    return ProfileView(
        profile=profile,
        workspaces=list(ProfileWorkspace.objects.filter(profile=profile).select_related("workspace")),
        identities=list(Identity.objects.filter(profile=profile).select_related("workspace")),
        events=list(
            Event.objects.filter(account_id=profile.account_id, mpid=profile.mpid)
            .select_related("workspace", "input")
            .order_by("-timestamp")[:recent]
        ),
    )
