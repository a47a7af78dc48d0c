"""A local Graph API that plays Facebook's Marketing API for custom audiences: it checks the
access token (and appsecret_proof when an app secret is set), validates parameters and
payloads, keeps the audiences it created with the hashes and ids they hold, and answers
errors in Graph's shape {"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from tests.partners.stub import Answer, PartnerStub, Received

TOKEN = "EAAB-system-user-token"
AD_ACCOUNT = "1234567890"
HASH = re.compile(r"^[0-9a-f]{64}$")
MADID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
FILE_SOURCES = {"USER_PROVIDED_ONLY", "PARTNER_PROVIDED_ONLY", "BOTH_USER_AND_PARTNER_PROVIDED"}


@dataclass
class CustomAudience:
    id: str
    name: str
    subtype: str
    customer_file_source: str
    description: str = ""
    users: dict[str, set[str]] = field(default_factory=lambda: {"EMAIL": set(), "PHONE": set(), "MADID": set()})


def graph_error(
    status: int, message: str, code: int, *, kind: str = "OAuthException", subcode: int | None = None
) -> Answer:
    error: dict[str, Any] = {"message": message, "type": kind, "code": code, "fbtrace_id": "AbCdEfGh123"}
    if subcode is not None:
        error["error_subcode"] = subcode
    return Answer(status, {"error": error})


class FacebookStub(PartnerStub):
    def __init__(self, app_secret: str | None = None) -> None:
        super().__init__()
        self.app_secret = app_secret
        self.audiences: dict[str, CustomAudience] = {}
        self.ids = itertools.count(23850000000000001)

    def params(self, request: Received) -> dict[str, str]:
        form = parse_qs(request.body.decode()) if request.body else {}
        return {key: values[-1] for key, values in {**request.query, **form}.items()}

    def handle(self, request: Received) -> Answer:
        match = re.fullmatch(r"/(v\d+\.\d+)/([^/]+)(?:/([a-z_]+))?", request.path)
        if not match:
            return graph_error(400, "Unknown path components", 2500)
        _version, node, edge = match.groups()
        params = self.params(request)
        if params.get("access_token") != TOKEN:
            answer = graph_error(400, "Invalid OAuth access token - Cannot parse access token", 190)
            answer.headers["WWW-Authenticate"] = (
                'OAuth "Facebook Platform" "invalid_token" "Invalid OAuth access token"'
            )
            return answer
        if self.app_secret is not None:
            proof = hmac.new(self.app_secret.encode(), TOKEN.encode(), hashlib.sha256).hexdigest()
            if params.get("appsecret_proof") != proof:
                return graph_error(
                    400, "Invalid appsecret_proof provided in the API argument", 100, kind="GraphMethodException"
                )

        if node.startswith("act_") and edge == "customaudiences" and request.method == "POST":
            return self.create(node, params)
        audience = self.audiences.get(node)
        if audience is None:
            return graph_error(
                400,
                f"Unsupported {request.method.lower()} request. Object with ID '{node}' does not exist, cannot be "
                "loaded due to missing permissions, or does not support this operation.",
                100,
                kind="GraphMethodException",
                subcode=33,
            )
        if edge == "users" and request.method in ("POST", "DELETE"):
            return self.users(audience, request.method, params)
        if edge is None and request.method == "DELETE":
            del self.audiences[node]
            return Answer(200, {"success": True})
        return graph_error(400, "Unsupported request - method type", 100, kind="GraphMethodException")

    def create(self, node: str, params: dict[str, str]) -> Answer:
        if node != f"act_{AD_ACCOUNT}":
            return graph_error(403, "(#200) Ad account owner has NOT grant ads_management or ads_read permission", 200)
        for required in ("name", "subtype"):
            if not params.get(required):
                return graph_error(400, f"(#100) The parameter {required} is required", 100)
        if params["subtype"] != "CUSTOM" or params.get("customer_file_source") not in FILE_SOURCES:
            return graph_error(400, "(#100) Invalid parameter", 100, subcode=1870053)
        audience_id = str(next(self.ids))
        self.audiences[audience_id] = CustomAudience(
            id=audience_id,
            name=params["name"],
            subtype=params["subtype"],
            customer_file_source=params["customer_file_source"],
            description=params.get("description", ""),
        )
        return Answer(200, {"id": audience_id})

    def users(self, audience: CustomAudience, method: str, params: dict[str, str]) -> Answer:
        try:
            payload = json.loads(params["payload"])
            schema, data = payload["schema"], payload["data"]
        except (KeyError, ValueError, TypeError):
            return graph_error(400, "(#100) param payload must be a JSON object with schema and data", 100)
        if not isinstance(schema, list) or not set(schema) <= {"EMAIL", "PHONE", "MADID"} or not data:
            return graph_error(400, "(#100) Invalid schema or empty data", 100, subcode=1870022)
        if len(data) > 10_000:
            return graph_error(400, "(#100) Too many users in one request: at most 10000", 100, subcode=1870048)
        invalid = 0
        for row in data:
            if len(row) != len(schema):
                return graph_error(400, "(#100) Each row of data must match the schema", 100, subcode=1870025)
            for key, value in zip(schema, row, strict=True):
                if value == "":
                    continue
                if (key == "MADID" and not MADID.match(value)) or (key != "MADID" and not HASH.match(value)):
                    invalid += 1
                    continue
                if method == "POST":
                    audience.users[key].add(value)
                else:
                    audience.users[key].discard(value)
        return Answer(
            200,
            {
                "audience_id": audience.id,
                "session_id": "1234567",
                "num_received": len(data),
                "num_invalid_entries": invalid,
                "invalid_entry_samples": {},
            },
        )
