"""Inputs and their Events API credentials."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.db import transaction
from django.utils import timezone

from accounts.models import Workspace
from audiences.models import Input


def hash_secret(secret: str) -> str:
    # Secrets are 256-bit random strings, so a plain SHA-256 cannot be brute-forced and keeps
    # the Events API's per-request check cheap (a password hasher would cost ~100 ms a call).
    return "sha256$" + hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(source: Input, secret: str) -> bool:
    return hmac.compare_digest(source.secret_hash, hash_secret(secret))


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


@transaction.atomic
def create_input(*, workspace: Workspace, name: str, platform: str, rate_limit: int | None = None) -> tuple[Input, str]:
    """Create an input; answer it with its secret, which is never shown again."""
    secret = _new_secret()
    source = Input(
        workspace=workspace,
        name=name,
        platform=platform,
        api_key="oa" + secrets.token_hex(15),
        secret_hash=hash_secret(secret),
    )
    if rate_limit is not None:
        source.rate_limit = rate_limit
    source.save()
    return source, secret


def rotate_secret(source: Input) -> str:
    """Replace the secret; clients using the old one are refused from now on."""
    secret = _new_secret()
    source.secret_hash = hash_secret(secret)
    source.secret_rotated_at = timezone.now()
    source.save(update_fields=["secret_hash", "secret_rotated_at"])
    return secret


def set_enabled(source: Input, enabled: bool) -> None:
    source.enabled = enabled
    source.save(update_fields=["enabled"])
