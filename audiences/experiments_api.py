"""Platform API: an audience's A/B test and audience downloads."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from pydantic import Field

from accounts.api import ApiError, TokenAuth, caller, require_editor
from audiences import downloads, variations
from audiences.models import Audience, Download, DownloadState

router = Router(tags=["Platform API: A/B tests and downloads"], auth=TokenAuth())


class VariationOut(Schema):
    id: int | None
    name: str
    percent: int
    control: bool


class ABTestOut(Schema):
    audience_id: int
    saved: bool
    variations: list[VariationOut]


class VariationIn(Schema):
    name: str = Field(default="", max_length=100)
    percent: int
    model_config = {"extra": "forbid"}


class ABTestIn(Schema):
    variations: list[VariationIn]
    model_config = {"extra": "forbid"}


class DeletedOut(Schema):
    deleted_connections: int


class DownloadIn(Schema):
    identity_types: list[str] = Field(min_length=1, max_length=50)
    variation_ids: list[int] = Field(default=[], max_length=6)
    sample: bool = False
    at: dt.datetime | None = None
    since: dt.datetime | None = None
    model_config = {"extra": "forbid"}


class DownloadOut(Schema):
    id: str
    audience_id: int
    state: str
    progress: float
    identity_types: list[str]
    variation_ids: list[int]
    sample: bool
    at: dt.datetime | None
    since: dt.datetime | None
    total_rows: int
    error: str
    url: str | None
    expires_at: dt.datetime | None
    created_at: dt.datetime


def _audience(request: HttpRequest, audience_id: int) -> Audience:
    if not 0 < audience_id < 2**63:
        raise Http404("no such audience")
    return get_object_or_404(Audience, pk=audience_id, account=caller(request).account)


def _test_out(audience: Audience) -> dict[str, Any]:
    return {
        "audience_id": audience.pk,
        "saved": variations.has_test(audience),
        "variations": [
            {"id": s.id, "name": s.name, "percent": s.percent, "control": s.is_control}
            for s in variations.splits(audience)
        ],
    }


@router.get("/audiences/{audience_id}/ab-test", response=ABTestOut)
def get_test(request: HttpRequest, audience_id: int) -> dict[str, Any]:
    """The audience's variations; without a test, a single Control at 100%."""
    return _test_out(_audience(request, audience_id))


@router.put("/audiences/{audience_id}/ab-test", response={201: ABTestOut})
def save_test(request: HttpRequest, audience_id: int, payload: ABTestIn) -> Status:
    """Save the test (Control is the rest). A saved test is fixed: a second PUT is a 409."""
    token = require_editor(request)
    audience = _audience(request, audience_id)
    try:
        variations.save_test(
            audience,
            [variations.VariationIn(percent=v.percent, name=v.name) for v in payload.variations],
            acting_user=token.created_by,
        )
    except variations.TestRefused as refused:
        raise ApiError.many(refused.status, refused.errors) from None
    return Status(201, _test_out(audience))


@router.delete("/audiences/{audience_id}/ab-test", response=DeletedOut)
def delete_test(request: HttpRequest, audience_id: int) -> dict[str, int]:
    """End the test: its variations and every connection made for them are deleted."""
    require_editor(request)
    audience = _audience(request, audience_id)
    try:
        deleted = variations.delete_test(audience)
    except variations.TestRefused as refused:
        raise ApiError.many(refused.status, refused.errors) from None
    return {"deleted_connections": deleted}


def _download_out(request: HttpRequest, download: Download) -> dict[str, Any]:
    ready = download.state == DownloadState.READY and not downloads.is_expired(download)
    return {
        "id": str(download.uid),
        "audience_id": download.audience_id,
        "state": "expired" if download.state == DownloadState.READY and not ready else download.state,
        "progress": download.progress,
        "identity_types": download.identity_types,
        "variation_ids": download.variation_ids,
        "sample": download.sample,
        "at": download.at,
        "since": download.since,
        "total_rows": download.total_rows,
        "error": download.error,
        # The file link asks for a signed-in person of the account (not a token).
        "url": request.build_absolute_uri(download.file_url()) if ready else None,
        "expires_at": download.expires_at,
        "created_at": download.created_at,
    }


@router.post("/audiences/{audience_id}/downloads", response={202: DownloadOut})
def request_download(request: HttpRequest, audience_id: int, payload: DownloadIn) -> Status:
    """Queue a download; poll GET /downloads/{id} for its progress and link."""
    token = caller(request)
    audience = _audience(request, audience_id)
    try:
        download = downloads.request_download(
            audience,
            requested_by=token.created_by,
            identity_types=payload.identity_types,
            variation_ids=payload.variation_ids,
            sample=payload.sample,
            at=payload.at,
            since=payload.since,
        )
    except downloads.DownloadRefused as refused:
        raise ApiError.many(refused.status, refused.errors) from None
    return Status(202, _download_out(request, download))


@router.get("/downloads/{download_id}", response=DownloadOut)
def get_download(request: HttpRequest, download_id: str) -> dict[str, Any]:
    """A download's state and progress, and its link once ready."""
    try:
        uid = uuid.UUID(download_id)
    except ValueError:
        raise Http404("no such download") from None
    download = Download.objects.filter(uid=uid, account=caller(request).account).first()
    if download is None:
        raise Http404("no such download")
    return _download_out(request, download)
