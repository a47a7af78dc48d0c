"""Encryption at rest for partner credentials (Fernet, keyed from the environment)."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    # A dedicated key may be set; otherwise one is derived from SECRET_KEY, so rotating
    # SECRET_KEY without OUTPUTS_ENCRYPTION_KEY makes stored credentials unreadable (by design).
    secret = settings.OUTPUTS_ENCRYPTION_KEY or settings.SECRET_KEY
    key = base64.urlsafe_b64encode(hashlib.sha256(f"openaudience-outputs:{secret}".encode()).digest())
    return Fernet(key)


def seal(values: dict[str, Any]) -> str:
    return _fernet().encrypt(json.dumps(values, sort_keys=True).encode()).decode()


def unseal(token: str) -> dict[str, Any]:
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken as exc:
        raise ValueError("stored credentials cannot be decrypted with the current key") from exc
