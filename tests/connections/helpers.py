"""Building blocks for forwarding tests: an audience with members and log rows, a receiver."""

from __future__ import annotations

import hashlib
import hmac
import threading

from django.utils import timezone

from audiences.models import Audience, Member, MembershipChange, Profile, ProfileWorkspace
from audiences.models.profiles import Identity
from outputs.models import OutputConfiguration
from tests.partners.stub import Answer, PartnerStub, Received

SECRET = "receiver-shared-secret-123"


class Receiver(PartnerStub):
    """A customer's webhook endpoint: verifies signatures and keeps each user's last state."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[dict] = []
        self.seen_batches: set[str] = set()
        self.state: dict[int, bool] = {}
        self.history: dict[int, list[bool]] = {}
        self.guard = threading.Lock()

    def handle(self, request: Received) -> Answer:
        expected = "sha256=" + hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
        if request.headers.get("x-openaudience-signature") != expected:
            return Answer(401, {"error": "signature mismatch"})
        body = request.json()
        with self.guard:
            if body.get("batch_id") in self.seen_batches:
                return Answer(200, {"duplicate": True})
            self.seen_batches.add(body.get("batch_id"))
            self.batches.append(body)
            for member in body.get("adds", []):
                self.state[member["mpid"]] = True
                self.history.setdefault(member["mpid"], []).append(True)
            for member in body.get("drops", []):
                self.state[member["mpid"]] = False
                self.history.setdefault(member["mpid"], []).append(False)
        return Answer(200, {"ok": True})

    def members(self) -> set[int]:
        return {mpid for mpid, present in self.state.items() if present}


def webhook_configuration(account, url: str, secret: str = SECRET, name: str = "Receiver") -> OutputConfiguration:
    configuration = OutputConfiguration(account=account, partner="webhook", name=name)
    configuration.settings = {"url": url, "secret": secret}
    configuration.save()
    return configuration


def add_profiles(tenant, mpids, *, email: bool = True) -> None:
    now = timezone.now()
    mpids = list(mpids)
    Profile.objects.bulk_create(
        [Profile(mpid=m, account=tenant.account, sample_bucket=0, created_at=now) for m in mpids], ignore_conflicts=True
    )
    ProfileWorkspace.objects.bulk_create(
        [
            ProfileWorkspace(
                profile_id=m,
                workspace=tenant.workspace,
                first_seen=now,
                last_seen=now,
                user_attributes={"status": "Premium", "age": 30},
            )
            for m in mpids
        ],
        ignore_conflicts=True,
    )
    if email:
        Identity.objects.bulk_create(
            [
                Identity(
                    account=tenant.account,
                    profile_id=m,
                    workspace=tenant.workspace,
                    identity_type="email",
                    value=f"user{m}@example.com",
                    first_seen=now,
                    last_seen=now,
                )
                for m in mpids
            ],
            ignore_conflicts=True,
        )


def audience_with_members(tenant, mpids, name: str = "Paris fans") -> Audience:
    audience = Audience.objects.create(account=tenant.account, name=name, external_name=f"{name} (ext)")
    audience.workspaces.add(tenant.workspace)
    add_profiles(tenant, mpids)
    change(audience, mpids, added=True)
    return audience


def change(audience: Audience, mpids, *, added: bool) -> None:
    """What the engine does: move members and append to the log, in one go."""
    now = timezone.now()
    if added:
        Member.objects.bulk_create([Member(audience=audience, mpid=m, added_at=now) for m in mpids])
    else:
        Member.objects.filter(audience=audience, mpid__in=list(mpids)).delete()
    MembershipChange.objects.bulk_create(
        [MembershipChange(audience=audience, mpid=m, added=added, at=now) for m in mpids]
    )
