"""Connecting audiences to outputs: one by one, in bulk; status changes; Resume."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from pydantic import ValidationError

from audiences import standard
from audiences.models import ABTest, Audience, AudienceKind, Variation
from connections import forwarding, scheduling
from connections.models import Connection, ConnectionStatus, SnapshotState
from outputs.models import OutputConfiguration


class ConnectionRefused(Exception):
    def __init__(self, errors: list[dict[str, str]]):
        super().__init__("; ".join(f"{e['path']}: {e['message']}" for e in errors))
        self.errors = errors


def _settings_errors(configuration: OutputConfiguration, values: dict[str, Any]) -> list[dict[str, str]]:
    try:
        configuration.partner_class.ConnectionSettings.model_validate(values)
    except ValidationError as exc:
        return [
            {
                "path": "settings." + ".".join(str(p) for p in error["loc"]) if error["loc"] else "settings",
                "message": error["msg"],
            }
            for error in exc.errors(include_url=False)
        ]
    return []


def check_connection(
    audience: Audience,
    configuration: OutputConfiguration,
    *,
    status: str,
    settings: dict[str, Any],
    shared_attributes: list[str],
    variation_id: int | None,
) -> list[dict[str, str]]:
    errors: list[dict[str, str]] = []
    partner = configuration.partner_class
    if configuration.account_id != audience.account_id:
        errors.append({"path": "output_configuration_id", "message": "no such output configuration in this account"})
        return errors
    refusal = standard.connect_refusal(audience)
    if refusal:
        errors.append({"path": "audience", "message": refusal})
        return errors
    if status not in ConnectionStatus.values:
        errors.append({"path": "status", "message": "status is sending or inactive"})
    if not isinstance(settings, dict):
        errors.append({"path": "settings", "message": "settings is an object"})
    else:
        errors.extend(_settings_errors(configuration, settings))
    if shared_attributes:
        if not partner.takes_user_attributes:
            errors.append({"path": "shared_attributes", "message": f"{partner.name} does not take user attributes"})
        elif audience.multi_workspace or audience.kind != AudienceKind.REALTIME:
            errors.append(
                {
                    "path": "shared_attributes",
                    "message": "user attributes can be shared only from single-workspace real-time audiences",
                }
            )
        elif not all(isinstance(key, str) and key for key in shared_attributes):
            errors.append({"path": "shared_attributes", "message": "a list of attribute names"})
    if variation_id is not None and not Variation.objects.filter(pk=variation_id, audience=audience).exists():
        errors.append({"path": "variation_id", "message": "no such A/B variation of this audience"})
        return errors
    duplicate = Connection.objects.filter(
        audience=audience, output_configuration=configuration, variation_id=variation_id
    ).exists()
    if duplicate:
        errors.append({"path": "output_configuration_id", "message": "this audience is already connected to it"})
    return errors


def create_connection(
    audience: Audience,
    configuration: OutputConfiguration,
    *,
    acting_user,
    status: str = ConnectionStatus.SENDING,
    settings: dict[str, Any] | None = None,
    shared_attributes: list[str] | None = None,
    variation_id: int | None = None,
) -> Connection:
    settings = settings or {}
    shared_attributes = shared_attributes or []
    errors = check_connection(
        audience,
        configuration,
        status=status,
        settings=settings,
        shared_attributes=shared_attributes,
        variation_id=variation_id,
    )
    if errors:
        raise ConnectionRefused(errors)
    # A standard audience's connection forwards nothing when saved: it rests, snapshot done,
    # until the audience is sent (connections.sending).
    is_standard = audience.kind == AudienceKind.STANDARD
    with transaction.atomic():
        connection = Connection.objects.create(
            audience=audience,
            output_configuration=configuration,
            variation_id=variation_id,
            status=status,
            settings=settings,
            shared_attributes=shared_attributes,
            created_by=acting_user,
            snapshot_state=SnapshotState.DONE if is_standard else SnapshotState.PENDING,
        )
        if status == ConnectionStatus.SENDING and not is_standard:
            scheduling.wake_on_commit([connection.pk])
    return connection


@dataclass
class BulkResult:
    audience_id: int
    connection: Connection | None = None
    error: str | None = None


def connect_audiences(
    configuration: OutputConfiguration,
    audience_ids: list[int],
    *,
    acting_user,
    status: str = ConnectionStatus.SENDING,
    settings: dict[str, Any] | None = None,
) -> list[BulkResult]:
    """Connect many audiences with the same settings; each succeeds or fails on its own."""
    audiences = {a.pk: a for a in Audience.objects.filter(account_id=configuration.account_id, pk__in=audience_ids)}
    results = []
    for audience_id in audience_ids:
        audience = audiences.get(audience_id)
        if audience is None:
            results.append(BulkResult(audience_id, error="no such audience in this account"))
            continue
        if ABTest.objects.filter(audience=audience).exists():
            # Each variation is connected on its own, from the audience's Connect tab.
            results.append(
                BulkResult(audience_id, error="this audience has an A/B test: connect its variations one by one")
            )
            continue
        try:
            connection = create_connection(
                audience, configuration, acting_user=acting_user, status=status, settings=settings
            )
        except ConnectionRefused as refused:
            results.append(BulkResult(audience_id, error=refused.errors[0]["message"]))
        else:
            results.append(BulkResult(audience_id, connection=connection))
    return results


def change_connection(
    connection: Connection,
    *,
    status: str | None = None,
    settings: dict[str, Any] | None = None,
    shared_attributes: list[str] | None = None,
) -> Connection:
    errors: list[dict[str, str]] = []
    if status is not None and status not in ConnectionStatus.values:
        errors.append({"path": "status", "message": "status is sending or inactive"})
    if settings is not None:
        errors.extend(_settings_errors(connection.output_configuration, settings))
    if shared_attributes is not None and shared_attributes:
        partner = connection.output_configuration.partner_class
        if not partner.takes_user_attributes or connection.audience.multi_workspace:
            errors.append({"path": "shared_attributes", "message": "this connection cannot share user attributes"})
    if errors:
        raise ConnectionRefused(errors)
    with transaction.atomic():
        if status is not None:
            connection.status = status
        if settings is not None:
            connection.settings = settings
        if shared_attributes is not None:
            connection.shared_attributes = shared_attributes
        connection.save()
        if connection.status == ConnectionStatus.SENDING:
            scheduling.wake_on_commit([connection.pk])
    return connection


class NotFaulted(Exception):
    pass


def resume(connection: Connection, *, acting_user) -> None:
    """Continue a faulted connection from its cursor; everything that waited is delivered."""
    if connection.faulted_at is None:
        raise NotFaulted("this connection is not faulted")
    forwarding.resume(connection)
    scheduling.wake_on_commit([connection.pk])


def delete_connection(connection: Connection) -> None:
    connection.delete()
