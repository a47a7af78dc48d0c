"""Mailchimp: an audience becomes the subscribed contacts of one Mailchimp audience (list).

Marketing API 3.0 (https://mailchimp.com/developer/marketing/api/), HTTP Basic auth with any
user name and the API key as password, on the data center named by the key's suffix
(`…-us6` -> `https://us6.api.mailchimp.com/3.0`).

Membership is the subscription status in a list dedicated to the connection: adds are
subscribed and drops unsubscribed through "batch subscribe or unsubscribe"
(`POST /lists/{list_id}`, 500 members a call, `update_existing`). We chose this over a tag named
after the audience (`POST /lists/{list_id}/members/{hash}/tags`) because tags take one call per
member, need the contact to exist first, and leave dropped users subscribed, so a campaign sent
to the list would still reach people who left the audience. Shared user attributes travel as
merge fields.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import httpx
from pydantic import Field, HttpUrl

from outputs.partners.base import AudienceRef, Member, Partner, Settings

log = logging.getLogger(__name__)

BATCH_LIMIT = 500  # members per batch subscribe call, as documented
KEY_PATTERN = r"^[A-Za-z0-9]+-[a-z]+[0-9]+$"

# Our reserved user attributes that have a default merge field in every Mailchimp audience.
RESERVED_MERGE_FIELDS = {"$FirstName": "FNAME", "$LastName": "LNAME", "$Mobile": "PHONE"}


class MailchimpConfiguration(Settings):
    api_key: str = Field(
        pattern=KEY_PATTERN,
        description="Account > Extras > API keys. It ends with your data center, e.g. -us6.",
        json_schema_extra={"secret": True},
    )
    base_url: HttpUrl | None = Field(
        default=None, description="Leave empty to use the data center of the key (https://<dc>.api.mailchimp.com/3.0)."
    )


class MailchimpConnection(Settings):
    list_id: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9]+$",
        description="Audience ID of a Mailchimp audience dedicated to this connection "
        "(Audience > Settings > Audience name and defaults). Drops are unsubscribed from it.",
    )


def data_center(api_key: str) -> str:
    return api_key.rsplit("-", 1)[-1]


def merge_tag(name: str) -> str:
    """Mailchimp merge tags are upper-case letters, digits and underscores, 10 at most."""
    return RESERVED_MERGE_FIELDS.get(name) or re.sub(r"[^A-Z0-9_]", "", name.upper())[:10]


def merge_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def merge_fields(attributes: dict[str, Any] | None) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name, value in (attributes or {}).items():
        tag = merge_tag(name)
        if tag:
            fields[tag] = merge_value(value)
    return fields


class Mailchimp(Partner):
    kind = "mailchimp"
    name = "Mailchimp"
    category = "Email"
    description = "Keeps a Mailchimp audience's subscribed contacts in step with your audience."
    logo = "img/partners/mailchimp.svg"
    accepted_identity_types = ("email",)
    batch_size = BATCH_LIMIT
    # Mailchimp allows 10 simultaneous connections per key and asks clients to keep calls short.
    rate_per_second = 10.0
    takes_user_attributes = True
    delete_behaviour = "Nothing is deleted downstream: the Mailchimp audience and its contacts stay."
    default_base_url = "https://{dc}.api.mailchimp.com/3.0"
    Configuration = MailchimpConfiguration
    ConnectionSettings = MailchimpConnection

    @property
    def base_url(self) -> str:
        if self.configuration.base_url:
            return str(self.configuration.base_url).rstrip("/")
        return self.default_base_url.format(dc=data_center(self.configuration.api_key))

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return super().request(method, path, auth=("openaudience", self.configuration.api_key), **kwargs)

    def connect(self, audience: AudienceRef) -> None:
        """Check the list exists (a typo faults the connection now, with Mailchimp's words)."""
        list_id = self.connection.list_id
        found = self.request("GET", f"/lists/{list_id}", params={"fields": "id,name"}).json()
        audience.state["list_id"] = list_id
        audience.state["list_name"] = found.get("name", "")

    def send(self, audience: AudienceRef, adds: list[Member], drops: list[Member], *, batch_id: str) -> None:
        # One entry per address, keyed as Mailchimp keys members (lower-cased); Mailchimp rejects
        # a batch naming an address twice. Adds come last so that an address shared by a user
        # who left and one who joined stays subscribed.
        entries: dict[str, dict[str, Any]] = {}
        for member in drops:
            for email in member.identities.get("email", []):
                entries[email.lower()] = {"email_address": email, "status": "unsubscribed"}
        for member in adds:
            fields = merge_fields(member.attributes)
            for email in member.identities.get("email", []):
                entry: dict[str, Any] = {"email_address": email, "status": "subscribed"}
                if fields:
                    entry["merge_fields"] = fields
                entries[email.lower()] = entry
        members = list(entries.values())
        for start in range(0, len(members), BATCH_LIMIT):
            self._batch(members[start : start + BATCH_LIMIT], batch_id)

    def _batch(self, members: list[dict[str, Any]], batch_id: str) -> None:
        response = self.request(
            "POST",
            f"/lists/{self.connection.list_id}",
            # Our members rarely carry every merge field a list marks required; without this
            # flag Mailchimp would refuse them one by one.
            params={"skip_merge_validation": "true"},
            json={"members": members, "update_existing": True},
        )
        body = response.json() if response.content else {}
        # Member-level rejections (an address Mailchimp deems fake, a contact in compliance
        # state) come back in a 200. They concern one user, not the connection: faulting would
        # stop everyone else's changes for something Resume cannot fix.
        for error in body.get("errors") or []:
            log.warning(
                "Mailchimp rejected %s in batch %s: %s (%s)",
                error.get("email_address"),
                batch_id,
                error.get("error"),
                error.get("error_code"),
            )

    # Errors are "problem details" documents: https://mailchimp.com/developer/marketing/docs/errors/
    # ({"type", "title", "status", "detail", "instance"}, plus "errors" [{field, message}] on 400).
    def error_message(self, response: httpx.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            return super().error_message(response)
        if not isinstance(body, dict) or not ({"title", "detail"} & body.keys()):
            return super().error_message(response)
        message = ": ".join(str(part) for part in (body.get("title"), body.get("detail")) if part)
        details = [
            f"{error.get('field')}: {error.get('message')}" if error.get("field") else str(error.get("message"))
            for error in body.get("errors") or []
            if isinstance(error, dict)
        ]
        if details:
            message += " (" + "; ".join(details) + ")"
        return message[:500]
