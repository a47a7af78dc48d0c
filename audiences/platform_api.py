"""Platform API: workspaces and profiles (audiences join in a later module)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema
from pydantic import Field

from accounts.api import ApiError, TokenAuth, caller
from accounts.models import Workspace
from audiences.ingestion.wire import IDENTITY_TYPES
from audiences.models import Member, Profile
from audiences.profiles import describe

router = Router(tags=["Platform API"], auth=TokenAuth())


class InputOut(Schema):
    id: int
    name: str
    platform: str
    enabled: bool
    api_key: str


class WorkspaceOut(Schema):
    id: int
    name: str
    inputs: list[InputOut]


@router.get("/workspaces", response=list[WorkspaceOut], summary="Workspaces with their inputs")
def list_workspaces(request: HttpRequest) -> list[dict[str, Any]]:
    workspaces = Workspace.objects.filter(account=caller(request).account).prefetch_related("inputs")
    return [
        {
            "id": workspace.pk,
            "name": workspace.name,
            "inputs": [
                {"id": s.pk, "name": s.name, "platform": s.platform, "enabled": s.enabled, "api_key": s.api_key}
                for s in workspace.inputs.all()
            ],
        }
        for workspace in workspaces
    ]


class IdentityOut(Schema):
    identity_type: str
    value: str
    workspace_id: int


class ProfileWorkspaceOut(Schema):
    workspace_id: int
    first_seen: dt.datetime
    last_seen: dt.datetime
    user_attributes: dict[str, Any]
    consent: dict[str, Any]
    device: dict[str, Any]
    latitude: float | None
    longitude: float | None
    install_attribution: dict[str, Any] | None
    uninstall_attribution: dict[str, Any] | None


class MembershipOut(Schema):
    audience_id: int
    audience_name: str
    variation_id: int | None
    added_at: dt.datetime


class ProfileOut(Schema):
    mpid: int
    created_at: dt.datetime
    identities: list[IdentityOut]
    workspaces: list[ProfileWorkspaceOut]
    audiences: list[MembershipOut]


def _profile_out(profile: Profile) -> dict[str, Any]:
    view = describe(profile, recent=0)
    memberships = Member.objects.filter(mpid=profile.mpid, audience__account_id=profile.account_id).select_related(
        "audience"
    )
    return {
        "mpid": profile.mpid,
        "created_at": profile.created_at,
        "identities": [
            {"identity_type": i.identity_type, "value": i.value, "workspace_id": i.workspace_id}
            for i in view.identities
        ],
        "workspaces": [
            {
                "workspace_id": place.workspace_id,
                "first_seen": place.first_seen,
                "last_seen": place.last_seen,
                "user_attributes": place.user_attributes,
                "consent": place.consent,
                "device": place.device,
                "latitude": place.latitude,
                "longitude": place.longitude,
                "install_attribution": place.install_attribution,
                "uninstall_attribution": place.uninstall_attribution,
            }
            for place in view.workspaces
        ],
        "audiences": [
            {
                "audience_id": member.audience_id,
                "audience_name": member.audience.name,
                "variation_id": member.variation_id,
                "added_at": member.added_at,
            }
            for member in memberships
        ],
    }


@router.get("/profiles/{mpid}", response=ProfileOut, summary="One profile")
def get_profile(request: HttpRequest, mpid: int) -> dict[str, Any]:
    if not -(2**63) <= mpid < 2**63:
        raise Http404("no such profile")
    profile = get_object_or_404(Profile, mpid=mpid, account=caller(request).account)
    return _profile_out(profile)


class IdentityQuery(Schema):
    identity_type: str = Field(description="An identity type as the Events API names it, e.g. email")
    value: str = Field(min_length=1, max_length=500)


@router.get("/profiles", response=list[ProfileOut], summary="Profiles holding an identity")
def find_by_identity(request: HttpRequest, query: Query[IdentityQuery]) -> list[dict[str, Any]]:
    if query.identity_type not in IDENTITY_TYPES:
        raise ApiError(400, "identity_type", f"unknown identity type {query.identity_type!r}")
    profiles = Profile.objects.filter(
        account=caller(request).account,
        identities__identity_type=query.identity_type,
        identities__value=query.value,
    ).distinct()[:100]
    return [_profile_out(profile) for profile in profiles]


@router.delete("/profiles/{mpid}", response={204: None}, summary="Delete a profile; it is dropped from every audience")
def delete_profile(request: HttpRequest, mpid: int):
    from django.http import HttpResponse

    from accounts.api import require_admin
    from audiences.profiles import delete_profile as forget

    token = require_admin(request)
    if not -(2**63) <= mpid < 2**63:
        raise Http404("no such profile")
    forget(get_object_or_404(Profile, mpid=mpid, account=token.account))
    return HttpResponse(status=204)
