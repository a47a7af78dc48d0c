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
