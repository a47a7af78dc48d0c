from __future__ import annotations

from django.db import models

from accounts.models import Workspace


class PendingEvaluation(models.Model):
    """A user of a workspace whose data changed and who awaits re-evaluation (the queue that
    the real-time evaluator drains; one row per user however many batches touched them)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    mpid = models.BigIntegerField()
    queued_at = models.DateTimeField()

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["workspace", "mpid"], name="pending_evaluation_once")]

    def __str__(self) -> str:
        return f"{self.mpid} in {self.workspace_id}"


class QueuedDrain(models.Model):
    """An `evaluate_pending` task is queued and has not started yet (one row at most).

    A drain takes every waiting user, so one queued task is enough. Every Events API request
    used to queue one, and under steady load they piled up in front of every other task
    (forwarding waited behind them; docs/benchmarks.md). A row whose task was lost (a purged
    broker) stops counting after `realtime.WAKE_STALE_SECONDS`.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    queued_at = models.DateTimeField()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"drain queued at {self.queued_at:%H:%M:%S}"
