"""Where an audience's criteria look: its account, workspaces, inputs and event tiers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from audiences.models.events import Tier


@dataclass(frozen=True)
class Scope:
    """An audience's universe is the profiles seen in one of `workspace_ids`; its event
    criteria count events received through `input_ids` only."""

    account_id: int
    workspace_ids: tuple[int, ...]
    input_ids: tuple[int, ...]
    multi_workspace: bool = False
    # Real-time audiences read live events; standard audiences also read historical imports.
    tiers: tuple[int, ...] = (Tier.LIVE,)
    audience_id: int | None = None

    @classmethod
    def of(cls, audience: Any) -> Scope:
        from audiences.models.audiences import AudienceKind

        # `.all()` reads what a caller prefetched (the real-time evaluator prefetches both for
        # every active audience), saving two queries per audience per evaluated chunk.
        workspaces = tuple(sorted(w.pk for w in audience.workspaces.all()))
        inputs = tuple(sorted(i.pk for i in audience.inputs.all()))
        tiers = (Tier.LIVE, Tier.HISTORICAL) if audience.kind == AudienceKind.STANDARD else (Tier.LIVE,)
        return cls(
            account_id=audience.account_id,
            workspace_ids=workspaces,
            input_ids=inputs,
            multi_workspace=audience.multi_workspace,
            tiers=tiers,
            audience_id=audience.pk,
        )

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
