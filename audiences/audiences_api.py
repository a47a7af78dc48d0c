"""Platform API: audiences (list, create, read, change, delete, activate, members, clone)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status
from pydantic import Field

from accounts.api import ApiError, Id, TokenAuth, caller, require_editor
from audiences import services, standard
from audiences.metrics import with_metrics
from audiences.models import Audience, AudienceKind, Member, Tag

router = Router(tags=["Platform API: audiences"], auth=TokenAuth())


class Error(Schema):
    path: str
    message: str


class Errors(Schema):
    errors: list[Error]


class StandardOut(Schema):
    date_range: dict[str, Any] = Field(
        description='{"all": true} or {"start": "YYYY-MM-DD", "end": "YYYY-MM-DD" or "most_recent"}'
    )
    state: Literal["draft", "calculating", "ready", "expired"]
    progress: float
    calculated_at: dt.datetime | None
    expires_at: dt.datetime | None
    last_sent_at: dt.datetime | None
    error: str | None


class AudienceOut(Schema):
    id: int
    name: str
    external_name: str
    kind: str
    scope: Literal["single", "multi"]
    workspace_ids: list[int]
    input_ids: list[int]
    status: str
    access: str
    tags: list[str]
    size: int
    adds_24h: int
    drops_24h: int
    volatility: float | None
    connected_outputs: int
    created_by: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    definition: dict[str, Any] | None = None
    standard: StandardOut | None = Field(default=None, description="Standard audiences only; null otherwise.")


class AudienceCreate(Schema):
    name: str
    external_name: str = ""
    kind: Literal["realtime", "standard"] = "realtime"
    workspace_ids: list[Id] = Field(min_length=1)
    input_ids: list[Id] | None = None
    definition: dict[str, Any] | None = None
    tags: list[str] = []
    access: Literal["private", "view_only", "usable"] = "private"
    date_range: dict[str, Any] | None = Field(default=None, description="Standard audiences: the dates scanned.")

    model_config = {"extra": "forbid"}


class AudienceChange(Schema):
    name: str | None = None
    external_name: str | None = None
    definition: dict[str, Any] | None = None
    tags: list[str] | None = None
    access: Literal["private", "view_only", "usable"] | None = None
    input_ids: list[Id] | None = None
    date_range: dict[str, Any] | None = Field(default=None, description="Standard drafts: the dates scanned.")

    model_config = {"extra": "forbid"}


class AudienceFilter(Schema):
    kind: Literal["realtime", "standard"] | None = None
    scope: Literal["single", "multi"] | None = None
    tag: list[str] = Field(default_factory=list, description="Repeatable; every tag given must be on the audience.")
    q: str | None = Field(default=None, max_length=100)
    limit: int = Field(default=100, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=1_000_000)


def _audiences(request: HttpRequest):
    return Audience.objects.filter(account=caller(request).account)


def _with_relations(queryset):
    return with_metrics(
        queryset.select_related("created_by").prefetch_related(
            "workspaces", "inputs", Prefetch("tags", queryset=Tag.objects.order_by("name"))
        )
    )


def _out(audiences: list[Audience], *, with_definition: bool = False) -> list[dict[str, Any]]:
    rows = []
    for audience in audiences:
        rows.append(
            {
                "id": audience.pk,
                "name": audience.name,
                "external_name": audience.forwarded_name,
                "kind": audience.kind,
                "scope": "multi" if audience.multi_workspace else "single",
                "workspace_ids": sorted(w.pk for w in audience.workspaces.all()),
                "input_ids": sorted(i.pk for i in audience.inputs.all()),
                "status": audience.status,
                "access": audience.access,
                "tags": [t.name for t in audience.tags.all()],
                "size": audience.size,
                "adds_24h": audience.adds_24h,
                "drops_24h": audience.drops_24h,
                "volatility": audience.volatility,
                "connected_outputs": audience.connected_outputs,
                "created_by": audience.created_by.get_username() if audience.created_by else None,
                "created_at": audience.created_at,
                "updated_at": audience.updated_at,
                "definition": audience.definition if with_definition else None,
                "standard": _standard_out(audience) if audience.kind == AudienceKind.STANDARD else None,
            }
        )
    return rows


def _standard_out(audience: Audience) -> dict[str, Any]:
    return {
        "date_range": standard.date_range_of(audience),
        "state": audience.standard_state,
        "progress": audience.calculation_progress,
        "calculated_at": audience.calculated_at if audience.standard_state != "draft" else None,
        "expires_at": audience.expires_at,
        "last_sent_at": audience.last_sent_at,
        "error": audience.calculation_error or None,
    }


def _one(request: HttpRequest, audience_id: int) -> Audience:
    """The caller's audience or a 404; another account's audience does not exist for them."""
    if not 0 < audience_id < 2**63:
        raise Http404("no such audience")
    return get_object_or_404(_with_relations(_audiences(request)), pk=audience_id)


def _refused(exc: services.AudienceRefused) -> ApiError:
    return ApiError.many(400, exc.errors)


@router.get("/audiences", response=list[AudienceOut], summary="List audiences with their metrics")
def list_audiences(request: HttpRequest, filters: Query[AudienceFilter]) -> list[dict[str, Any]]:
    queryset = _audiences(request)
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.scope:
        queryset = queryset.filter(multi_workspace=filters.scope == "multi")
    for tag in filters.tag:
        queryset = queryset.filter(tags__name__iexact=tag)
    if filters.q:
        queryset = queryset.filter(name__icontains=filters.q)
    page = list(_with_relations(queryset.order_by("name", "pk"))[filters.offset : filters.offset + filters.limit])
    return _out(page)


@router.post("/audiences", response={201: AudienceOut, 400: Errors, 403: Errors}, summary="Create an audience")
def create_audience(request: HttpRequest, payload: AudienceCreate) -> Status:
    token = require_editor(request)
    fields = {
        "account": token.account,
        "acting_user": token.created_by,
        "name": payload.name,
        "external_name": payload.external_name,
        "workspace_ids": payload.workspace_ids,
        "input_ids": payload.input_ids,
        "definition": payload.definition,
        "tags": payload.tags,
    }
    if payload.kind != AudienceKind.STANDARD and payload.date_range is not None:
        raise ApiError(400, "date_range", "only standard audiences have a date range")
    if payload.kind == AudienceKind.STANDARD and payload.date_range is None:
        raise ApiError(400, "date_range", 'a standard audience needs a date range, {"all": true} for all data')
    try:
        if payload.kind == AudienceKind.STANDARD:
            audience = standard.create(**fields, date_range=payload.date_range, access=payload.access)
        else:
            audience = services.create_audience(**fields, kind=payload.kind, access=payload.access)
    except services.AudienceRefused as exc:
        raise _refused(exc) from None
    except standard.StandardRefused as exc:
        raise ApiError.many(exc.status, exc.errors) from None
    return Status(201, _out([_one(request, audience.pk)], with_definition=True)[0])


@router.get("/audiences/{audience_id}", response=AudienceOut, summary="One audience with its definition")
def get_audience(request: HttpRequest, audience_id: int) -> dict[str, Any]:
    return _out([_one(request, audience_id)], with_definition=True)[0]


@router.patch("/audiences/{audience_id}", response={200: AudienceOut, 400: Errors, 403: Errors})
def change_audience(request: HttpRequest, audience_id: int, payload: AudienceChange) -> dict[str, Any]:
    token = require_editor(request)
    audience = _one(request, audience_id)
    changes = payload.model_dump(exclude_unset=True)
    date_range = changes.pop("date_range", None)
    try:
        with transaction.atomic():
            if date_range is not None:
                standard.change_date_range(audience, date_range, acting_user=token.created_by)
            services.update_audience(audience, acting_user=token.created_by, **changes)
    except services.AudienceRefused as exc:
        raise _refused(exc) from None
    except standard.StandardRefused as exc:
        raise ApiError.many(exc.status, exc.errors) from None
    return _out([_one(request, audience_id)], with_definition=True)[0]


class NestingAudience(Schema):
    id: int
    name: str
    created_by: str | None


class InUse(Schema):
    errors: list[Error]
    nesting_audiences: list[NestingAudience]


@router.delete("/audiences/{audience_id}", response={204: None, 403: Errors, 409: InUse | Errors})
def delete_audience(request: HttpRequest, audience_id: int):
    token = require_editor(request)
    audience = _one(request, audience_id)
    try:
        services.delete_audience(audience, acting_user=token.created_by)
    except services.AudienceRefused as exc:
        raise ApiError.many(409, exc.errors) from None
    except services.AudienceInUse as exc:
        nesting = [
            {"id": a.pk, "name": a.name, "created_by": a.created_by.get_username() if a.created_by else None}
            for a in exc.nesting
        ]
        return Status(
            409,
            {
                "errors": [{"path": "$", "message": "other audiences use this one as a criterion; change them first"}],
                "nesting_audiences": nesting,
            },
        )
    return HttpResponse(status=204)


class Accepted(Schema):
    id: int
    status: str


@router.post("/audiences/{audience_id}/activate", response={202: Accepted, 400: Errors, 403: Errors})
def activate(request: HttpRequest, audience_id: int) -> Status:
    token = require_editor(request)
    audience = _one(request, audience_id)
    try:
        services.activate(audience, acting_user=token.created_by)
    except services.AudienceRefused as exc:
        raise _refused(exc) from None
    return Status(202, {"id": audience.pk, "status": audience.status})


@router.post("/audiences/{audience_id}/deactivate", response={202: Accepted, 403: Errors})
def deactivate(request: HttpRequest, audience_id: int) -> Status:
    token = require_editor(request)
    audience = _one(request, audience_id)
    services.deactivate(audience, acting_user=token.created_by)
    return Status(202, {"id": audience.pk, "status": audience.status})


class CalculationOut(Schema):
    state: str
    progress: float
    calculated_at: dt.datetime | None
    error: str | None


@router.get("/audiences/{audience_id}/calculation", response=CalculationOut)
def calculation(request: HttpRequest, audience_id: int) -> dict[str, Any]:
    audience = _one(request, audience_id)
    return {
        "state": audience.calculation_state,
        "progress": audience.calculation_progress,
        "calculated_at": audience.calculated_at,
        "error": audience.calculation_error or None,
    }


class MembersQuery(Schema):
    after: int | None = Field(default=None, ge=-(2**63), le=2**63 - 1, description="Answer mpids above this one.")
    limit: int = Field(default=1000, ge=1, le=10000)


class MembersOut(Schema):
    mpids: list[int]
    next: int | None = Field(description="Pass as `after` for the next page; null on the last page.")


@router.get("/audiences/{audience_id}/members", response=MembersOut, summary="Current members, by ascending mpid")
def members(request: HttpRequest, audience_id: int, page: Query[MembersQuery]) -> dict[str, Any]:
    audience = _one(request, audience_id)
    queryset = Member.objects.filter(audience=audience).order_by("mpid")
    if page.after is not None:
        queryset = queryset.filter(mpid__gt=page.after)
    mpids = list(queryset.values_list("mpid", flat=True)[: page.limit + 1])
    more = len(mpids) > page.limit
    mpids = mpids[: page.limit]
    return {"mpids": mpids, "next": mpids[-1] if more else None}


@router.post("/audiences/{audience_id}/clone", response={201: AudienceOut, 403: Errors})
def clone(request: HttpRequest, audience_id: int) -> Status:
    token = require_editor(request)
    original = _one(request, audience_id)
    # A standard audience's copy keeps its date range: it is how an expired one is calculated again.
    clone_of = standard.clone if original.kind == AudienceKind.STANDARD else services.clone_audience
    copy = clone_of(original, acting_user=token.created_by)
    return Status(201, _out([_one(request, copy.pk)], with_definition=True)[0])


class EstimateOut(Schema):
    state: Literal["ok", "too_small", "error"]
    estimate: int | None
    low: int | None
    high: int | None
    sample_fraction: float
    message: str | None
    criteria: list[dict[str, Any]]


@router.get("/audiences/{audience_id}/estimate", response=EstimateOut, summary="Estimate of a saved audience")
def estimate_audience(request: HttpRequest, audience_id: int) -> dict[str, Any]:
    from audiences import estimator
    from audiences.criteria.scope import Scope

    audience = _one(request, audience_id)
    if not audience.definition:
        return estimator.failed("add at least one criterion to see an estimate").as_json()
    return estimator.estimate(audience.definition, Scope.of(audience)).as_json()


class EstimateIn(Schema):
    workspace_ids: list[Id] = Field(min_length=1, max_length=50)
    input_ids: list[Id] | None = None
    definition: dict[str, Any]
    model_config = {"extra": "forbid"}


@router.post("/estimate", response=EstimateOut, summary="Estimate a definition that is not saved")
def estimate_definition(request: HttpRequest, payload: EstimateIn) -> dict[str, Any]:
    from accounts.models import Workspace
    from audiences import estimator
    from audiences.criteria.scope import Scope
    from audiences.models import Input

    account = caller(request).account
    found = set(Workspace.objects.filter(account=account, pk__in=payload.workspace_ids).values_list("pk", flat=True))
    for index, pk in enumerate(payload.workspace_ids):
        if pk not in found:
            raise ApiError(400, f"workspace_ids[{index}]", f"no workspace {pk} in this account")
    if payload.input_ids is None:
        inputs = Input.objects.filter(workspace_id__in=found).values_list("pk", flat=True)
    else:
        # Inputs outside these workspaces make the estimate an error with a message, as in the builder.
        inputs = payload.input_ids
    scope = Scope(
        account_id=account.pk,
        workspace_ids=tuple(sorted(found)),
        input_ids=tuple(sorted(inputs)),
        multi_workspace=len(found) > 1,
    )
    return estimator.estimate(payload.definition, scope).as_json()
