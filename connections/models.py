"""Connections: an audience (or one of its A/B variations) forwarded to an output.

A connection first delivers the audience's current members (the snapshot), then follows the
audience's change log from the sequence at which the snapshot began. `cursor` is the last
change delivered; it only moves in the transaction that records a delivered batch.
"""

from __future__ import annotations

from django.conf import settings as conf
from django.db import models
from django.urls import reverse

from audiences.models import Audience
from outputs.models import OutputConfiguration


class ConnectionStatus(models.TextChoices):
    SENDING = "sending", "Sending"
    INACTIVE = "inactive", "Inactive"


class SnapshotState(models.TextChoices):
    PENDING = "pending", "Not started"
    SENDING = "sending", "Sending current members"
    DONE = "done", "Done"


class Connection(models.Model):
    audience = models.ForeignKey(Audience, on_delete=models.CASCADE, related_name="connections")
    variation_id = models.BigIntegerField(
        null=True, blank=True, help_text="An A/B variation of the audience; empty for the whole audience."
    )
    output_configuration = models.ForeignKey(OutputConfiguration, on_delete=models.PROTECT, related_name="connections")
    status = models.CharField(max_length=10, choices=ConnectionStatus.choices, default=ConnectionStatus.SENDING)
    settings = models.JSONField(default=dict, blank=True)
    shared_attributes = models.JSONField(default=list, blank=True)
    partner_state = models.JSONField(default=dict, blank=True, editable=False)
    connected_at = models.DateTimeField(null=True, blank=True, help_text="When the partner side was prepared.")

    snapshot_state = models.CharField(max_length=10, choices=SnapshotState.choices, default=SnapshotState.PENDING)
    snapshot_seq = models.BigIntegerField(null=True, blank=True)
    snapshot_after_mpid = models.BigIntegerField(null=True, blank=True)
    cursor = models.BigIntegerField(default=0)

    attempts = models.PositiveIntegerField(default=0, help_text="Failed attempts in a row.")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    fault_message = models.TextField(blank=True)
    faulted_at = models.DateTimeField(null=True, blank=True)

    delivered_adds = models.BigIntegerField(default=0)
    delivered_drops = models.BigIntegerField(default=0)
    skipped_without_identity = models.BigIntegerField(default=0)
    last_delivery_at = models.DateTimeField(null=True, blank=True)

    created_by = models.ForeignKey(
        conf.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["audience", "pk"]
        indexes = [
            # The sweep: connections that may have work (sending, not faulted).
            models.Index(fields=["status", "faulted_at", "next_attempt_at"], name="connection_due"),
        ]

    def __str__(self) -> str:
        return f"{self.audience} → {self.output_configuration}"

    def get_absolute_url(self) -> str:
        return reverse("connections:connection_detail", args=[self.pk])

    @property
    def state(self) -> str:
        if self.faulted_at is not None:
            return "faulted"
        return self.status


class DeliveryOutcome(models.TextChoices):
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    RETRY = "retry", "Will retry"
    FAULT = "fault", "Faulted"


class Delivery(models.Model):
    """One attempt to deliver one batch; the UI shows what happened and why."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="deliveries")
    batch_id = models.CharField(max_length=64)
    snapshot = models.BooleanField(default=False)
    first_seq = models.BigIntegerField(null=True, blank=True)
    last_seq = models.BigIntegerField(null=True, blank=True)
    adds = models.PositiveIntegerField(default=0)
    drops = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=10, choices=DeliveryOutcome.choices, default=DeliveryOutcome.SENDING)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    message = models.TextField(blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name_plural = "deliveries"
        indexes = [models.Index(fields=["connection", "-started_at"], name="delivery_recent")]

    def __str__(self) -> str:
        return f"{self.batch_id} ({self.outcome})"


class DownstreamDeletion(models.Model):
    """An audience was deleted; its partners still have to be told (with retries)."""

    output_configuration = models.ForeignKey(OutputConfiguration, on_delete=models.CASCADE, related_name="+")
    audience_id = models.BigIntegerField()
    name = models.CharField(max_length=250)
    variation = models.CharField(max_length=100, blank=True)
    partner_state = models.JSONField(default=dict)
    settings = models.JSONField(default=dict)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"delete {self.name} at {self.output_configuration}"


class StandardSend(models.Model):
    """A standard audience sent to one of its connections: once per Send, on request.

    A Send restarts the connection's snapshot (every current member, page by page, through the
    forwarding pipeline with its faults and Resume); `sends` numbers the Sends, so the batch ids
    of a new Send differ from the last one's and receivers that deduplicate still take them.
    """

    connection = models.OneToOneField(Connection, on_delete=models.CASCADE, related_name="standard_send")
    audience = models.ForeignKey(Audience, on_delete=models.CASCADE, related_name="standard_sends")
    sends = models.PositiveIntegerField(default=0)
    last_sent_at = models.DateTimeField(help_text="When the last Send was requested.")
    last_sent_by = models.ForeignKey(
        conf.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    finished_at = models.DateTimeField(
        null=True, blank=True, help_text="When the last Send's final batch was delivered; empty while sending."
    )

    class Meta:
        ordering = ["audience", "connection"]

    def __str__(self) -> str:
        return f"{self.audience} sent to connection {self.connection_id} ({self.sends} sends)"
