"""Store batches of the Events API: profiles, identities, attributes, consent and events.

One call stores a whole request (up to 100 batches) in one transaction with set-based
statements, so a request is all-or-nothing and costs a handful of round trips, not a few
per event. The web view and `seed_demo` both come through `ingest()`.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import psycopg
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from audiences import realtime
from audiences.catalogue import record_catalogue
from audiences.hashing import new_mpid
from audiences.ingestion.wire import DEVICE_IDENTITY_TYPES, ParsedBatch, ParsedEvent
from audiences.models import Input
from audiences.models.events import Tier
from audiences.partitions import ensure_partitions, forget_partitions

# Data fields that become columns of the event row; everything else is kept in `extra`.
EXTRACTED_FIELDS = {
    "timestamp_unixtime_ms",
    "custom_attributes",
    "event_name",
    "custom_event_type",
    "screen_name",
    "product_action",
    "promotion_action",
    "product_impressions",
    "currency_code",
}
COMMERCE_FIELDS = {"product_action", "promotion_action", "product_impressions", "currency_code", "screen_name"}
DEVICE_FIELDS = (
    "platform",
    "os_version",
    "device_model",
    "device_manufacturer",
    "brand",
    "network_carrier",
    "locale_country",
    "locale_language",
    "is_tablet",
    "att_authorization_status",
)


class IngestRefused(Exception):
    """The request cannot be stored as a whole; nothing of it was written."""

    def __init__(self, index: int, field: str, message: str):
        super().__init__(message)
        self.index = index
        self.field = field
        self.message = message


@dataclass
class IngestResult:
    batches: int = 0
    duplicate_batches: int = 0
    events: int = 0
    dropped_too_old: int = 0
    dropped_future: int = 0
    mpids: list[int] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"batches": self.batches, "events": self.events}
        if self.duplicate_batches:
            body["duplicate_batches"] = self.duplicate_batches
        if self.dropped_too_old:
            body["dropped_too_old"] = self.dropped_too_old
        if self.dropped_future:
            body["dropped_future"] = self.dropped_future
        return body


@dataclass
class EventRow:
    timestamp: dt.datetime
    event_type: str
    name: str
    custom_event_type: str
    attributes: dict
    commerce: dict | None
    extra_json: str | None  # the data fields without a column of their own, as JSON text
    location: tuple[float, float] | None


def to_time(ms: int | None, default: dt.datetime) -> dt.datetime:
    if ms is None:
        return default
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)


def normalise(event: ParsedEvent, received_at: dt.datetime) -> EventRow:
    """Turn a wire event into the row the criteria engine reads.

    Installs, upgrades and attribution are derived from the wire types, so criteria can ask
    for them by kind (see DEFINITION.md).
    """
    # The validated fields are read directly and the rest goes straight to JSON text in
    # pydantic's serializer: dumping every event to a dict first cost more than storing it.
    data = event.data
    event_type, name, custom_type, commerce = event.event_type, "", "", None
    if event_type == "custom_event":
        name, custom_type = data.event_name, data.custom_event_type or "other"
        if custom_type == "attribution":
            event_type = "attribution"
    elif event_type == "screen_view":
        name = data.screen_name
    elif event_type == "commerce_event":
        commerce = data.model_dump(include=COMMERCE_FIELDS, exclude_none=True)
        action = commerce.get("product_action")
        name = action["action"] if action else ("promotion" if commerce.get("promotion_action") else "impression")
    elif event_type == "application_state_transition":
        name = data.application_transition_type
        if name == "application_initialized" and data.is_first_run:
            event_type = "install"
        elif data.is_upgrade:
            event_type = "upgrade"
    elif event_type == "crash_report":
        name = data.class_name or ""
    extra = data.model_dump_json(exclude=EXTRACTED_FIELDS, exclude_none=True)
    where = data.location
    location = None
    if where is not None and where.latitude is not None and where.longitude is not None:
        location = (where.latitude, where.longitude)
    return EventRow(
        timestamp=to_time(data.timestamp_unixtime_ms, received_at),
        event_type=event_type,
        name=name[:500],
        custom_event_type=custom_type,
        attributes=data.custom_attributes or {},
        commerce=commerce,
        extra_json=None if extra == "{}" else extra,
        location=location,
    )


def identities_of(parsed: ParsedBatch) -> list[tuple[str, str]]:
    """Every (identity type, value) the batch names, user identities and device ids alike."""
    found = []
    if parsed.batch.user_identities:
        for key, value in parsed.batch.user_identities.model_dump(exclude_none=True).items():
            if isinstance(value, str) and value:
                found.append((key, value))
    if parsed.batch.device_info:
        for key in DEVICE_IDENTITY_TYPES:
            value = getattr(parsed.batch.device_info, key)
            if value:
                found.append((key, value))
    return found


@dataclass
class Pending:
    """One accepted batch on its way into the database."""

    index: int
    parsed: ParsedBatch
    events: list[EventRow]
    identities: list[tuple[str, str]]
    mpid: int | None = None


def ingest(
    source: Input,
    batches: list[ParsedBatch],
    *,
    historical: bool = False,
    now: dt.datetime | None = None,
) -> IngestResult:
    """Store parsed batches received through `source`; all of them or, on refusal, none."""
    now = now or timezone.now()
    workspace = source.workspace
    account = workspace.account
    result = IngestResult()
    # Live events older than the real-time window, and back-fills older than the long-term
    # history kept, would be dropped by the next retention sweep: they are not stored at all.
    oldest = now - dt.timedelta(days=account.long_term_retention_days if historical else account.retention_days)
    newest = now + dt.timedelta(seconds=settings.EVENTS_FUTURE_SKEW_SECONDS)
    tier = Tier.HISTORICAL if historical else Tier.LIVE

    pending: list[Pending] = []
    for index, parsed in enumerate(batches):
        batch_time = to_time(parsed.batch.timestamp_unixtime_ms, now)
        rows = []
        for event in parsed.events:
            row = normalise(event, batch_time)
            if row.timestamp > newest:
                result.dropped_future += 1
            elif row.timestamp < oldest:
                result.dropped_too_old += 1
            else:
                rows.append(row)
        pending.append(Pending(index=index, parsed=parsed, events=rows, identities=identities_of(parsed)))

    days = {row.timestamp.date() for item in pending for row in item.events}
    try:
        _store(source, tier, days, pending, now, result)
    except (DatabaseError, psycopg.Error) as exc:  # COPY speaks psycopg directly
        if "no partition of relation" not in str(exc):
            raise
        # This process remembered a partition that retention has dropped since: look again.
        forget_partitions(account.pk)
        _store(source, tier, days, pending, now, result)
    return result


def _store(
    source: Input, tier: int, days: set[dt.date], pending: list[Pending], now: dt.datetime, result: IngestResult
) -> None:
    workspace = source.workspace
    account_id = workspace.account_id
    with transaction.atomic():
        ensure_partitions(account_id, tier, days)
        with connection.cursor() as cursor:
            accepted = _drop_repeated_requests(cursor, source, pending, now)
            result.duplicate_batches = len(pending) - len(accepted)
            if not accepted:
                return
            _resolve_profiles(cursor, account_id, accepted, now)
            _store_profile_state(cursor, workspace.pk, accepted, now)
            _store_identities(cursor, account_id, workspace.pk, accepted, now)
            result.events = _copy_events(cursor, account_id, tier, workspace.pk, source.pk, accepted, now)
        record_catalogue(workspace.pk, accepted, now)
        result.mpids = sorted({item.mpid for item in accepted})
        # Real time: these users are re-evaluated once this data is committed.
        realtime.queue(workspace.pk, result.mpids, now)
        transaction.on_commit(realtime.wake)
    result.batches = len(accepted)


def _text_list(values: list) -> str:
    """A list (of text, or of tuples of text and numbers) as one JSON document for `%s::jsonb`.
    psycopg quotes each element of a text[] parameter in Python; json.dumps does it all in C."""
    return json.dumps(values, separators=(",", ":"), ensure_ascii=False)


def _drop_repeated_requests(cursor, source: Input, pending: list[Pending], now: dt.datetime) -> list[Pending]:
    keyed = [item for item in pending if item.parsed.batch.source_request_id]
    if not keyed:
        return pending
    ids = [item.parsed.batch.source_request_id for item in keyed]
    cursor.execute(
        "INSERT INTO audiences_sourcerequest (input_id, source_request_id, received_at) "
        "SELECT %s, id, %s FROM jsonb_array_elements_text(%s::jsonb) AS id "
        "ON CONFLICT (input_id, source_request_id) DO NOTHING RETURNING source_request_id",
        [source.pk, now, _text_list(ids)],
    )
    fresh = {row[0] for row in cursor.fetchall()}
    accepted = []
    for item in pending:
        key = item.parsed.batch.source_request_id
        if key is None:
            accepted.append(item)
        elif key in fresh:
            fresh.discard(key)  # a repeat inside the same request counts as a repeat too
            accepted.append(item)
    return accepted


def _resolve_profiles(cursor, account_id: int, items: list[Pending], now: dt.datetime) -> None:
    """Give every batch its mpid: the one it names, else the holder of a known identity, else new."""
    keys = sorted({f"{account_id}:{kind}:{value}" for item in items for kind, value in item.identities})
    if keys:
        # Two requests naming the same new identity must not create two profiles.
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM jsonb_array_elements_text(%s::jsonb) k",
            [_text_list(keys)],
        )
    named = sorted({item.parsed.batch.mpid for item in items if item.parsed.batch.mpid is not None})
    if named:
        cursor.execute("SELECT mpid, account_id FROM audiences_profile WHERE mpid = ANY(%s)", [named])
        for mpid, owner in cursor.fetchall():
            if owner != account_id:
                index = next(i.index for i in items if i.parsed.batch.mpid == mpid)
                raise IngestRefused(index, "mpid", "this mpid belongs to another account")

    holders: dict[tuple[str, str], int] = {}
    wanted = {pair for item in items if item.parsed.batch.mpid is None for pair in item.identities}
    if wanted:
        cursor.execute(
            "SELECT i.identity_type, i.value, min(i.mpid) FROM audiences_identity i "
            "JOIN (SELECT w ->> 0 AS kind, w ->> 1 AS value FROM jsonb_array_elements(%s::jsonb) AS w) AS w "
            "ON i.identity_type = w.kind AND i.value = w.value "
            "WHERE i.account_id = %s GROUP BY 1, 2",
            [_text_list(sorted(wanted)), account_id],
        )
        holders = {(kind, value): mpid for kind, value, mpid in cursor.fetchall()}

    for item in items:
        mpid = item.parsed.batch.mpid
        if mpid is None:
            mpid = next((holders[pair] for pair in item.identities if pair in holders), None)
        if mpid is None:
            mpid = new_mpid()
        item.mpid = mpid
        # Later batches of the same request that share an identity join this profile.
        for pair in item.identities:
            holders.setdefault(pair, mpid)

    mpids = sorted({item.mpid for item in items})
    # The sample bucket is the estimator's hash of the mpid, computed where it is indexed.
    cursor.execute(
        "INSERT INTO audiences_profile (mpid, account_id, sample_bucket, created_at) "
        "SELECT m, %s, audiences_sample_bucket(m), %s FROM unnest(%s::bigint[]) AS t(m) "
        "ON CONFLICT (mpid) DO NOTHING",
        [account_id, now, mpids],
    )


def _merge_consent(current: dict, incoming: dict) -> dict:
    """Keep, per regulation and purpose, the latest consent state received."""
    merged = {regulation: dict(purposes) for regulation, purposes in current.items()}
    for regulation, purposes in incoming.items():
        for purpose, state in (purposes or {}).items():
            known = merged.setdefault(regulation, {}).get(purpose)
            if known and (known.get("timestamp_unixtime_ms") or 0) > (state.get("timestamp_unixtime_ms") or 0):
                continue
            merged[regulation][purpose] = state
    return merged


def _json(value: Any) -> Any:
    # Django's psycopg setup hands jsonb to raw cursors as text (JSONField decodes it itself).
    return json.loads(value) if isinstance(value, str) else value


def _store_profile_state(cursor, workspace_id: int, items: list[Pending], now: dt.datetime) -> None:
    """Merge attributes, consent, device, location and attribution into each profile's row."""
    mpids = sorted({item.mpid for item in items})
    cursor.execute(
        "SELECT mpid, first_seen, last_seen, user_attributes, consent, device, latitude, longitude, "
        "install_attribution, uninstall_attribution FROM audiences_profileworkspace "
        "WHERE workspace_id = %s AND mpid = ANY(%s) ORDER BY mpid FOR UPDATE",
        [workspace_id, mpids],
    )
    state: dict[int, dict[str, Any]] = {}
    for row in cursor.fetchall():
        state[row[0]] = {
            "first_seen": row[1],
            "last_seen": row[2],
            "user_attributes": _json(row[3]),
            "consent": _json(row[4]),
            "device": _json(row[5]),
            # The stored location's own time is not kept; it is no later than the last seen time,
            # so an event from then on replaces it (and an older, back-filled one does not).
            "location": (row[6], row[7], row[2]) if row[6] is not None else None,
            "install": _json(row[8]),
            "uninstall": _json(row[9]),
        }
    for item in items:
        batch = item.parsed.batch
        batch_time = to_time(batch.timestamp_unixtime_ms, now)
        times = [row.timestamp for row in item.events] or [batch_time]
        profile = state.setdefault(
            item.mpid,
            {
                "first_seen": min(times),
                "last_seen": max(times),
                "user_attributes": {},
                "consent": {},
                "device": {},
                "location": None,
                "install": None,
                "uninstall": None,
            },
        )
        profile["first_seen"] = min(profile["first_seen"], *times)
        profile["last_seen"] = max(profile["last_seen"], *times)
        attributes = profile["user_attributes"]
        if batch.user_attributes:
            attributes.update(batch.user_attributes)
        for key in batch.deleted_user_attributes or ():
            attributes.pop(key, None)
        if batch.consent_state:
            profile["consent"] = _merge_consent(profile["consent"], batch.consent_state.model_dump(exclude_none=True))
        if batch.device_info:
            device = batch.device_info.model_dump(exclude_none=True)
            profile["device"].update({key: device[key] for key in DEVICE_FIELDS if key in device})
        for row in item.events:
            if row.location and (profile["location"] is None or (profile["location"][2] or now) <= row.timestamp):
                profile["location"] = (row.location[0], row.location[1], row.timestamp)
            if row.event_type == "attribution":
                kind = "uninstall" if row.name.lower() == "uninstall" else "install"
                known = profile[kind]
                if known is None or known.get("at", "") <= row.timestamp.isoformat():
                    # An attribution event with {"action": "delete"} (the reference client's
                    # "attribution delete" event) forgets the attribution instead of setting it.
                    if row.attributes.get("action") == "delete":
                        profile[kind] = None
                    else:
                        profile[kind] = {
                            "publisher": row.attributes.get("publisher"),
                            "campaign": row.attributes.get("campaign"),
                            "at": row.timestamp.isoformat(),
                        }

    # One JSON document rather than eleven arrays: quoting arrays of JSON text for the query
    # was a tenth of a request's time. (A JSON null becomes an SQL NULL in jsonb_to_recordset.)
    rows = json.dumps(
        [
            {
                "m": mpid,
                "f": p["first_seen"].isoformat(),
                "l": p["last_seen"].isoformat(),
                "u": p["user_attributes"],
                "c": p["consent"],
                "d": p["device"],
                "lat": p["location"][0] if p["location"] else None,
                "lon": p["location"][1] if p["location"] else None,
                "i": p["install"] or None,
                "un": p["uninstall"] or None,
            }
            for mpid, p in sorted(state.items())
        ]
    )
    cursor.execute(
        "INSERT INTO audiences_profileworkspace (mpid, workspace_id, first_seen, last_seen, user_attributes, "
        "consent, device, latitude, longitude, install_attribution, uninstall_attribution) "
        "SELECT m, %s, f, l, u, c, d, lat, lon, i, un FROM jsonb_to_recordset(%s::jsonb) AS t(m bigint, "
        "f timestamptz, l timestamptz, u jsonb, c jsonb, d jsonb, lat float8, lon float8, i jsonb, un jsonb) "
        "ON CONFLICT (mpid, workspace_id) DO UPDATE SET first_seen = EXCLUDED.first_seen, "
        "last_seen = EXCLUDED.last_seen, user_attributes = EXCLUDED.user_attributes, "
        "consent = EXCLUDED.consent, device = EXCLUDED.device, latitude = EXCLUDED.latitude, "
        "longitude = EXCLUDED.longitude, install_attribution = EXCLUDED.install_attribution, "
        "uninstall_attribution = EXCLUDED.uninstall_attribution",
        [workspace_id, rows],
    )


def _store_identities(cursor, account_id: int, workspace_id: int, items: list[Pending], now: dt.datetime) -> None:
    seen: dict[tuple[str, str], int] = {}
    for item in items:
        for pair in item.identities:
            seen.setdefault(pair, item.mpid)
    if not seen:
        return
    ordered = sorted(seen.items())
    # An identity already held by another profile stays with it (first come, first kept).
    cursor.execute(
        "INSERT INTO audiences_identity (account_id, mpid, workspace_id, identity_type, value, first_seen, last_seen) "
        "SELECT %s, (t ->> 0)::bigint, %s, t ->> 1, t ->> 2, %s, %s FROM jsonb_array_elements(%s::jsonb) AS t "
        "ON CONFLICT (account_id, identity_type, value, workspace_id) DO UPDATE "
        "SET last_seen = EXCLUDED.last_seen WHERE audiences_identity.mpid = EXCLUDED.mpid",
        [account_id, workspace_id, now, now, _text_list([(mpid, kind, value) for (kind, value), mpid in ordered])],
    )


def _copy_events(
    cursor,
    account_id: int,
    tier: int,
    workspace_id: int,
    input_id: int,
    items: list[Pending],
    now: dt.datetime,
) -> int:
    count = 0
    columns = (
        "account_id, tier, timestamp, workspace_id, input_id, mpid, event_type, name, "
        "custom_event_type, attributes, commerce, extra, received_at"
    )
    with cursor.cursor.copy(f"COPY audiences_event ({columns}) FROM STDIN") as copy:
        for item in items:
            for row in item.events:
                copy.write_row(
                    (
                        account_id,
                        tier,
                        row.timestamp,
                        workspace_id,
                        input_id,
                        item.mpid,
                        row.event_type,
                        row.name,
                        row.custom_event_type,
                        json.dumps(row.attributes) if row.attributes else "{}",
                        json.dumps(row.commerce) if row.commerce is not None else None,
                        row.extra_json,
                        now,
                    )
                )
                count += 1
    return count
