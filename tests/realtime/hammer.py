"""Runs in separate processes (no Django here): posts batches for one user as fast as it can."""

from __future__ import annotations

import httpx


def hammer(url: str, key: str, secret: str, statuses: list[str]) -> None:
    with httpx.Client(auth=(key, secret), timeout=30) as client:
        for status in statuses:
            body = {
                "user_identities": {"email": "hammered@example.com"},
                "user_attributes": {"status": status},
                "events": [{"event_type": "session_start", "data": {}}],
            }
            response = client.post(url, json=body)
            if response.status_code != 202:
                raise SystemExit(f"{response.status_code}: {response.text}")
