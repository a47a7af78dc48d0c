"""Standard audiences' bookkeeping: calculations that spend credits, and the credit ledger."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Account


class StandardState(models.TextChoices):
    """A standard audience's lifecycle (read only for `kind == standard`)."""

    DRAFT = "draft", "Draft"
    CALCULATING = "calculating", "Calculating"
    READY = "ready", "Ready"
    EXPIRED = "expired", "Expired"


class StandardCalculationState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class StandardCalculation(models.Model):
    """One calculation of one or more standard audiences, paid for together.

    The credits cover the union of the audiences' date ranges, so calculating several drafts
    together costs no more than the widest span. A failed calculation refunds `credits`.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="standard_calculations")
    audiences = models.ManyToManyField("audiences.Audience", related_name="standard_calculations")
    credits = models.PositiveIntegerField()
    state = models.CharField(
        max_length=10, choices=StandardCalculationState.choices, default=StandardCalculationState.QUEUED
    )
    progress = models.FloatField(default=0.0, help_text="0..1 over all the audiences of the calculation.")
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The last sign of life: queued, claimed by a worker, an audience done, or re-queued. One
    # queued or running that long without one has lost its task (see standard.requeue_stalled).
    progressed_at = models.DateTimeField(default=timezone.now)
    restarts = models.PositiveSmallIntegerField(default=0, help_text="Times re-queued after its task was lost.")

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The stalled-calculation sweep: unfinished ones, oldest sign of life first.
            models.Index(
                fields=["progressed_at"],
                name="standard_calc_unfinished",
                condition=models.Q(state__in=["queued", "running"]),
            )
        ]

    def __str__(self) -> str:
        return f"Standard calculation {self.pk} ({self.get_state_display()}, {self.credits} credits)"


class CreditReason(models.TextChoices):
    GRANT = "grant", "Grant"
    SPEND = "spend", "Spend"
    REFUND = "refund", "Refund"


class CreditEntry(models.Model):
    """One change of an account's credit balance: the ledger behind `Account.credit_balance`.

    Rows are never changed. Refunds add and spends subtract; a grant adds, or takes credits back
    when an admin corrects one. `balance_after` is the balance the change left, so the ledger
    reads like a bank statement.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="credit_entries")
    change = models.IntegerField()
    reason = models.CharField(max_length=10, choices=CreditReason.choices)
    calculation = models.ForeignKey(
        StandardCalculation, on_delete=models.SET_NULL, null=True, blank=True, related_name="credit_entries"
    )
    note = models.CharField(max_length=200, blank=True)
    balance_after = models.IntegerField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name_plural = "credit entries"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reason="spend", change__lt=0)
                | models.Q(reason="refund", change__gt=0)
                | (models.Q(reason="grant") & ~models.Q(change=0)),
                name="credit_entry_sign_follows_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(balance_after__gte=0), name="credit_entry_balance_never_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} {self.change:+d} ({self.account})"
