"""Iterable: an audience becomes a static list in an Iterable project.

API reference: https://api.iterable.com/api/docs (EU projects: https://api.eu.iterable.com),
authenticated by a server-side key in the `Api-Key` header. On connect we create a list named
after the audience (`POST /api/lists` -> `listId`, kept in the connection's state) unless the
connection names an existing list. Adds go to `POST /api/lists/subscribe` and drops to
`POST /api/lists/unsubscribe`, users keyed by email, with shared user attributes as
`dataFields`.

Deleting the audience deletes the list only if we created it (`DELETE /api/lists/{listId}`):
such a list exists for the audience alone and would otherwise linger with stale members. A
list the customer named is theirs, and stays.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
from pydantic import Field, HttpUrl

from outputs.partners.base import AudienceRef, Member, Partner, PartnerError, Settings

log = logging.getLogger(__name__)

# Our reserved user attributes that are standard Iterable user fields.
USER_FIELDS = {"$FirstName": "firstName", "$LastName": "lastName", "$Mobile": "phoneNumber"}


class IterableConfiguration(Settings):
    api_key: str = Field(
        min_length=8,
        description="A server-side API key of the project (Integrations > API Keys).",
        json_schema_extra={"secret": True},
    )
    base_url: HttpUrl = Field(
        default="https://api.iterable.com",
        description="https://api.iterable.com, or https://api.eu.iterable.com for projects in the EU data center.",
    )


class IterableConnection(Settings):
    list_id: int | None = Field(
        default=None,
        gt=0,
        description="An existing static list to keep in step. Leave empty to create a list named after the audience.",
    )


def data_fields(attributes: dict[str, Any] | None) -> dict[str, Any]:
    # Iterable reads a dot in a field name as nesting, so keep names flat.
    return {
        (USER_FIELDS.get(name) or name.lstrip("$")).replace(".", "_"): value
        for name, value in (attributes or {}).items()
    }


class Iterable(Partner):
    kind = "iterable"
    name = "Iterable"
    category = "Email"
    description = "Keeps a static Iterable list in step with your audience, created for you on connect."
    logo = "img/partners/iterable.svg"
    accepted_identity_types = ("email",)
    batch_size = 1000
    takes_user_attributes = True
    delete_behaviour = "Deletes the Iterable list created for the audience; a list you named yourself stays."
    default_base_url = "https://api.iterable.com"
    Configuration = IterableConfiguration
    ConnectionSettings = IterableConnection

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Api-Key": self.configuration.api_key, **kwargs.pop("headers", {})}
        return super().request(method, path, headers=headers, **kwargs)

    def connect(self, audience: AudienceRef) -> None:
        if audience.state.get("list_id"):
            return  # already connected; never create a second list
        if self.connection.list_id is not None:
            lists = self.request("GET", "/api/lists").json().get("lists", [])
            if not any(item.get("id") == self.connection.list_id for item in lists):
                raise PartnerError(
                    f"Iterable has no list {self.connection.list_id} in this project", permanent=True, status=404
                )
            audience.state.update(list_id=self.connection.list_id, created=False)
            return
        created = self.request(
            "POST", "/api/lists", json={"name": audience.name, "description": "Kept in step by OpenAudience."}
        ).json()
        audience.state.update(list_id=created["listId"], created=True)

    def _list_id(self, audience: AudienceRef) -> int:
        list_id = audience.state.get("list_id") or self.connection.list_id
        if not list_id:
            raise PartnerError("the connection has no Iterable list yet (connect did not run)", permanent=True)
        return int(list_id)

    def send(self, audience: AudienceRef, adds: list[Member], drops: list[Member], *, batch_id: str) -> None:
        list_id = self._list_id(audience)
        # Drops first, so an address shared by a user who left and one who joined stays on the list.
        leaving = [{"email": email} for member in drops for email in member.identities.get("email", [])]
        if leaving:
            # channelUnsubscribe false: leaving the audience removes the user from this list only,
            # never from the email channel they consented to.
            self._post(
                "/api/lists/unsubscribe",
                {"listId": list_id, "subscribers": leaving, "channelUnsubscribe": False},
                batch_id,
            )
        joining = []
        for member in adds:
            fields = data_fields(member.attributes)
            for email in member.identities.get("email", []):
                joining.append({"email": email, "dataFields": fields} if fields else {"email": email})
        if joining:
            self._post(
                "/api/lists/subscribe",
                {"listId": list_id, "subscribers": joining, "updateExistingUsersOnly": False},
                batch_id,
            )

    def _post(self, path: str, body: dict[str, Any], batch_id: str) -> None:
        result = self.request("POST", path, json=body).json()
        # Addresses Iterable refuses are reported per user in a 200; they say nothing about the
        # connection, and faulting would hold back everyone else.
        if result.get("failCount"):
            log.warning(
                "Iterable refused %s of batch %s at %s: invalid %s, not found %s",
                result["failCount"],
                batch_id,
                path,
                result.get("invalidEmails"),
                result.get("notFoundEmails"),
            )

    def delete(self, audience: AudienceRef) -> None:
        if not audience.state.get("created") or not audience.state.get("list_id"):
            return
        try:
            self.request("DELETE", f"/api/lists/{int(audience.state['list_id'])}")
        except PartnerError as error:
            if error.status != 404:
                raise
            # Someone deleted it in Iterable already: the outcome we wanted.

    # Errors carry {"msg", "code", "params"} (codes such as BadApiKey, BadParams,
    # RateLimitExceeded): https://api.iterable.com/api/docs
    def error_message(self, response: httpx.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            return super().error_message(response)
        if not isinstance(body, dict) or "msg" not in body:
            return super().error_message(response)
        message = str(body["msg"]) or str(body.get("code", ""))
        if body.get("code") and body["msg"]:
            message += f" ({body['code']})"
        return message[:500]
