"""A local Braze REST endpoint: `POST /users/track` with bearer keys and permissions, the
documented limits, fatal and non-fatal errors, and 429 with X-RateLimit-* headers
(https://www.braze.com/docs/api/endpoints/user_data/post_user_track/, .../api/errors/)."""

from __future__ import annotations

import threading
import time
from typing import Any

from tests.partners.stub import Answer, PartnerStub, Received

IDENTIFIERS = ("external_id", "user_alias", "braze_id", "email", "phone")
NOT_ATTRIBUTES = {*IDENTIFIERS, "_update_existing_only", "push_token_import"}


class BrazeStub(PartnerStub):
    """`keys` maps REST API keys to their permissions; `profiles` is what Braze holds, keyed by
    ("external_id", id), ("email", address) or ("alias", label, name)."""

    def __init__(self, keys: dict[str, set[str]]) -> None:
        super().__init__()
        self.keys = keys
        self.profiles: dict[tuple[str, ...], dict[str, Any]] = {}
        self.state_lock = threading.Lock()

    def throttle(self, times: int = 1, reset_in: int = 3) -> None:
        """The next requests hit the rate limit, answered the way Braze answers it."""
        reset = str(int(time.time()) + reset_in)
        headers = {"X-RateLimit-Limit": "3000", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}
        with self.lock:
            self.failures.extend(Answer(429, {"message": "Too many requests"}, headers) for _ in range(times))

    def handle(self, request: Received) -> Answer:
        header = request.headers.get("authorization", "")
        key = header.removeprefix("Bearer ") if header.startswith("Bearer ") else None
        if key not in self.keys:
            return Answer(401, {"message": "Invalid API key: unknown or missing REST API key"})
        if request.path != "/users/track":
            return Answer(404, {"message": "Not found"})
        if "users.track" not in self.keys[key]:
            return Answer(403, {"message": "Access denied: this API key lacks the users.track permission"})
        if request.method != "POST":
            return Answer(405, {"message": "Method not allowed"})
        try:
            body = request.json()
        except ValueError:
            return Answer(400, {"message": "Received unparseable response body"})
        if not isinstance(body, dict) or not any(body.get(part) for part in ("attributes", "events", "purchases")):
            return Answer(
                400, {"message": "Valid data must be provided in the attributes, events, or purchases fields."}
            )
        attributes = body.get("attributes") or []
        if len(attributes) > 75:
            return Answer(400, {"message": "Too many attributes: at most 75 attribute objects per request"})
        errors = []
        processed = 0
        with self.state_lock:
            for index, obj in enumerate(attributes):
                problem = self._apply(obj)
                if problem:
                    errors.append({"type": problem, "input_array": "attributes", "index": index})
                else:
                    processed += 1
        answer: dict[str, Any] = {"message": "success", "attributes_processed": processed}
        if errors:
            answer["errors"] = errors
        return Answer(201, answer)

    def _apply(self, obj: dict[str, Any]) -> str | None:
        present = [name for name in IDENTIFIERS if name in obj]
        if len(present) != 1:
            return "exactly one of 'external_id', 'user_alias', 'braze_id', 'email' or 'phone' is required"
        kind = present[0]
        if kind == "user_alias":
            alias = obj["user_alias"]
            if not isinstance(alias, dict) or not alias.get("alias_name") or not alias.get("alias_label"):
                return "'user_alias' needs 'alias_name' and 'alias_label'"
            key: tuple[str, ...] = ("alias", alias["alias_label"], alias["alias_name"])
            update_only = obj.get("_update_existing_only", True)
        else:
            if not isinstance(obj[kind], str) or not obj[kind]:
                return f"'{kind}' must be a non-empty string"
            key = (kind, obj[kind])
            update_only = obj.get("_update_existing_only", False)
        if key not in self.profiles and update_only:
            return None  # Braze ignores updates to a profile that does not exist in update-only mode
        profile = self.profiles.setdefault(key, {})
        for name, value in obj.items():
            if name in NOT_ATTRIBUTES:
                continue
            if isinstance(value, dict) and ("add" in value or "remove" in value):
                current = list(profile.get(name) or [])
                current += [v for v in value.get("add", []) if v not in current]
                profile[name] = [v for v in current if v not in value.get("remove", [])]
            else:
                profile[name] = value
        return None

    def profile(self, *key: str) -> dict[str, Any]:
        with self.state_lock:
            return dict(self.profiles.get(tuple(key), {}))
