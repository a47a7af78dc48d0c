"""The workspace catalogue: every event name and attribute key seen, with its data type."""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction

from audiences.models.catalogue import DataType

if TYPE_CHECKING:
    from audiences.ingestion.service import Pending

DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")


def detect_type(value: Any) -> str | None:
    """The data type a value suggests; None for a null, which says nothing."""
    if value is None:
        return None
    if isinstance(value, bool):
        return DataType.BOOLEAN
    if isinstance(value, int | float):
        return DataType.NUMBER
    if isinstance(value, list):
        return DataType.LIST
    text = str(value).strip()
    if DATE_PATTERN.match(text):
        return DataType.DATE
    try:
        float(text)
    except ValueError:
        return DataType.STRING
    return DataType.NUMBER if text.lower() not in ("nan", "inf", "-inf", "infinity") else DataType.STRING


def _merge(known: str | None, seen: str | None) -> str | None:
    """Values of one key that disagree on type are treated as strings, the safe common type."""
    if known is None or known == seen:
        return seen
    if seen is None:
        return known
    return DataType.STRING


class _Stored:
    """What this process knows the catalogue holds: event names, and each attribute key with
    its stored type. Nearly every request names only known entries, and skipping their two
    upserts saves a round trip and most of the catalogue's cost. Entries are learnt only once
    their transaction commits. A stored type only ever moves to `string` (see `_merge`), so a
    key whose type is known needs no upsert for that type again. Forgotten every few minutes
    and when large, so a catalogue row removed behind this process's back comes back."""

    LIFETIME = 300.0
    MOST = 200_000

    def __init__(self) -> None:
        self.events: set[tuple[int, str, str]] = set()
        self.attributes: dict[tuple[int, str, str, str], str] = {}
        self.since = time.monotonic()

    def refresh(self) -> None:
        if time.monotonic() - self.since > self.LIFETIME or len(self.events) + len(self.attributes) > self.MOST:
            self.__init__()

    def learn(self, events: set, attributes: dict) -> None:
        self.events |= events
        for at, kind in attributes.items():
            known = self.attributes.get(at)
            self.attributes[at] = kind if known is None or known == kind else DataType.STRING


STORED = _Stored()


def record_catalogue(workspace_id: int, items: list[Pending], now: dt.datetime) -> None:
    events: set[tuple[str, str]] = set()
    attributes: dict[tuple[str, str, str], str | None] = {}
    # A request repeats the same few strings (categories, names) thousands of times; detect
    # each distinct one once instead of running the date pattern on every value.
    text_types: dict[str, str] = {}

    def type_of(value: Any) -> str | None:
        if isinstance(value, str):
            found = text_types.get(value)
            if found is None:
                found = text_types[value] = detect_type(value)
            return found
        return detect_type(value)

    for item in items:
        for key, value in (item.parsed.batch.user_attributes or {}).items():
            at = ("", "", key[:500])
            attributes[at] = _merge(attributes.get(at), type_of(value))
        for row in item.events:
            events.add((row.event_type, row.name))
            for key, value in row.attributes.items():
                at = (row.event_type, row.name, key[:500])
                attributes[at] = _merge(attributes.get(at), type_of(value))
    STORED.refresh()
    new_events = {(workspace_id, *event) for event in events} - STORED.events
    typed = sorted(
        (at, kind)
        for at, kind in attributes.items()
        if kind is not None and STORED.attributes.get((workspace_id, *at)) not in (kind, DataType.STRING)
    )
    with connection.cursor() as cursor:
        if new_events:
            _, kinds, names = zip(*sorted(new_events), strict=True)
            cursor.execute(
                "INSERT INTO audiences_catalogueevent (workspace_id, event_type, name, first_seen) "
                "SELECT %s, k, n, %s FROM unnest(%s::text[], %s::text[]) AS t(k, n) "
                "ON CONFLICT (workspace_id, event_type, name) DO NOTHING",
                [workspace_id, now, list(kinds), list(names)],
            )
        if typed:
            cursor.execute(
                "INSERT INTO audiences_catalogueattribute "
                "(workspace_id, event_type, event_name, key, detected_type, override_type, first_seen) "
                "SELECT %s, k, n, a, t, '', %s FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[]) "
                "AS x(k, n, a, t) ON CONFLICT (workspace_id, event_type, event_name, key) DO UPDATE "
                "SET detected_type = 'string' "
                "WHERE audiences_catalogueattribute.detected_type <> EXCLUDED.detected_type",
                [
                    workspace_id,
                    now,
                    [at[0] for at, _ in typed],
                    [at[1] for at, _ in typed],
                    [at[2] for at, _ in typed],
                    [kind for _, kind in typed],
                ],
            )
    if new_events or typed:
        learnt = {(workspace_id, *at): kind for at, kind in typed}
        transaction.on_commit(lambda: STORED.learn(new_events, learnt))
