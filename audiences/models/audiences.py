from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from accounts.models import Account, Workspace
from audiences.models.inputs import Input
from audiences.models.standard import StandardState


class AudienceKind(models.TextChoices):
    REALTIME = "realtime", "Real-time"
    STANDARD = "standard", "Standard"


class AudienceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"


class Access(models.TextChoices):
    PRIVATE = "private", "Private"
    VIEW_ONLY = "view_only", "View only"
    USABLE = "usable", "Usable"


class CalculationState(models.TextChoices):
    IDLE = "idle", "Idle"
    CALCULATING = "calculating", "Calculating"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class Tag(models.Model):
    """A short label marketers put on audiences to find them again."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=18)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["account", "name"], name="tag_name_unique_in_account")]

    def __str__(self) -> str:
        return self.name


class Audience(models.Model):
    """A set of users defined by criteria over event and profile data.

    `definition` is the public definition JSON (see DEFINITION.md). Calculation state lives on
    the row so every page can show progress without joining a job table.

    Standard audiences (`kind == standard`) keep their lifecycle in `standard_state` (Draft ->
    Calculating -> Ready -> Expired), apart from `status`, which stays Draft for them: the
    real-time code reads `status` only and never sees them. Their date range is `range_start`
    to `range_end`, both UTC days and inclusive; no end is "most recent", no start and no end
    is "all available data". `calculation_*` show the progress of their current calculation.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="audiences")
    kind = models.CharField(max_length=10, choices=AudienceKind.choices, default=AudienceKind.REALTIME)
    multi_workspace = models.BooleanField(default=False)
    workspaces = models.ManyToManyField(Workspace, related_name="audiences")
    inputs = models.ManyToManyField(Input, related_name="audiences", blank=True)
    name = models.CharField(max_length=100)
    external_name = models.CharField(max_length=100, blank=True)
    definition = models.JSONField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=AudienceStatus.choices, default=AudienceStatus.DRAFT)
    access = models.CharField(max_length=10, choices=Access.choices, default=Access.PRIVATE)
    tags = models.ManyToManyField(Tag, related_name="audiences", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    calculation_state = models.CharField(max_length=12, choices=CalculationState.choices, default=CalculationState.IDLE)
    calculation_progress = models.FloatField(default=0.0)
    calculated_at = models.DateTimeField(null=True, blank=True)
    calculation_error = models.TextField(blank=True)
    swept_at = models.DateTimeField(
        null=True, blank=True, help_text="When the clock sweep last re-evaluated this audience's moving windows."
    )
    size = models.BigIntegerField(
        default=0, help_text="Current members; kept in step with the members table by each calculation."
    )
    standard_state = models.CharField(max_length=12, choices=StandardState.choices, default=StandardState.DRAFT)
    range_start = models.DateField(null=True, blank=True, help_text="First UTC day scanned; empty: all available data.")
    range_end = models.DateField(null=True, blank=True, help_text="Last UTC day scanned; empty: the most recent data.")
    expires_at = models.DateTimeField(null=True, blank=True, help_text="When a ready standard audience expires.")
    last_sent_at = models.DateTimeField(null=True, blank=True, help_text="When a standard audience was last sent.")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(range_end__isnull=True)
                | models.Q(range_start__isnull=False, range_start__lte=models.F("range_end")),
                name="audience_range_in_order",
            ),
        ]
        indexes = [
            # The expiry sweep: ready standard audiences whose time has come.
            models.Index(fields=["standard_state", "expires_at"], name="audience_standard_expiry"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("audiences:audience_detail", args=[self.pk])

    @property
    def forwarded_name(self) -> str:
        return self.external_name or self.name


class Member(models.Model):
    """A current member of an audience (with the A/B variation it falls in, if any)."""

    pk = models.CompositePrimaryKey("audience_id", "mpid")
    audience = models.ForeignKey(Audience, on_delete=models.CASCADE, related_name="members")
    mpid = models.BigIntegerField()
    variation_id = models.BigIntegerField(null=True, blank=True)
    added_at = models.DateTimeField()

    class Meta:
        ordering = ["audience", "mpid"]
        indexes = [
            # Profile pages and nested audiences: the audiences one user is in.
            models.Index(fields=["mpid"], name="member_by_mpid"),
        ]

    def __str__(self) -> str:
        return f"{self.mpid} in {self.audience_id}"


class MembershipChange(models.Model):
    """The append-only log of adds and drops: the outbox that metrics and forwarding read.

    Rows are never updated. `seq` orders changes globally; a connection keeps a cursor into it.
    """

    seq = models.BigAutoField(primary_key=True)
    audience = models.ForeignKey(Audience, on_delete=models.CASCADE, related_name="changes")
    mpid = models.BigIntegerField()
    variation_id = models.BigIntegerField(null=True, blank=True)
    added = models.BooleanField(help_text="True for an add, false for a drop.")
    at = models.DateTimeField()

    class Meta:
        ordering = ["seq"]
        indexes = [
            # Forwarding: an audience's changes after a connection's cursor, in order.
            models.Index(fields=["audience", "seq"], name="change_after_cursor"),
            # Metrics: adds and drops of an audience in the last 24 hours.
            models.Index(fields=["audience", "at"], name="change_recent"),
        ]

    def __str__(self) -> str:
        return f"{'add' if self.added else 'drop'} {self.mpid} to {self.audience_id}"
