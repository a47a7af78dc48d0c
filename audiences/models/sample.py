from __future__ import annotations

from django.db import models

from accounts.models import Workspace


class ProfileSample(models.Model):
    """The workspace rows of the estimator's sampled profiles (buckets 0..4), kept in step with
    `ProfileWorkspace` by database triggers (migration 0010).

    Sampled profiles are spread over every page of the profile table (the bucket is a hash), so
    reading 5% of them from there touches nearly all of it; this small copy is read instead.
    Nothing in Python writes it.
    """

    pk = models.CompositePrimaryKey("mpid", "workspace_id")
    mpid = models.BigIntegerField()
    workspace = models.ForeignKey(Workspace, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    first_seen = models.DateTimeField()
    user_attributes = models.JSONField(default=dict)
    consent = models.JSONField(default=dict)
    device = models.JSONField(default=dict)
    latitude = models.FloatField(null=True)
    longitude = models.FloatField(null=True)
    install_attribution = models.JSONField(null=True)
    uninstall_attribution = models.JSONField(null=True)

    class Meta:
        ordering = ["workspace", "mpid"]

    def __str__(self) -> str:
        return f"{self.mpid} in {self.workspace_id} (sampled)"
