"""Braze: audience membership as a custom attribute on each user's Braze profile.

`POST /users/track` (https://www.braze.com/docs/api/endpoints/user_data/post_user_track/) with
the REST API key as a bearer token, on the instance's REST endpoint (rest.iad-01.braze.com and
siblings). Each member becomes one attributes object per profile it maps to: a boolean attribute
named after the audience (true on add, false on drop), or, in array mode, the audience name
added to or removed from one array attribute. Shared user attributes ride in the same object.

How a member is addressed, in order: the customer id as `external_id`; else each email as
the `email` identifier; else each push token through a user alias (label `push_token` by
default). Braze cannot address a profile by push token, and an alias created on first use
keeps that user's adds and drops on one profile, which `/users/identify` can later merge
into an identified user.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Literal

import httpx
from pydantic import Field, HttpUrl, field_validator

from outputs.partners.base import AudienceRef, Member, Partner, PartnerError, Settings

log = logging.getLogger(__name__)

OBJECTS_PER_REQUEST = 75  # attribute objects per /users/track call, as documented

# Our reserved user attributes that are standard Braze profile fields.
PROFILE_FIELDS = {"$FirstName": "first_name", "$LastName": "last_name", "$City": "home_city", "$Country": "country"}
# Keys of an attributes object that are not attributes: never let a shared attribute take them.
RESERVED_KEYS = {
    "external_id",
    "user_alias",
    "braze_id",
    "email",
    "phone",
    "_update_existing_only",
    "push_token_import",
}


class BrazeConfiguration(Settings):
    api_key: str = Field(
        min_length=8,
        description="A REST API key with the users.track permission (Settings > APIs and Identifiers).",
        json_schema_extra={"secret": True},
    )
    base_url: HttpUrl = Field(
        default="https://rest.iad-01.braze.com",
        description="Your instance's REST endpoint, e.g. https://rest.iad-01.braze.com or https://rest.fra-01.braze.eu.",
    )
    push_token_alias_label: str = Field(
        default="push_token",
        min_length=1,
        max_length=100,
        description="Alias label for users known only by a push token.",
    )


class BrazeConnection(Settings):
    membership: Literal["boolean", "array"] = Field(
        default="boolean",
        description="boolean: one true/false attribute per audience. "
        "array: the audience name added to or removed from one array attribute.",
    )
    attribute_name: str | None = Field(
        default=None,
        max_length=255,
        description="Custom attribute to set. Default: the audience name (boolean) or 'audiences' (array).",
    )

    @field_validator("attribute_name")
    @classmethod
    def _no_dollar(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or value.startswith("$")):
            raise ValueError("a Braze custom attribute name must not be blank or start with $")
        return value


def attribute_key(name: str) -> str:
    key = PROFILE_FIELDS.get(name) or name.lstrip("$")
    return f"custom_{key}" if key in RESERVED_KEYS else key


class Braze(Partner):
    kind = "braze"
    name = "Braze"
    category = "Messaging"
    description = "Marks each user's Braze profile with audience membership, as a custom attribute."
    logo = "img/partners/braze.svg"
    accepted_identity_types = ("customerid", "email", "push_token")
    batch_size = OBJECTS_PER_REQUEST
    # Braze allows 3,000 /users/track requests per three seconds per workspace.
    rate_per_second = 1000.0
    takes_user_attributes = True
    delete_behaviour = "Nothing is deleted downstream: the custom attribute stays on Braze profiles."
    default_base_url = "https://rest.iad-01.braze.com"
    Configuration = BrazeConfiguration
    ConnectionSettings = BrazeConnection

    def _membership(self, audience: AudienceRef, added: bool) -> dict[str, Any]:
        if self.connection.membership == "array":
            name = self.connection.attribute_name or "audiences"
            return {name: {"add" if added else "remove": [audience.name]}}
        return {self.connection.attribute_name or audience.name.lstrip("$") or "audience": added}

    def _identifiers(self, member: Member) -> list[dict[str, Any]]:
        if external_ids := member.identities.get("customerid"):
            return [{"external_id": value} for value in external_ids]
        if emails := member.identities.get("email"):
            return [{"email": value} for value in emails]
        return [
            {
                "user_alias": {"alias_name": token, "alias_label": self.configuration.push_token_alias_label},
                # An alias only updates existing profiles unless told otherwise.
                "_update_existing_only": False,
            }
            for token in member.identities.get("push_token", [])
        ]

    def _objects(self, audience: AudienceRef, member: Member, added: bool) -> list[dict[str, Any]]:
        shared = {attribute_key(name): value for name, value in (member.attributes or {}).items()}
        membership = self._membership(audience, added)
        return [{**shared, **identifier, **membership} for identifier in self._identifiers(member)]

    def send(self, audience: AudienceRef, adds: list[Member], drops: list[Member], *, batch_id: str) -> None:
        objects = [obj for member in drops for obj in self._objects(audience, member, added=False)]
        objects += [obj for member in adds for obj in self._objects(audience, member, added=True)]
        # A member may map to several profiles, so a batch of 75 members can exceed 75 objects.
        for start in range(0, len(objects), OBJECTS_PER_REQUEST):
            response = self.request(
                "POST",
                "/users/track",
                json={"attributes": objects[start : start + OBJECTS_PER_REQUEST]},
                headers={"Authorization": f"Bearer {self.configuration.api_key}"},
            )
            body = response.json() if response.content else {}
            # Non-fatal errors name one object each (a malformed identifier, say); the rest were
            # processed, and faulting would hold back every other user for something Resume
            # cannot fix.
            for error in body.get("errors") or []:
                log.warning("Braze did not take an object of batch %s: %s", batch_id, error)

    # https://www.braze.com/docs/api/errors/: {"message": <fatal error>, "errors": [...]}; a 429
    # says when the window resets in X-RateLimit-Reset (epoch seconds), not Retry-After.
    def raise_for_response(self, response: httpx.Response) -> None:
        try:
            super().raise_for_response(response)
        except PartnerError as error:
            if error.status == 429 and error.retry_after is None:
                error.retry_after = reset_after_seconds(response)
            raise

    def error_message(self, response: httpx.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            return super().error_message(response)
        if not isinstance(body, dict) or "message" not in body:
            return super().error_message(response)
        message = str(body["message"])
        if body.get("errors"):
            message += f" ({body['errors']})"
        return message[:500]


def reset_after_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("X-RateLimit-Reset")
    if value is None:
        return None
    try:
        return max(0.0, float(value) - time.time())
    except ValueError:
        return None
