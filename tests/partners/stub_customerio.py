"""A local Customer.io Track API for manual segments: Basic auth with site id and Track API
key, `POST /api/v1/segments/{id}/add_customers|remove_customers` with `{"ids": [...]}` and an
optional `id_type` (id, email, cio_id), 1,000 ids a request at most, errors as
{"meta": {"error": "..."}}. It keeps who is in each segment."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field

from tests.partners.stub import Answer, PartnerStub, Received

SITE_ID = "a1b2c3d4e5f6"
API_KEY = "track-api-key-0123456789"


@dataclass
class Segment:
    id: int
    manual: bool = True
    people: dict[str, set[str]] = field(default_factory=lambda: {"id": set(), "email": set(), "cio_id": set()})


def error(status: int, message: str) -> Answer:
    return Answer(status, {"meta": {"error": message}})


class CustomerIOStub(PartnerStub):
    def __init__(self) -> None:
        super().__init__()
        self.segments: dict[int, Segment] = {12: Segment(12), 13: Segment(13, manual=False)}

    def handle(self, request: Received) -> Answer:
        expected = "Basic " + base64.b64encode(f"{SITE_ID}:{API_KEY}".encode()).decode()
        if request.headers.get("authorization") != expected:
            return error(401, "Unauthorized request: check your site ID and API key")
        match = re.fullmatch(r"/api/v1/segments/(\d+)/(add_customers|remove_customers)", request.path)
        if not match or request.method != "POST":
            return error(404, "Not found")
        segment = self.segments.get(int(match.group(1)))
        if segment is None:
            return error(404, "segment not found")
        if not segment.manual:
            return error(400, "cannot add or remove people on a data-driven segment")
        id_type = request.query.get("id_type", ["id"])[-1]
        if id_type not in segment.people:
            return error(400, "id_type must be one of id, email, cio_id")
        try:
            ids = request.json()["ids"]
        except (ValueError, KeyError, TypeError):
            return error(400, "request body must be a JSON object with an ids array")
        if not isinstance(ids, list) or not all(isinstance(i, str) and i for i in ids):
            return error(400, "ids must be an array of non-empty strings")
        if len(ids) > 1000:
            return error(400, "cannot send more than 1000 ids in one request")
        known = segment.people[id_type]
        if match.group(2) == "add_customers":
            known.update(ids)
        else:
            known.difference_update(ids)
        return Answer(200, {})
