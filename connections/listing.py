"""Connections as the pages list them: annotated in the list query, so a page costs the same
number of queries for 2 connections or 200."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Case, Count, IntegerField, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from audiences.models import AudienceKind, MembershipChange
from connections.models import Connection


def _pending(*, same_variation: bool) -> Coalesce:
    changes = MembershipChange.objects.filter(audience_id=OuterRef("audience_id"), seq__gt=OuterRef("cursor"))
    if same_variation:
        changes = changes.filter(variation_id=OuterRef("variation_id"))
    counted = changes.order_by().values("audience_id").annotate(n=Count("seq")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def with_pending_changes(connections: QuerySet[Connection]) -> QuerySet[Connection]:
    """Annotate `pending`: changes after the cursor, as `forwarding.pending_changes` counts them."""
    return connections.annotate(
        pending=Case(
            # A standard audience's connections never forward the change log (connections.sending).
            When(audience__kind=AudienceKind.STANDARD, then=Value(0)),
            When(variation_id__isnull=True, then=_pending(same_variation=False)),
            default=_pending(same_variation=True),
            output_field=IntegerField(),
        )
    )


@dataclass(frozen=True)
class OpenFault:
    connection_id: int
    output_name: str
    message: str


def open_faults_by_audience(account_id: int) -> dict[int, list[OpenFault]]:
    """Every open fault of an account, by audience, in one query (for fault icons in lists)."""
    found: dict[int, list[OpenFault]] = defaultdict(list)
    rows = (
        Connection.objects.filter(audience__account_id=account_id, faulted_at__isnull=False)
        .order_by("-faulted_at")
        .values_list("audience_id", "pk", "output_configuration__name", "fault_message")
    )
    for audience_id, connection_id, output_name, message in rows:
        found[audience_id].append(OpenFault(connection_id, output_name, message))
    return dict(found)
