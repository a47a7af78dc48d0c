"""What every JSON API shares: the error carrying paths, bearer tokens and role checks."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from ninja.errors import AuthorizationError
from ninja.security import HttpBearer
from pydantic import Field

from accounts import tokens
from accounts.models import PlatformToken


class ApiError(Exception):
    """A 4xx answer with the JSON paths of the faults: {"errors": [{"path", "message"}]}."""

    def __init__(self, status: int, path: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.errors = [{"path": path, "message": message}]
        self.headers = headers or {}

    @classmethod
    def many(cls, status: int, errors: list[dict[str, str]]) -> ApiError:
        error = cls(status, errors[0]["path"], errors[0]["message"])
        error.errors = errors[:20]
        return error


PLATFORM_MAX_BODY_BYTES = 1024 * 1024

# A database id as an API accepts it: anything outside PostgreSQL's bigint is a 400, not a 500.
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> PlatformToken | None:
        found = tokens.authenticate(token)
        if (
            found is not None
            and request.method in ("POST", "PUT", "PATCH")
            and request.content_type == "application/json"
        ):
            # Refuse what PostgreSQL cannot store (NUL, lone surrogates, 1e400) with its path,
            # before any endpoint parses the body.
            from accounts.json_body import read_json

            read_json(request, PLATFORM_MAX_BODY_BYTES)
        if found is not None:
            _refuse_bad_query_text(request)
        return found


def _refuse_bad_query_text(request: HttpRequest) -> None:
    """A query string can carry %00, which PostgreSQL cannot compare with (a 500 in any filter
    that reaches it): refuse it with the parameter's name instead."""
    from accounts.json_body import BAD_TEXT

    for name, values in request.GET.lists():
        if BAD_TEXT.search(name) or any(BAD_TEXT.search(value) for value in values):
            raise ApiError(400, name, "text may not contain NUL (U+0000) or unpaired surrogates")


def caller(request: HttpRequest) -> PlatformToken:
    return request.auth


def require_editor(request: HttpRequest) -> PlatformToken:
    """Admins and marketers change audiences; support tokens only read."""
    token = caller(request)
    if not token.can_edit_audiences:
        raise AuthorizationError(message="this token's role (support) can read but not change audiences")
    return token


def require_admin(request: HttpRequest) -> PlatformToken:
    token = caller(request)
    if not token.can_change_setup:
        raise AuthorizationError(message="only an admin token can change Setup")
    return token
