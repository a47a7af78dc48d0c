"""A local Iterable API: lists (create, get, delete, subscribe, unsubscribe) behind the Api-Key
header, answering {"msg", "code", "params"} errors (https://api.iterable.com/api/docs)."""

from __future__ import annotations

import itertools
import threading
from typing import Any

from tests.partners.stub import Answer, PartnerStub, Received

LIST_ENDPOINTS = ("/api/lists", "/api/lists/subscribe", "/api/lists/unsubscribe")


def error(status: int, code: str, msg: str) -> Answer:
    return Answer(status, {"msg": msg, "code": code, "params": None})


class IterableStub(PartnerStub):
    """`keys` maps API keys to their type ("server_side" may use the lists API, "mobile" may not).
    `lists[id]` is the set of subscribed emails; `users[email]` the user's data fields."""

    def __init__(self, keys: dict[str, str], lists: dict[int, str] | None = None) -> None:
        super().__init__()
        self.keys = keys
        self.names: dict[int, str] = dict(lists or {})
        self.lists: dict[int, set[str]] = {list_id: set() for list_id in self.names}
        self.users: dict[str, dict[str, Any]] = {}
        self.channel_unsubscribed: set[str] = set()
        self.ids = itertools.count(1000)
        self.state_lock = threading.Lock()

    def handle(self, request: Received) -> Answer:
        key = request.headers.get("api-key") or request.headers.get("api_key")
        if key not in self.keys:
            return error(401, "BadApiKey", "Invalid API key")
        if self.keys[key] != "server_side":
            return error(403, "Forbidden", f"A {self.keys[key]} API key cannot call {request.method} {request.path}")
        path = request.path.rstrip("/")
        if request.method == "GET" and path == "/api/lists":
            with self.state_lock:
                return Answer(
                    200, {"lists": [{"id": i, "name": n, "listType": "Standard"} for i, n in self.names.items()]}
                )
        if request.method == "DELETE" and path.startswith("/api/lists/"):
            return self._delete(path.rsplit("/", 1)[-1])
        if request.method == "POST" and path in LIST_ENDPOINTS:
            try:
                body = request.json()
            except ValueError:
                return error(400, "InvalidJsonBody", "Could not parse the request body as JSON")
            if not isinstance(body, dict):
                return error(400, "InvalidJsonBody", "The request body must be a JSON object")
            if path == "/api/lists":
                return self._create(body)
            return self._membership(body, subscribe=path.endswith("/subscribe"))
        return error(404, "NotFound", f"No route for {request.method} {request.path}")

    def _create(self, body: dict[str, Any]) -> Answer:
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            return error(400, "BadParams", "name is required")
        with self.state_lock:
            list_id = next(self.ids)
            self.names[list_id] = name
            self.lists[list_id] = set()
        return Answer(200, {"listId": list_id})

    def _delete(self, raw_id: str) -> Answer:
        if not raw_id.isdigit():
            return error(400, "BadParams", f"Invalid list id {raw_id}")
        with self.state_lock:
            if int(raw_id) not in self.lists:
                return error(404, "NotFound", f"List {raw_id} does not exist")
            del self.lists[int(raw_id)]
            del self.names[int(raw_id)]
        return Answer(200, {"msg": f"Deleted list {raw_id}", "code": "Success", "params": None})

    def _membership(self, body: dict[str, Any], *, subscribe: bool) -> Answer:
        list_id, subscribers = body.get("listId"), body.get("subscribers")
        if not isinstance(list_id, int) or not isinstance(subscribers, list):
            return error(400, "BadParams", "listId (a number) and subscribers (an array) are required")
        result: dict[str, Any] = {"successCount": 0, "failCount": 0, "invalidEmails": [], "invalidUserIds": []}
        result |= {"notFoundEmails": [], "notFoundUserIds": [], "filteredOutFields": [], "createdFields": []}
        with self.state_lock:
            if list_id not in self.lists:
                return error(404, "NotFound", f"List {list_id} does not exist")
            for subscriber in subscribers:
                email = subscriber.get("email") if isinstance(subscriber, dict) else None
                if not isinstance(email, str) or "@" not in email:
                    result["failCount"] += 1
                    result["invalidEmails"].append(email)
                    continue
                email = email.lower()
                if subscribe:
                    self.users.setdefault(email, {}).update(subscriber.get("dataFields") or {})
                    self.lists[list_id].add(email)
                else:
                    self.lists[list_id].discard(email)
                    if body.get("channelUnsubscribe"):
                        self.channel_unsubscribed.add(email)
                result["successCount"] += 1
        return Answer(200, result)

    def members(self, list_id: int) -> set[str]:
        with self.state_lock:
            return set(self.lists[list_id])
