"""Where an audience's criteria look: its account, workspaces, inputs and event tiers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from audiences.models.events import Tier


@dataclass(frozen=True)
class Period:
    """A standard audience's date range as moments: from `since` (inclusive) to `until`
    (exclusive); None leaves that side open (all available data, most recent)."""

    since: dt.datetime | None = None
    until: dt.datetime | None = None

    @classmethod
    def of_days(cls, first: dt.date | None, last: dt.date | None) -> Period:
        """Whole UTC days, both included."""
        midnight = dt.time(0, tzinfo=dt.UTC)
        return cls(
            since=dt.datetime.combine(first, midnight) if first else None,
            until=dt.datetime.combine(last + dt.timedelta(days=1), midnight) if last else None,
        )

    def holds(self, when: dt.datetime) -> bool:
        return (self.since is None or when >= self.since) and (self.until is None or when < self.until)


@dataclass(frozen=True)
class Scope:
    """An audience's universe is the profiles seen in one of `workspace_ids`; its event
    criteria count events received through `input_ids` only."""

    account_id: int
    workspace_ids: tuple[int, ...]
    input_ids: tuple[int, ...]
    multi_workspace: bool = False
    # Real-time audiences read live events; standard audiences also read historical imports
    # and the long-term history.
    tiers: tuple[int, ...] = (Tier.LIVE,)
    audience_id: int | None = None
    # Standard audiences only: every event criterion is bounded by the date range, and an event
    # criterion without a time of its own covers the whole range (not the last 30 days).
    period: Period | None = None

    @classmethod
    def of(cls, audience: Any) -> Scope:
        from audiences.models.audiences import AudienceKind

        # `.all()` reads what a caller prefetched (the real-time evaluator prefetches both for
        # every active audience), saving two queries per audience per evaluated chunk.
        workspaces = tuple(sorted(w.pk for w in audience.workspaces.all()))
        inputs = tuple(sorted(i.pk for i in audience.inputs.all()))
        standard = audience.kind == AudienceKind.STANDARD
        return cls(
            account_id=audience.account_id,
            workspace_ids=workspaces,
            input_ids=inputs,
            multi_workspace=audience.multi_workspace,
            tiers=(Tier.LIVE, Tier.HISTORICAL, Tier.LONG_TERM) if standard else (Tier.LIVE,),
            audience_id=audience.pk,
            period=Period.of_days(audience.range_start, audience.range_end) if standard else None,
        )

    def moment(self, now: dt.datetime) -> dt.datetime:
        """When relative time windows count back from: now, or the end of a standard
        audience's date range once that has passed ("in the last 7 days" of the range)."""
        until = self.period.until if self.period is not None else None
        return min(now, until) if until is not None else now

    def window_for(self, criterion: Any) -> Any:
        """An event criterion's time window; None when the date range alone bounds it."""
        from audiences.criteria.definition import DEFAULT_EVENT_WINDOW

        if criterion.time is not None:
            return criterion.time
        return None if self.period is not None else DEFAULT_EVENT_WINDOW

    def workspaces_for(self, criterion: Any) -> tuple[int, ...]:
        """A multi-workspace audience's criterion may pick one of its workspaces."""
        chosen = getattr(criterion, "workspace_id", None)
        if self.multi_workspace and chosen is not None:
            return (chosen,) if chosen in self.workspace_ids else ()
        return self.workspace_ids

    def inputs_for(self, criterion: Any) -> tuple[int, ...]:
        """A criterion may narrow the audience's inputs, never widen them."""
        chosen = getattr(criterion, "input_ids", None)
        if chosen is None:
            return self.input_ids
        return tuple(sorted(set(chosen) & set(self.input_ids)))
