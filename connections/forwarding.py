"""The forwarding pipeline: from an audience's change log to a partner, batch by batch.

One batch is one transaction that holds the connection's row lock (SELECT ... FOR UPDATE
SKIP LOCKED): it reads the next changes after the cursor (or the next page of the snapshot),
maps members to the identities the partner accepts, calls the partner, records the attempt
and moves the cursor, all or nothing. A worker killed mid-batch drops its database session,
the lock goes with it, and the next worker starts again from the unmoved cursor: delivery is
at least once and in order per user.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from audiences.models import (
    AudienceKind,
    ErasedProfile,
    Identity,
    Member,
    MembershipChange,
    ProfileWorkspace,
    Variation,
)
from connections import sending
from connections.models import (
    Connection,
    ConnectionStatus,
    Delivery,
    DeliveryOutcome,
    SnapshotState,
    StandardSend,
)
from outputs.partners.base import AudienceRef, Partner, PartnerError
from outputs.partners.base import Member as PartnerMember

log = logging.getLogger(__name__)


@dataclass
class Batch:
    adds: list[int]
    drops: list[int]
    snapshot: bool
    first_seq: int | None = None
    last_seq: int | None = None
    next_cursor: int | None = None
    next_after_mpid: int | None = None
    snapshot_finished: bool = False

    @property
    def empty(self) -> bool:
        return not self.adds and not self.drops


def forwarded_name(connection: Connection, variation_name: str | None = None) -> str:
    name = connection.audience.forwarded_name
    return f"{name} - {variation_name}" if variation_name else name


def variation_name(connection: Connection) -> str | None:
    if connection.variation_id is None:
        return None
    return Variation.objects.filter(pk=connection.variation_id).values_list("name", flat=True).first()


def audience_ref(connection: Connection) -> AudienceRef:
    # Partners compose "[name] - [variation]" themselves (see AudienceRef).
    return AudienceRef(
        audience_id=connection.audience_id,
        connection_id=connection.pk,
        name=forwarded_name(connection),
        variation=variation_name(connection),
        state=dict(connection.partner_state),
    )


def build_partner(connection: Connection) -> Partner:
    configuration = connection.output_configuration
    partner_class = configuration.partner_class
    return partner_class(
        partner_class.Configuration.model_validate(configuration.settings),
        partner_class.ConnectionSettings.model_validate(connection.settings or {}),
    )


def _changes(connection: Connection):
    changes = MembershipChange.objects.filter(audience_id=connection.audience_id)
    if connection.variation_id is not None:
        changes = changes.filter(variation_id=connection.variation_id)
    return changes


def _members(connection: Connection):
    members = Member.objects.filter(audience_id=connection.audience_id)
    if connection.variation_id is not None:
        members = members.filter(variation_id=connection.variation_id)
    return members


def compact(rows: list[tuple[int, int, bool]]) -> tuple[list[int], list[int]]:
    """Net change per user over (seq, mpid, added) rows in log order.

    The log alternates add/drop per user, so an even number of changes cancels out and an odd
    number leaves the last one standing.
    """
    first: dict[int, bool] = {}
    last: dict[int, bool] = {}
    for _, mpid, added in rows:
        first.setdefault(mpid, added)
        last[mpid] = added
    adds = [mpid for mpid, added in last.items() if added and first[mpid] == added]
    drops = [mpid for mpid, added in last.items() if not added and first[mpid] == added]
    return adds, drops


def naming_at_most(rows: list[tuple[int, int, bool]], size: int) -> list[tuple[int, int, bool]]:
    """The longest prefix of (seq, mpid, added) log rows that names at most `size` users.

    A partner's batch size bounds the members of one request; the rows read ahead for
    compaction could name four times as many (3,892 members in one Webhook POST of batch size
    1,000 in docs/benchmarks.md). Later rows of the same users come in the next batch, in order.
    """
    users: set[int] = set()
    for index, (_, mpid, _) in enumerate(rows):
        if mpid not in users:
            if len(users) == size:
                return rows[:index]
            users.add(mpid)
    return rows


def follows_log(connection: Connection) -> bool:
    """Real-time connections follow the change log after their snapshot; a standard audience's
    only deliver the snapshots its Sends start (connections.sending)."""
    return connection.audience.kind == AudienceKind.REALTIME


def next_batch(connection: Connection, size: int) -> Batch:
    if connection.snapshot_state == SnapshotState.DONE and not follows_log(connection):
        return Batch(adds=[], drops=[], snapshot=False)
    if connection.snapshot_state != SnapshotState.DONE:
        members = _members(connection).order_by("mpid")
        if connection.snapshot_after_mpid is not None:
            members = members.filter(mpid__gt=connection.snapshot_after_mpid)
        page = list(members.values_list("mpid", flat=True)[:size])
        return Batch(
            adds=page,
            drops=[],
            snapshot=True,
            next_after_mpid=page[-1] if page else connection.snapshot_after_mpid,
            snapshot_finished=len(page) < size,
        )
    # Read a few batches' worth so that a user's add and drop inside it cancel out.
    rows = list(
        _changes(connection)
        .filter(seq__gt=connection.cursor)
        .order_by("seq")
        .values_list("seq", "mpid", "added")[: size * 4]
    )
    if not rows:
        return Batch(adds=[], drops=[], snapshot=False)
    rows = naming_at_most(rows, size)
    adds, drops = compact(rows)
    return Batch(
        adds=adds, drops=drops, snapshot=False, first_seq=rows[0][0], last_seq=rows[-1][0], next_cursor=rows[-1][0]
    )


def members_for_partner(
    connection: Connection, partner: type[Partner], mpids: list[int]
) -> tuple[dict[int, PartnerMember], int]:
    """Every accepted identity of each user, from every workspace; users with none are counted."""
    identities: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    rows = Identity.objects.filter(
        profile_id__in=mpids,
        account_id=connection.audience.account_id,
        identity_type__in=partner.accepted_identity_types,
    ).values_list("profile_id", "identity_type", "value")
    for mpid, kind, value in rows:
        identities[mpid][kind].add(value)
    missing = [mpid for mpid in mpids if mpid not in identities]
    if missing:
        # Deleted profiles: their drops still go out, with the identities set aside for that.
        for mpid, kept in ErasedProfile.objects.filter(
            mpid__in=missing, account_id=connection.audience.account_id
        ).values_list("mpid", "identities"):
            for kind, values in kept.items():
                if kind in partner.accepted_identity_types:
                    identities[mpid][kind].update(values)
    attributes: dict[int, dict[str, Any]] = {}
    if connection.shared_attributes and partner.takes_user_attributes:
        workspace = connection.audience.workspaces.first()
        for mpid, values in ProfileWorkspace.objects.filter(profile_id__in=mpids, workspace=workspace).values_list(
            "profile_id", "user_attributes"
        ):
            attributes[mpid] = {key: values[key] for key in connection.shared_attributes if key in values}
    members = {}
    for mpid in mpids:
        if mpid in identities:
            members[mpid] = PartnerMember(
                mpid=mpid,
                identities={kind: sorted(values) for kind, values in sorted(identities[mpid].items())},
                attributes=attributes.get(mpid) if connection.shared_attributes else None,
            )
    return members, len(mpids) - len(members)


def batch_id(connection: Connection, batch: Batch) -> str:
    """The same batch gets the same id when it is sent again (after a retry or a crash), so
    receivers can deduplicate on it; different contents never share an id."""
    if batch.snapshot:
        first = batch.adds[0] if batch.adds else 0
        if not follows_log(connection):
            # Each Send of a standard audience delivers the same pages again, under new ids.
            send = StandardSend.objects.filter(connection=connection).values_list("sends", flat=True).first()
            return f"c{connection.pk}-n{send or 0}-m{first}-{batch.next_after_mpid}"
        return f"c{connection.pk}-s{connection.snapshot_seq}-m{first}-{batch.next_after_mpid}"
    return f"c{connection.pk}-q{batch.first_seq}-{batch.last_seq}"


def backoff_seconds(attempts: int, retry_after: float | None) -> float:
    """Exponential backoff with full jitter, never sooner than the partner asked."""
    cap = settings.FORWARDING_BACKOFF_CAP_SECONDS
    base = settings.FORWARDING_BACKOFF_BASE_SECONDS
    delay = random.uniform(0, min(cap, base * (2**attempts)))
    return max(delay, retry_after or 0.0)


def _claim(connection_id: int, now: dt.datetime) -> Connection | None:
    return (
        Connection.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("audience", "output_configuration")
        .filter(pk=connection_id, status=ConnectionStatus.SENDING, faulted_at__isnull=True)
        .exclude(next_attempt_at__gt=now)
        .first()
    )


def fault(connection: Connection, message: str, now: dt.datetime) -> None:
    connection.fault_message = message
    connection.faulted_at = now
    connection.next_attempt_at = None
    connection.save(update_fields=["fault_message", "faulted_at", "next_attempt_at"])
    log.warning("connection %s faulted: %s", connection.pk, message)


def _prepare(connection: Connection, partner: Partner, now: dt.datetime) -> None:
    """First run of a connection: let the partner prepare, and pin where the snapshot starts."""
    if connection.connected_at is None:
        ref = audience_ref(connection)
        partner.connect(ref)
        connection.partner_state = ref.state
        connection.connected_at = now
    if connection.snapshot_state == SnapshotState.PENDING:
        # Changes up to here are in the members table the snapshot reads; later ones follow.
        connection.snapshot_seq = _changes(connection).aggregate(top=Max("seq"))["top"] or 0
        connection.cursor = connection.snapshot_seq
        connection.snapshot_state = SnapshotState.SENDING


def deliver_next_batch(connection_id: int, now: dt.datetime | None = None) -> bool:
    """Deliver one batch of a connection. True when there may be more to send right away."""
    now = now or timezone.now()
    with transaction.atomic():
        connection = _claim(connection_id, now)
        if connection is None:
            return False
        partner = build_partner(connection)
        try:
            _prepare(connection, partner, now)
        except PartnerError as error:
            _failed(connection, None, error, now)
            return False
        batch = next_batch(connection, partner.batch_size)
        if batch.empty:
            if batch.snapshot:
                connection.snapshot_state = SnapshotState.DONE
                if not follows_log(connection):
                    sending.finish(connection, now)
            connection.save()
            return batch.snapshot
        members, skipped = members_for_partner(connection, type(partner), batch.adds + batch.drops)
        adds = [members[m] for m in batch.adds if m in members]
        drops = [members[m] for m in batch.drops if m in members]
        delivery = Delivery.objects.create(
            connection=connection,
            batch_id=batch_id(connection, batch),
            snapshot=batch.snapshot,
            first_seq=batch.first_seq,
            last_seq=batch.last_seq,
            adds=len(adds),
            drops=len(drops),
            started_at=now,
        )
        if adds or drops:
            ref = audience_ref(connection)
            try:
                partner.send(ref, adds, drops, batch_id=delivery.batch_id)
            except PartnerError as error:
                _failed(connection, delivery, error, now)
                return False
            connection.partner_state = ref.state  # a partner may (re)create its side while sending
        _delivered(connection, delivery, batch, skipped, now)
        return True


def _delivered(connection: Connection, delivery: Delivery, batch: Batch, skipped: int, now: dt.datetime) -> None:
    delivery.outcome = DeliveryOutcome.DELIVERED
    delivery.finished_at = timezone.now()
    delivery.save(update_fields=["outcome", "finished_at"])
    if batch.snapshot:
        connection.snapshot_after_mpid = batch.next_after_mpid
        if batch.snapshot_finished:
            connection.snapshot_state = SnapshotState.DONE
            if not follows_log(connection):
                sending.finish(connection, now)
    else:
        connection.cursor = batch.next_cursor
    connection.delivered_adds += delivery.adds
    connection.delivered_drops += delivery.drops
    connection.skipped_without_identity += skipped
    connection.attempts = 0
    connection.next_attempt_at = None
    connection.last_delivery_at = now
    connection.save()


def _failed(connection: Connection, delivery: Delivery | None, error: PartnerError, now: dt.datetime) -> None:
    connection.attempts += 1
    permanent = error.permanent or connection.attempts > settings.FORWARDING_MAX_ATTEMPTS
    if delivery is not None:
        delivery.outcome = DeliveryOutcome.FAULT if permanent else DeliveryOutcome.RETRY
        delivery.status_code = error.status
        delivery.message = error.message
        delivery.finished_at = timezone.now()
        delivery.save(update_fields=["outcome", "status_code", "message", "finished_at"])
    if permanent:
        reason = error.message
        if not error.permanent:
            reason = f"gave up after {connection.attempts} attempts: {error.message}"
        connection.save()
        fault(connection, reason, now)
        return
    connection.next_attempt_at = now + dt.timedelta(seconds=backoff_seconds(connection.attempts, error.retry_after))
    connection.save()


def forward(connection_id: int, *, budget_seconds: float = 20.0) -> int:
    """Deliver batches until the connection is caught up or the time budget is spent."""
    started = timezone.now()
    batches = 0
    while (timezone.now() - started).total_seconds() < budget_seconds:
        if not deliver_next_batch(connection_id):
            break
        batches += 1
    return batches


def pending_changes(connection: Connection) -> int:
    if not follows_log(connection):
        return 0  # a standard audience's connection only sends what a Send starts
    return _changes(connection).filter(seq__gt=connection.cursor).count()


def resume(connection: Connection) -> None:
    """Clear the fault and continue from the cursor: nothing is skipped."""
    Connection.objects.filter(pk=connection.pk).update(
        fault_message="", faulted_at=None, attempts=0, next_attempt_at=None
    )
    connection.refresh_from_db()
