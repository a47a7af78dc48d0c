"""Platform API: the partner catalogue and output configurations."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from accounts.api import ApiError, TokenAuth, caller, require_admin
from outputs import services
from outputs.models import OutputConfiguration
from outputs.partners import all_partners

router = Router(tags=["Platform API: outputs"], auth=TokenAuth())


class PartnerOut(Schema):
    kind: str
    name: str
    category: str
    description: str
    accepted_identity_types: list[str]
    takes_user_attributes: bool
    batch_size: int
    delete_behaviour: str
    configuration_schema: dict[str, Any]
    connection_schema: dict[str, Any]


@router.get("/partners", response=list[PartnerOut], summary="The partner catalogue")
def partners(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "kind": p.kind,
            "name": p.name,
            "category": p.category,
            "description": p.description,
            "accepted_identity_types": list(p.accepted_identity_types),
            "takes_user_attributes": p.takes_user_attributes,
            "batch_size": p.batch_size,
            "delete_behaviour": p.delete_behaviour,
            "configuration_schema": p.Configuration.model_json_schema(),
            "connection_schema": p.ConnectionSettings.model_json_schema(),
        }
        for p in all_partners()
    ]


class ConfigurationOut(Schema):
    id: int
    partner: str
    name: str
    settings: dict[str, Any]
    connections: int
    created_at: dt.datetime


class ConfigurationIn(Schema):
    partner: str
    name: str
    settings: dict[str, Any] = {}
    model_config = {"extra": "forbid"}


class ConfigurationChange(Schema):
    name: str | None = None
    settings: dict[str, Any] | None = None
    model_config = {"extra": "forbid"}


def _out(configuration: OutputConfiguration, connections: int | None = None) -> dict[str, Any]:
    return {
        "id": configuration.pk,
        "partner": configuration.partner,
        "name": configuration.name,
        "settings": configuration.public_settings(),
        "connections": connections if connections is not None else configuration.connections.count(),
        "created_at": configuration.created_at,
    }


def configuration_for(request: HttpRequest, configuration_id: int) -> OutputConfiguration:
    if not 0 < configuration_id < 2**63:
        raise Http404("no such output configuration")
    return get_object_or_404(OutputConfiguration, pk=configuration_id, account=caller(request).account)


@router.get("/output-configurations", response=list[ConfigurationOut])
def list_configurations(request: HttpRequest) -> list[dict[str, Any]]:
    from django.db.models import Count

    rows = OutputConfiguration.objects.filter(account=caller(request).account).annotate(n=Count("connections"))
    return [_out(c, c.n) for c in rows]


@router.post("/output-configurations", response={201: ConfigurationOut})
def create_configuration(request: HttpRequest, payload: ConfigurationIn) -> Status:
    token = require_admin(request)
    try:
        configuration = services.create_configuration(
            account=token.account,
            partner=payload.partner,
            name=payload.name,
            settings=payload.settings,
            acting_user=token.created_by,
        )
    except services.ConfigurationRefused as exc:
        raise ApiError.many(400, exc.errors) from None
    return Status(201, _out(configuration, 0))


@router.get("/output-configurations/{configuration_id}", response=ConfigurationOut)
def get_configuration(request: HttpRequest, configuration_id: int) -> dict[str, Any]:
    return _out(configuration_for(request, configuration_id))


@router.patch("/output-configurations/{configuration_id}", response=ConfigurationOut)
def change_configuration(request: HttpRequest, configuration_id: int, payload: ConfigurationChange) -> dict[str, Any]:
    require_admin(request)
    configuration = configuration_for(request, configuration_id)
    try:
        services.change_configuration(configuration, name=payload.name, settings=payload.settings)
    except services.ConfigurationRefused as exc:
        raise ApiError.many(400, exc.errors) from None
    return _out(configuration)


class Errors(Schema):
    errors: list[dict[str, str]]


@router.delete("/output-configurations/{configuration_id}", response={204: None, 409: Errors})
def delete_configuration(request: HttpRequest, configuration_id: int):
    require_admin(request)
    configuration = configuration_for(request, configuration_id)
    try:
        services.delete_configuration(configuration)
    except services.ConfigurationInUse as exc:
        return Status(409, {"errors": [{"path": "$", "message": f"audiences are connected to it: {exc}"}]})
    return HttpResponse(status=204)
