"""Customer.io: audience members added to and removed from a manual segment, by customer id
or, for users without one, by email.

Track API, Basic auth with the workspace's site id and Track API key:
`POST /api/v1/segments/{segment_id}/add_customers` and `/remove_customers` with
`{"ids": [...]}` (at most 1,000 a request) and `?id_type=email` when the ids are emails.
The segment must exist and be a manual one.
https://docs.customer.io/api/track/ (Track Segments: add_to_segment, remove_from_segment)
"""

from __future__ import annotations

from typing import Literal

import httpx
from pydantic import Field

from outputs.partners.base import AudienceRef, Member, Partner, Settings

# The US and EU regions differ only in the subdomain.
REGION_URLS = {"us": "https://track.customer.io/api/v1", "eu": "https://track-eu.customer.io/api/v1"}
MAX_IDS_PER_REQUEST = 1000


class CustomerIOConfiguration(Settings):
    site_id: str = Field(min_length=1, description="Site ID from Workspace Settings > API Credentials.")
    api_key: str = Field(
        min_length=1, description="Track API key belonging to that site ID.", json_schema_extra={"secret": True}
    )
    region: Literal["us", "eu"] = Field(default="us", description="The data centre your account lives in.")
    base_url: str | None = Field(default=None, description="Track API base URL; leave empty to use the region's.")


class CustomerIOConnectionSettings(Settings):
    segment_id: int = Field(gt=0, description="ID of the manual segment to keep in step with this audience.")


def ids_by_type(members: list[Member]) -> dict[str, list[str]]:
    """Customer ids where a user has one (Customer.io's primary key), emails otherwise."""
    by_id: list[str] = []
    by_email: list[str] = []
    for member in members:
        customer_ids = [v for v in member.identities.get("customerid", []) if v.strip()]
        if customer_ids:
            by_id.extend(customer_ids)
        else:
            by_email.extend(v.strip() for v in member.identities.get("email", []) if v.strip())
    return {"id": list(dict.fromkeys(by_id)), "email": list(dict.fromkeys(by_email))}


class CustomerIO(Partner):
    kind = "customerio"
    name = "Customer.io"
    category = "Email & messaging"
    description = "Keeps a Customer.io manual segment in step with the audience, by customer id or email."
    logo = "img/partners/customerio.svg"
    accepted_identity_types = ("customerid", "email")
    batch_size = 1000
    # Customer.io asks Track API callers to stay around 100 requests per second.
    rate_per_second = 100
    takes_user_attributes = False
    delete_behaviour = "The manual segment and its people stay in Customer.io."
    default_base_url = REGION_URLS["us"]
    Configuration = CustomerIOConfiguration
    ConnectionSettings = CustomerIOConnectionSettings

    @property
    def base_url(self) -> str:
        return (self.configuration.base_url or REGION_URLS[self.configuration.region]).rstrip("/")

    def send(self, audience: AudienceRef, adds: list[Member], drops: list[Member], *, batch_id: str) -> None:
        segment = self.connection.segment_id
        for action, members in (("add_customers", adds), ("remove_customers", drops)):
            for id_type, ids in ids_by_type(members).items():
                for start in range(0, len(ids), MAX_IDS_PER_REQUEST):
                    self.request(
                        "POST",
                        f"/segments/{segment}/{action}",
                        # id_type=id is the default; say so only when the ids are emails.
                        params={"id_type": id_type} if id_type != "id" else None,
                        json={"ids": ids[start : start + MAX_IDS_PER_REQUEST]},
                        auth=(self.configuration.site_id, self.configuration.api_key),
                    )

    def error_message(self, response: httpx.Response) -> str:
        """Track API errors read {"meta": {"error": "..."}} (or a list under "errors").
        https://docs.customer.io/journeys/invalid-api-requests"""
        try:
            meta = response.json().get("meta") or {}
        except (ValueError, AttributeError):
            return super().error_message(response)
        if isinstance(meta, dict):
            if isinstance(meta.get("error"), str):
                return meta["error"]
            if isinstance(meta.get("errors"), list) and meta["errors"]:
                return "; ".join(str(e) for e in meta["errors"])
        return super().error_message(response)
