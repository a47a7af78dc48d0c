"""Output configurations: create, change (secrets kept unless replaced), delete."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from pydantic import ValidationError

from accounts.models import Account
from outputs.models import OutputConfiguration
from outputs.partners import PARTNERS, partner_class


class ConfigurationRefused(Exception):
    def __init__(self, errors: list[dict[str, str]]):
        super().__init__("; ".join(f"{e['path']}: {e['message']}" for e in errors))
        self.errors = errors


class ConfigurationInUse(Exception):
    pass


def _validated(kind: str, values: Any, errors: list[dict[str, str]]) -> dict[str, Any] | None:
    if not isinstance(values, dict):
        errors.append({"path": "settings", "message": "settings is an object"})
        return None
    try:
        parsed = partner_class(kind).Configuration.model_validate(values)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            path = ".".join(str(part) for part in error["loc"])
            errors.append({"path": f"settings.{path}" if path else "settings", "message": error["msg"]})
        return None
    return parsed.model_dump(mode="json")


def _check_name(account: Account, name: str, errors: list[dict[str, str]], exclude: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        errors.append({"path": "name", "message": "give the configuration a name"})
    elif len(name) > 100:
        errors.append({"path": "name", "message": "a name is at most 100 characters"})
    elif OutputConfiguration.objects.filter(account=account, name__iexact=name).exclude(pk=exclude).exists():
        errors.append({"path": "name", "message": "this account already has an output configuration with that name"})
    return name


def create_configuration(
    *, account: Account, partner: str, name: str, settings: dict[str, Any], acting_user=None
) -> OutputConfiguration:
    errors: list[dict[str, str]] = []
    if partner not in PARTNERS:
        errors.append({"path": "partner", "message": f"partner is one of {', '.join(PARTNERS)}"})
        raise ConfigurationRefused(errors)
    name = _check_name(account, name, errors)
    values = _validated(partner, settings, errors)
    if errors:
        raise ConfigurationRefused(errors)
    configuration = OutputConfiguration(account=account, partner=partner, name=name, created_by=acting_user)
    configuration.settings = values
    configuration.save()
    return configuration


def change_configuration(
    configuration: OutputConfiguration, *, name: str | None = None, settings: dict[str, Any] | None = None
) -> OutputConfiguration:
    """Secret fields left out (or sent as "set" or empty) keep their stored value."""
    errors: list[dict[str, str]] = []
    if name is not None:
        name = _check_name(configuration.account, name, errors, exclude=configuration.pk)
    values = None
    if settings is not None:
        if isinstance(settings, dict):
            merged = dict(configuration.settings)
            secrets = configuration.partner_class.Configuration.secret_fields()
            for key, value in settings.items():
                if key in secrets and value in (None, "", "set"):
                    continue
                merged[key] = value
            values = _validated(configuration.partner, merged, errors)
        else:
            errors.append({"path": "settings", "message": "settings is an object"})
    if errors:
        raise ConfigurationRefused(errors)
    with transaction.atomic():
        if name is not None:
            configuration.name = name
        if values is not None:
            configuration.settings = values
        configuration.save()
    return configuration


def delete_configuration(configuration: OutputConfiguration) -> None:
    if configuration.connections.exists():
        raise ConfigurationInUse("disconnect its audiences first")
    configuration.delete()
