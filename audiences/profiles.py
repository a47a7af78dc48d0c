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


def delete_profile(profile: Profile) -> list[int]:
    """Forget a person: drop them from every audience (through the change log, so outputs hear
    of it), then delete their identities, workspace data and events. Answers the audiences.

    The identities are set aside in `ErasedProfile` just long enough for the drops to reach
    the outputs."""
    from collections import defaultdict

    from django.db import connection, transaction
    from django.utils import timezone

    from audiences.calculation import drop_from_every_audience
    from audiences.models import ErasedProfile

    identities: dict[str, set[str]] = defaultdict(set)
    for kind, value in Identity.objects.filter(profile=profile).values_list("identity_type", "value"):
        identities[kind].add(value)
    with transaction.atomic():
        ErasedProfile.objects.update_or_create(
            mpid=profile.mpid,
            defaults={
                "account_id": profile.account_id,
                "identities": {kind: sorted(values) for kind, values in sorted(identities.items())},
                "erased_at": timezone.now(),
            },
        )
        audience_ids = drop_from_every_audience(profile.mpid, profile.account_id)
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM audiences_event WHERE account_id = %s AND mpid = %s", [profile.account_id, profile.mpid]
            )
        profile.delete()
    return audience_ids


def purge_erased(now=None, days: int = 30) -> int:
    """Forget the identities of profiles deleted more than `days` ago."""
    import datetime as dt

    from django.utils import timezone

    from audiences.models import ErasedProfile

    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    deleted, _ = ErasedProfile.objects.filter(erased_at__lt=cutoff).delete()
    return deleted
