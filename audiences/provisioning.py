"""Create what an operator names, idempotently: account, workspace, inputs, person, token."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from accounts import tokens
from accounts.models import Account, Person, Role, Workspace
from audiences.inputs import create_input, rotate_secret
from audiences.models import Input, Platform


class ProvisionRefused(ValueError):
    pass


@dataclass
class Provisioned:
    account: Account
    workspace: Workspace
    inputs: list[dict[str, Any]] = field(default_factory=list)
    person: dict[str, Any] | None = None
    token: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "account": {"id": self.account.pk, "name": self.account.name},
            "workspace": {"id": self.workspace.pk, "name": self.workspace.name},
            "inputs": self.inputs,
            "person": self.person,
            "platform_token": self.token,
        }


def parse_input(spec: str) -> tuple[str, str]:
    """`NAME:PLATFORM`, e.g. `iOS app:ios`."""
    name, sep, platform = spec.rpartition(":")
    if not sep or not name.strip():
        raise ProvisionRefused(f"--input {spec!r}: write it as NAME:PLATFORM")
    if platform not in Platform.values:
        raise ProvisionRefused(f"--input {spec!r}: platform is one of {', '.join(Platform.values)}")
    return name.strip(), platform


@transaction.atomic
def provision(
    *,
    account: str,
    workspace: str,
    inputs: list[str],
    user_email: str | None = None,
    role: str = Role.ADMIN,
    rotate: bool = False,
    token: bool = True,
) -> Provisioned:
    """Secrets are printed only for what this call creates, or for everything with `rotate`."""
    wanted = [parse_input(spec) for spec in inputs]
    if role not in Role.values:
        raise ProvisionRefused(f"--role is one of {', '.join(Role.values)}")
    account_row, _ = Account.objects.get_or_create(name=account)
    workspace_row, _ = Workspace.objects.get_or_create(account=account_row, name=workspace)
    result = Provisioned(account=account_row, workspace=workspace_row)
    for name, platform in wanted:
        existing = Input.objects.filter(workspace=workspace_row, name=name).first()
        if existing is None:
            source, secret = create_input(workspace=workspace_row, name=name, platform=platform)
            created = True
        else:
            source, created = existing, False
            secret = rotate_secret(existing) if rotate else None
        result.inputs.append(
            {
                "id": source.pk,
                "name": source.name,
                "platform": source.platform,
                "api_key": source.api_key,
                "api_secret": secret,
                "created": created,
            }
        )
    if user_email:
        user_model = get_user_model()
        user, created_user = user_model.objects.get_or_create(username=user_email, defaults={"email": user_email})
        person, _ = Person.objects.update_or_create(user=user, account=account_row, defaults={"role": role})
        result.person = {"id": person.pk, "email": user_email, "role": person.role, "created": created_user}
    if token:
        result.token = tokens.create_token(account=account_row, name="provision", role=role)[1]
    return result
