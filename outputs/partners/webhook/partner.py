"""Webhook: our own output. Signed JSON batches of adds and drops to any HTTPS endpoint.

The wire format is documented in docs/webhook.md (and API.md): a receiver written from that
page alone can verify signatures and deduplicate on `batch_id`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from django.utils import timezone
from pydantic import Field, HttpUrl

from accounts.identities import ALL_IDENTITY_TYPES
from outputs.partners.base import AudienceRef, Member, Partner, Settings

SIGNATURE_HEADER = "X-OpenAudience-Signature"


class WebhookConfiguration(Settings):
    url: HttpUrl = Field(description="Where batches are POSTed.")
    secret: str = Field(
        min_length=16,
        description="Shared secret for the HMAC-SHA256 signature (at least 16 characters).",
        json_schema_extra={"secret": True},
    )


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class Webhook(Partner):
    kind = "webhook"
    name = "Webhook"
    category = "Webhook"
    description = "Signed JSON batches of adds and drops to an endpoint of yours."
    logo = "img/partners/webhook.svg"
    accepted_identity_types = ALL_IDENTITY_TYPES
    batch_size = 1000
    takes_user_attributes = True
    delete_behaviour = 'Sends a final message with "deleted": true.'
    Configuration = WebhookConfiguration

    def _post(self, document: dict[str, Any]) -> None:
        body = json.dumps(document, separators=(",", ":"), sort_keys=True).encode()
        self.request(
            "POST",
            str(self.configuration.url),
            content=body,
            headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(self.configuration.secret, body)},
        )

    @staticmethod
    def _audience(audience: AudienceRef) -> dict[str, Any]:
        return {"id": audience.audience_id, "name": audience.name, "variation": audience.variation}

    @staticmethod
    def _member(member: Member) -> dict[str, Any]:
        out: dict[str, Any] = {"mpid": member.mpid, "identities": member.identities}
        if member.attributes is not None:
            out["attributes"] = member.attributes
        return out

    def send(self, audience: AudienceRef, adds: list[Member], drops: list[Member], *, batch_id: str) -> None:
        self._post(
            {
                "batch_id": batch_id,
                "sent_at": timezone.now().isoformat(),
                "audience": self._audience(audience),
                "adds": [self._member(m) for m in adds],
                "drops": [self._member(m) for m in drops],
            }
        )

    def delete(self, audience: AudienceRef) -> None:
        self._post({"audience": self._audience(audience), "deleted": True, "sent_at": timezone.now().isoformat()})
