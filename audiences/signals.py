"""Signals other apps listen to, so that `audiences` never imports them.

`membership_changed` is sent after a transaction that appended to the change log commits,
with the ids of the audiences concerned; the forwarding pipeline wakes up on it.
"""

from __future__ import annotations

from django.db import transaction
from django.dispatch import Signal

membership_changed = Signal()


def announce_membership_changed(audience_ids: list[int]) -> None:
    """Send `membership_changed` once the current transaction commits (at once outside one)."""
    if audience_ids:
        ids = sorted(set(audience_ids))
        transaction.on_commit(lambda: membership_changed.send(sender=None, audience_ids=ids))
