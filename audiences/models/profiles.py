from __future__ import annotations

from django.db import models
from django.urls import reverse

from accounts.models import Account, Workspace


class Profile(models.Model):
    """One person known to an account, identified by a 64-bit mpid.

    `sample_bucket` is the estimator's hash of the mpid into 0..99 (`audiences_sample_bucket`
    in SQL, migration 0009, which also indexes it on every table the criteria read), so a fixed
    1% or 5% sample of profiles is read through indexes instead of scanning everything.
    """

    mpid = models.BigIntegerField(primary_key=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="profiles")
    sample_bucket = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["mpid"]
        indexes = [
            # The estimator: profiles of an account in the sampled buckets.
            models.Index(fields=["account", "sample_bucket"], name="profile_sample"),
        ]

    def __str__(self) -> str:
        return str(self.mpid)

    def get_absolute_url(self) -> str:
        return reverse("audiences:profile_detail", args=[self.mpid])


class ProfileWorkspace(models.Model):
    """What one workspace knows of a profile: its attributes, consent, device and location.

    Audiences are scoped to workspaces, so every profile criterion reads this row for the
    criterion's workspace.
    """

    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, db_column="mpid", related_name="workspaces")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="profiles")
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    user_attributes = models.JSONField(default=dict, blank=True)
    consent = models.JSONField(default=dict, blank=True)
    device = models.JSONField(default=dict, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    install_attribution = models.JSONField(null=True, blank=True)
    uninstall_attribution = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["profile", "workspace"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "workspace"], name="profile_once_per_workspace"),
        ]
        indexes = [
            # Profile criteria: the profiles seen in one workspace.
            models.Index(fields=["workspace", "profile"], name="profileworkspace_scope"),
        ]

    def __str__(self) -> str:
        return f"{self.profile_id} in {self.workspace}"


class Identity(models.Model):
    """A user or device identity of a profile, with the workspace where it was seen."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, db_column="mpid", related_name="identities")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    identity_type = models.CharField(max_length=40)
    value = models.CharField(max_length=500)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()

    class Meta:
        ordering = ["profile", "identity_type", "value"]
        verbose_name_plural = "identities"
        constraints = [
            models.UniqueConstraint(
                fields=["account", "identity_type", "value", "workspace"],
                name="identity_unique_per_workspace",
            ),
        ]
        indexes = [
            # Resolving a batch without an mpid: who in the account holds this identity?
            models.Index(fields=["account", "identity_type", "value"], name="identity_lookup"),
            # Forwarding and profile pages: every identity of a profile.
            models.Index(fields=["profile", "identity_type"], name="identity_of_profile"),
        ]

    def __str__(self) -> str:
        return f"{self.identity_type}: {self.value}"


class ErasedProfile(models.Model):
    """A deleted profile's identities, kept only until its drops have reached the outputs.

    Deleting a profile drops it from every audience through the change log; the forwarding
    pipeline maps those drops to identities at send time, after the profile is gone, so it
    reads them here. A periodic purge removes these rows after `ERASED_IDENTITIES_DAYS`.
    """

    mpid = models.BigIntegerField(primary_key=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    identities = models.JSONField(help_text="Identity type -> values, as a partner receives them.")
    erased_at = models.DateTimeField()

    class Meta:
        ordering = ["-erased_at"]

    def __str__(self) -> str:
        return f"erased {self.mpid}"
