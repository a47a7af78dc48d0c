"""Platform API: standard audiences' calculations (with the credit preview), credits, and Send.

Creating a standard audience (`kind: "standard"` with `date_range`) and reading its state are
the audiences endpoints' (audiences_api.py); the logic is audiences.standard's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from pydantic import Field

from accounts.api import ApiError, Id, TokenAuth, caller, require_editor
from audiences import standard
from audiences.models import Audience, AudienceKind, StandardCalculation

router = Router(tags=["Platform API: standard audiences"], auth=TokenAuth())


class Error(Schema):
    path: str
    message: str


class Errors(Schema):
    errors: list[Error]


class CalculationIn(Schema):
    audience_ids: list[Id] = Field(min_length=1, max_length=100)
    confirm: bool = Field(description="false: only answer what it would cost; true: spend the credits and start.")
    model_config = {"extra": "forbid"}


class CalculationOut(Schema):
    id: int | None = Field(description="The started calculation; null for a preview.")
    state: str | None
    progress: float
    error: str | None
    audience_ids: list[int]
    credits: int = Field(description="Credits the calculation costs (or cost).")
    balance: int = Field(description="The account's balance after it started (before, for a preview).")
    created_at: dt.datetime | None
    finished_at: dt.datetime | None


class LedgerEntryOut(Schema):
    at: dt.datetime
    change: int
    reason: str
    balance_after: int
    calculation_id: int | None
    note: str
    by: str | None


class CreditsOut(Schema):
    balance: int
    ledger: list[LedgerEntryOut]


class SendIn(Schema):
    connection_ids: list[Id] = Field(min_length=1, max_length=100)
    model_config = {"extra": "forbid"}


class SendOut(Schema):
    audience_id: int
    last_sent_at: dt.datetime | None
    connection_ids: list[int]


def _calculation_out(calculation: StandardCalculation, balance: int) -> dict[str, Any]:
    return {
        "id": calculation.pk,
        "state": calculation.state,
        "progress": calculation.progress,
        "error": calculation.error or None,
        "audience_ids": sorted(a.pk for a in calculation.audiences.all()),
        "credits": calculation.credits,
        "balance": balance,
        "created_at": calculation.created_at,
        "finished_at": calculation.finished_at,
    }


def _each_of(queryset, ids: list[int], path: str, missing: str) -> list:
    """The rows with these ids, in their order; a 400 naming each id the queryset lacks."""
    found = {row.pk: row for row in queryset.filter(pk__in=ids)}
    errors = [
        {"path": f"{path}[{index}]", "message": missing.format(pk)} for index, pk in enumerate(ids) if pk not in found
    ]
    if errors:
        raise ApiError.many(400, errors)
    return [found[pk] for pk in ids]


def _standard_audience(request: HttpRequest, audience_id: int) -> Audience:
    if not 0 < audience_id < 2**63:
        raise Http404("no such audience")
    return get_object_or_404(Audience, account=caller(request).account, kind=AudienceKind.STANDARD, pk=audience_id)


@router.post(
    "/standard-calculations",
    response={200: CalculationOut, 202: CalculationOut, 400: Errors, 403: Errors, 409: Errors},
    summary="Preview (confirm false) or start (confirm true) the calculation of draft standard audiences",
)
def calculate(request: HttpRequest, payload: CalculationIn) -> Status:
    token = require_editor(request)
    account = token.account
    audiences = _each_of(
        Audience.objects.filter(account=account), payload.audience_ids, "audience_ids", "no audience {} in this account"
    )
    if not payload.confirm:
        errors = standard.calculation_refusals(audiences, account)
        if errors:
            raise ApiError.many(400, errors)
        preview = {
            "id": None,
            "state": None,
            "progress": 0.0,
            "error": None,
            "audience_ids": sorted({a.pk for a in audiences}),
            "credits": standard.credits_needed(audiences),
            "balance": standard.balance(account),
            "created_at": None,
            "finished_at": None,
        }
        return Status(200, preview)
    try:
        calculation = standard.start_calculation(account, audiences, acting_user=token.created_by)
    except standard.StandardRefused as refused:
        raise ApiError.many(refused.status, refused.errors) from None
    return Status(202, _calculation_out(calculation, standard.balance(account)))


@router.get(
    "/standard-calculations/{calculation_id}", response=CalculationOut, summary="One calculation: state, progress"
)
def get_calculation(request: HttpRequest, calculation_id: int) -> dict[str, Any]:
    if not 0 < calculation_id < 2**63:
        raise Http404("no such calculation")
    account = caller(request).account
    calculation = get_object_or_404(StandardCalculation, account=account, pk=calculation_id)
    return _calculation_out(calculation, standard.balance(account))


@router.get("/credits", response=CreditsOut, summary="The account's calculation credits and their ledger")
def credits(request: HttpRequest) -> dict[str, Any]:
    account = caller(request).account
    ledger = [
        {
            "at": entry.at,
            "change": entry.change,
            "reason": entry.reason,
            "balance_after": entry.balance_after,
            "calculation_id": entry.calculation_id,
            "note": entry.note,
            "by": entry.by.get_username() if entry.by else None,
        }
        for entry in standard.ledger(account)[:1000]
    ]
    return {"balance": standard.balance(account), "ledger": ledger}


@router.post(
    "/audiences/{audience_id}/send",
    response={202: SendOut, 400: Errors, 403: Errors, 409: Errors},
    summary="Send every member of a ready standard audience to some of its connections, once",
)
def send(request: HttpRequest, audience_id: int, payload: SendIn) -> Status:
    # Connections are the connections app's; imported here only (audiences never does at import).
    from connections.models import Connection

    token = require_editor(request)
    audience = _standard_audience(request, audience_id)
    connections = _each_of(
        Connection.objects.filter(audience=audience),
        payload.connection_ids,
        "connection_ids",
        "no connection {} of this audience",
    )
    try:
        standard.send(audience, connections, acting_user=token.created_by)
    except standard.StandardRefused as refused:
        raise ApiError.many(refused.status, refused.errors) from None
    return Status(
        202,
        {
            "audience_id": audience.pk,
            "last_sent_at": audience.last_sent_at,
            "connection_ids": sorted({c.pk for c in connections}),
        },
    )
