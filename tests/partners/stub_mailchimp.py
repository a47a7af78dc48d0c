"""A local Mailchimp Marketing API 3.0: lists, batch subscribe/unsubscribe, Basic auth and
problem-details errors, as documented at https://mailchimp.com/developer/marketing/."""

from __future__ import annotations

import base64
import threading
import uuid
from typing import Any

from tests.partners.stub import Answer, PartnerStub, Received

STATUSES = {"subscribed", "unsubscribed", "cleaned", "pending", "transactional"}


def problem(status: int, title: str, detail: str, errors: list[dict[str, str]] | None = None) -> Answer:
    body: dict[str, Any] = {
        "type": "https://mailchimp.com/developer/marketing/docs/errors/",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": str(uuid.uuid4()),
    }
    if errors is not None:
        body["errors"] = errors
    return Answer(status, body, {"Content-Type": "application/problem+json; charset=utf-8"})


class MailchimpStub(PartnerStub):
    """`lists` maps list ids to names; `contacts[list_id][email]` is what Mailchimp holds."""

    def __init__(self, api_key: str, lists: dict[str, str], disabled_keys: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.api_key = api_key
        self.disabled_keys = set(disabled_keys)
        self.lists = dict(lists)
        self.contacts: dict[str, dict[str, dict[str, Any]]] = {list_id: {} for list_id in lists}
        self.state_lock = threading.Lock()

    def _key(self, request: Received) -> str | None:
        header = request.headers.get("authorization", "")
        if not header.startswith("Basic "):
            return None
        try:
            _, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return None
        return password

    def handle(self, request: Received) -> Answer:
        key = self._key(request)
        if key in self.disabled_keys:
            return problem(403, "User Disabled", "This account has been disabled.")
        if key != self.api_key:
            return problem(401, "API Key Invalid", "The API key is not valid for this data center.")
        parts = request.path.strip("/").split("/")
        if len(parts) != 3 or parts[:2] != ["3.0", "lists"]:
            return problem(404, "Resource Not Found", "The requested resource could not be found.")
        list_id = parts[2]
        if list_id not in self.lists:
            return problem(404, "Resource Not Found", "The requested resource could not be found.")
        if request.method == "GET":
            return Answer(200, {"id": list_id, "name": self.lists[list_id]})
        if request.method == "POST":
            return self._batch(list_id, request)
        return problem(405, "Method Not Allowed", "The requested method and resource are not compatible.")

    def _batch(self, list_id: str, request: Received) -> Answer:
        try:
            body = request.json()
        except ValueError:
            return problem(400, "JSON Parse Error", "We encountered an unspecified JSON parsing error.")
        if not isinstance(body, dict) or not isinstance(body.get("members"), list):
            return problem(
                400,
                "Invalid Resource",
                "The resource submitted could not be validated.",
                [{"field": "members", "message": "Required fields were not provided: members"}],
            )
        members = body["members"]
        if len(members) > 500:
            return problem(
                400,
                "Invalid Resource",
                "The resource submitted could not be validated.",
                [{"field": "members", "message": "A maximum of 500 members may be sent per call."}],
            )
        for index, member in enumerate(members):
            if member.get("status") not in STATUSES:
                return problem(
                    400,
                    "Invalid Resource",
                    "The resource submitted could not be validated.",
                    [{"field": f"members item {index} status", "message": "Value is not one of the allowed statuses."}],
                )
        update_existing = bool(body.get("update_existing"))
        created, updated, errors = [], [], []
        seen: set[str] = set()
        with self.state_lock:
            contacts = self.contacts[list_id]
            for member in members:
                email = str(member.get("email_address", ""))
                key = email.lower()
                if "@" not in email:
                    errors.append(
                        {
                            "email_address": email,
                            "error": f"{email} looks fake or invalid, please enter a real email address.",
                            "error_code": "ERROR_GENERIC",
                        }
                    )
                    continue
                if key in seen:
                    errors.append(
                        {"email_address": email, "error": "Duplicate in request", "error_code": "ERROR_GENERIC"}
                    )
                    continue
                seen.add(key)
                if key in contacts and not update_existing:
                    errors.append(
                        {
                            "email_address": email,
                            "error": f"{email} is already a list member",
                            "error_code": "ERROR_CONTACT_EXISTS",
                        }
                    )
                    continue
                record = contacts.setdefault(key, {"email_address": email, "merge_fields": {}})
                (updated if "status" in record else created).append(
                    {"email_address": email, "status": member["status"]}
                )
                record["status"] = member["status"]
                record["merge_fields"].update(member.get("merge_fields") or {})
        return Answer(
            200,
            {
                "new_members": created,
                "updated_members": updated,
                "errors": errors,
                "total_created": len(created),
                "total_updated": len(updated),
                "error_count": len(errors),
            },
        )

    def status(self, list_id: str) -> dict[str, str]:
        """email -> subscription status, as the Mailchimp UI would show the audience."""
        with self.state_lock:
            return {email: record["status"] for email, record in self.contacts[list_id].items()}
