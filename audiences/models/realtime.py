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


class QueuedTask(models.Model):
    """A Celery task for this piece of work is queued and has not started yet (see
    `audiences.queued`): the real-time drain (`drain`) and each connection's forwarding
    (`forward:<id>`) need one queued task at most, since a task does everything committed
    when it starts. Without this, every Events API request queued a drain and every evaluated
    chunk a forwarding task per connection, and under steady load they piled up in front of
    every other task (minutes behind; docs/benchmarks.md)."""

    key = models.CharField(max_length=100, primary_key=True)
    queued_at = models.DateTimeField()

    class Meta:
        ordering = ["queued_at"]

    def __str__(self) -> str:
        return f"{self.key} queued at {self.queued_at:%H:%M:%S}"
