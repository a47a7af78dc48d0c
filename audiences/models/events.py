from __future__ import annotations

from django.db import models

from accounts.models import Account, Workspace
from audiences.models.inputs import Input


class Tier(models.IntegerChoices):
    LIVE = 0, "Live"
    HISTORICAL = 1, "Historical import"
    # Live events past the real-time window, rolled into monthly partitions (audiences.partitions).
    LONG_TERM = 2, "Long-term history"


class Event(models.Model):
    """One event of a profile, as received through the Events API.

    The table is range-partitioned on (account, tier, timestamp), one partition per account,
    tier and UTC day, created by migration SQL rather than by Django (hence managed=False).
    Live days past the real-time window move to the long-term tier (monthly partitions, like
    historical imports); both are dropped whole past the account's long-term retention.
    `event_type` is the criteria kind (install, upgrade and attribution are derived from the
    wire types); `name` is the event name, screen name or product action.
    """

    id = models.BigAutoField(primary_key=True)
    account = models.ForeignKey(Account, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    tier = models.SmallIntegerField(choices=Tier.choices, default=Tier.LIVE)
    timestamp = models.DateTimeField()
    workspace = models.ForeignKey(Workspace, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    input = models.ForeignKey(Input, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    mpid = models.BigIntegerField()
    event_type = models.CharField(max_length=40)
    name = models.CharField(max_length=500, blank=True)
    custom_event_type = models.CharField(max_length=40, blank=True)
    attributes = models.JSONField(default=dict)
    commerce = models.JSONField(null=True)
    extra = models.JSONField(null=True)
    received_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "audiences_event"
        ordering = ["-timestamp"]

    def __str__(self) -> str:
        return f"{self.event_type} {self.name} at {self.timestamp:%Y-%m-%d %H:%M}"


class EventPartition(models.Model):
    """A partition of the event table: one account, one tier, and the UTC day it starts (live
    partitions hold one day, historical and long-term ones a calendar month)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    tier = models.SmallIntegerField(choices=Tier.choices)
    day = models.DateField()
    table_name = models.CharField(max_length=63, unique=True)

    class Meta:
        ordering = ["account", "tier", "day"]
        constraints = [
            models.UniqueConstraint(fields=["account", "tier", "day"], name="one_partition_per_day"),
        ]

    def __str__(self) -> str:
        return self.table_name


class SourceRequest(models.Model):
    """A client's idempotency key: a batch repeated with the same key is not stored twice."""

    input = models.ForeignKey(Input, on_delete=models.CASCADE, related_name="+")
    source_request_id = models.CharField(max_length=200)
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["input", "source_request_id"], name="source_request_once"),
        ]

    def __str__(self) -> str:
        return self.source_request_id
