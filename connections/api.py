"""Platform API: connections, bulk connect, faults and Resume."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.errors import AuthorizationError
from pydantic import Field

from accounts.api import ApiError, Id, TokenAuth, caller, require_editor
from accounts.models import Role
from audiences.models import Audience
from connections import forwarding, services
from connections.models import Connection
from outputs.api import configuration_for

router = Router(tags=["Platform API: connections"], auth=TokenAuth())


class FaultOut(Schema):
    message: str
    at: dt.datetime


class ConnectionOut(Schema):
    id: int
    audience_id: int
    variation_id: int | None
    output_configuration_id: int
    status: str
    state: Literal["sending", "inactive", "faulted"]
    fault: FaultOut | None
    settings: dict[str, Any]
    shared_attributes: list[str]
    pending_changes: int
    delivered_adds: int
    delivered_drops: int
    skipped_without_identity: int
    last_delivery_at: dt.datetime | None
    created_at: dt.datetime


class ConnectionIn(Schema):
    output_configuration_id: int = Field(ge=1, le=2**63 - 1)
    variation_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    status: Literal["sending", "inactive"] = "sending"
    settings: dict[str, Any] = {}
    shared_attributes: list[str] = []
    model_config = {"extra": "forbid"}


class ConnectionChange(Schema):
    status: Literal["sending", "inactive"] | None = None
    settings: dict[str, Any] | None = None
    shared_attributes: list[str] | None = None
    model_config = {"extra": "forbid"}


class BulkIn(Schema):
    audience_ids: list[Id] = Field(min_length=1, max_length=500)
    status: Literal["sending", "inactive"] = "sending"
    settings: dict[str, Any] = {}
    model_config = {"extra": "forbid"}


class BulkResultOut(Schema):
    audience_id: int
    result: Literal["connected", "error"]
    connection_id: int | None = None
    reason: str | None = None


def _out(connection: Connection) -> dict[str, Any]:
    return {
        "id": connection.pk,
        "audience_id": connection.audience_id,
        "variation_id": connection.variation_id,
        "output_configuration_id": connection.output_configuration_id,
        "status": connection.status,
        "state": connection.state,
        "fault": {"message": connection.fault_message, "at": connection.faulted_at} if connection.faulted_at else None,
        "settings": connection.settings,
        "shared_attributes": connection.shared_attributes,
        "pending_changes": forwarding.pending_changes(connection),
        "delivered_adds": connection.delivered_adds,
        "delivered_drops": connection.delivered_drops,
        "skipped_without_identity": connection.skipped_without_identity,
        "last_delivery_at": connection.last_delivery_at,
        "created_at": connection.created_at,
    }


def _connection(request: HttpRequest, connection_id: int) -> Connection:
    if not 0 < connection_id < 2**63:
        raise Http404("no such connection")
    return get_object_or_404(
        Connection.objects.select_related("audience", "output_configuration"),
        pk=connection_id,
        audience__account=caller(request).account,
    )


def _audience(request: HttpRequest, audience_id: int) -> Audience:
    if not 0 < audience_id < 2**63:
        raise Http404("no such audience")
    return get_object_or_404(Audience, pk=audience_id, account=caller(request).account)


@router.get("/audiences/{audience_id}/connections", response=list[ConnectionOut])
def list_connections(request: HttpRequest, audience_id: int) -> list[dict[str, Any]]:
    audience = _audience(request, audience_id)
    return [_out(c) for c in audience.connections.select_related("audience", "output_configuration")]


@router.post("/audiences/{audience_id}/connections", response={201: ConnectionOut})
def create_connection(request: HttpRequest, audience_id: int, payload: ConnectionIn) -> Status:
    token = require_editor(request)
    audience = _audience(request, audience_id)
    configuration = configuration_for(request, payload.output_configuration_id)
    try:
        connection = services.create_connection(
            audience,
            configuration,
            acting_user=token.created_by,
            status=payload.status,
            settings=payload.settings,
            shared_attributes=payload.shared_attributes,
            variation_id=payload.variation_id,
        )
    except services.ConnectionRefused as exc:
        raise ApiError.many(400, exc.errors) from None
    return Status(201, _out(connection))


@router.post("/output-configurations/{configuration_id}/connect-audiences", response=list[BulkResultOut])
def connect_audiences(request: HttpRequest, configuration_id: int, payload: BulkIn) -> list[dict[str, Any]]:
    token = require_editor(request)
    configuration = configuration_for(request, configuration_id)
    results = services.connect_audiences(
        configuration,
        payload.audience_ids,
        acting_user=token.created_by,
        status=payload.status,
        settings=payload.settings,
    )
    return [
        {"audience_id": r.audience_id, "result": "connected", "connection_id": r.connection.pk}
        if r.connection
        else {"audience_id": r.audience_id, "result": "error", "reason": r.error}
        for r in results
    ]


@router.get("/connections/{connection_id}", response=ConnectionOut)
def get_connection(request: HttpRequest, connection_id: int) -> dict[str, Any]:
    return _out(_connection(request, connection_id))


@router.patch("/connections/{connection_id}", response=ConnectionOut)
def change_connection(request: HttpRequest, connection_id: int, payload: ConnectionChange) -> dict[str, Any]:
    require_editor(request)
    connection = _connection(request, connection_id)
    try:
        services.change_connection(connection, **payload.model_dump(exclude_unset=True))
    except services.ConnectionRefused as exc:
        raise ApiError.many(400, exc.errors) from None
    return _out(connection)


@router.delete("/connections/{connection_id}", response={204: None})
def delete_connection(request: HttpRequest, connection_id: int):
    require_editor(request)
    services.delete_connection(_connection(request, connection_id))
    return HttpResponse(status=204)


class Errors(Schema):
    errors: list[dict[str, str]]


@router.post("/connections/{connection_id}/resume", response={202: ConnectionOut, 409: Errors})
def resume(request: HttpRequest, connection_id: int):
    if caller(request).role not in (Role.ADMIN, Role.SUPPORT):
        raise AuthorizationError(message="only admin and support tokens can resume connections")
    connection = _connection(request, connection_id)
    try:
        services.resume(connection, acting_user=caller(request).created_by)
    except services.NotFaulted as exc:
        return Status(409, {"errors": [{"path": "$", "message": str(exc)}]})
    return Status(202, _out(connection))


class OpenFault(Schema):
    connection_id: int
    audience_id: int
    audience_name: str
    output_configuration_id: int
    output_configuration_name: str
    message: str
    at: dt.datetime


@router.get("/faults", response=list[OpenFault], summary="Open faults of the account, newest first")
def faults(request: HttpRequest) -> list[dict[str, Any]]:
    rows = (
        Connection.objects.filter(audience__account=caller(request).account, faulted_at__isnull=False)
        .select_related("audience", "output_configuration")
        .order_by("-faulted_at")
    )
    return [
        {
            "connection_id": c.pk,
            "audience_id": c.audience_id,
            "audience_name": c.audience.name,
            "output_configuration_id": c.output_configuration_id,
            "output_configuration_name": c.output_configuration.name,
            "message": c.fault_message,
            "at": c.faulted_at,
        }
        for c in rows
    ]
