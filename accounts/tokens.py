"""Platform API tokens: created, checked, revoked."""

from __future__ import annotations

import hashlib
import secrets

from django.utils import timezone

from accounts.models import Account, PlatformToken

PREFIX = "oat_"


def _hash(token: str) -> str:
    # Tokens are 256-bit random strings, so SHA-256 suffices and keeps each API call cheap.
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(*, account: Account, name: str, role: str, created_by=None) -> tuple[PlatformToken, str]:
    """Create a token; answer it with its value, which is never shown again."""
    value = PREFIX + secrets.token_urlsafe(32)
    token = PlatformToken.objects.create(
        account=account, name=name, role=role, prefix=value[:10], token_hash=_hash(value), created_by=created_by
    )
    return token, value


def authenticate(value: str) -> PlatformToken | None:
    if not value.startswith(PREFIX):
        return None
    token = PlatformToken.objects.select_related("account").filter(token_hash=_hash(value), revoked=False).first()
    if token is not None:
        now = timezone.now()
        # Write at most once a minute per token, not on every call.
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            PlatformToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def revoke(token: PlatformToken) -> None:
    token.revoked = True
    token.save(update_fields=["revoked"])
