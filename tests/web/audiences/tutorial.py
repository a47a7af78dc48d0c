"""The tutorial's data: who watched Paris content lately, and who is a premium member.

Stored through the Events API's own path (`parse_batch` + `ingest`), so the catalogue knows
"Play Video", its attribute keys and the `status` user attribute, as in real life.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from audiences.ingestion.service import ingest
from audiences.ingestion.wire import parse_batch

# (status, category, destination, days ago, copies) and whether such a profile is in the
# tutorial audience (Play Video with Destination Intro / Paris in the last 3 days AND status
# Premium). Matching is case-insensitive.
PEOPLE = [
    ("Premium", "Destination Intro", "Paris", 1, 6, True),
    ("premium", "destination intro", "PARIS", 2, 2, True),
    ("Premium", "Destination Intro", "Paris", 5, 3, False),  # too long ago
    ("Basic", "Destination Intro", "Paris", 1, 4, False),  # not premium
    ("Premium", "Destination Intro", "Rome", 1, 3, False),  # another destination
    ("Premium", "Highlights", "Paris", 1, 2, False),  # another category
]


def seed_tutorial(source, now: dt.datetime | None = None) -> int:
    """Store the tutorial's profiles through `source`; answer how many belong in the audience."""
    now = now or timezone.now()
    batches, expected, n = [], 0, 0
    for status, category, destination, days_ago, copies, member in PEOPLE:
        for _ in range(copies):
            n += 1
            at = now - dt.timedelta(days=days_ago, minutes=n)
            raw = {
                "user_identities": {"customerid": f"traveller-{n}", "email": f"traveller{n}@example.com"},
                "user_attributes": {"status": status, "age": 20 + n},
                "events": [
                    {
                        "event_type": "custom_event",
                        "data": {
                            "event_name": "Play Video",
                            "custom_event_type": "media",
                            "timestamp_unixtime_ms": int(at.timestamp() * 1000),
                            "custom_attributes": {"category": category, "destination": destination, "seconds": 30},
                        },
                    },
                    {"event_type": "session_start", "data": {"timestamp_unixtime_ms": int(at.timestamp() * 1000)}},
                ],
            }
            parsed, errors = parse_batch(raw)
            assert not errors, errors
            batches.append(parsed)
            expected += member
    ingest(source, batches, now=now)
    return expected
