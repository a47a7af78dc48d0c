"""Audience downloads: a ZIP of CSVs (one per audience or variation) prepared by a job."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse

from accounts.models import Account
from audiences.models.audiences import Audience


class DownloadState(models.TextChoices):
    QUEUED = "queued", "Queued"
    PREPARING = "preparing", "Preparing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class Download(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    audience = models.ForeignKey(Audience, on_delete=models.CASCADE, related_name="downloads")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    identity_types = models.JSONField(default=list)
    variation_ids = models.JSONField(default=list, blank=True, help_text="Empty: the whole audience in one file.")
    sample = models.BooleanField(default=False)
    at = models.DateTimeField(null=True, blank=True, help_text="Membership as it was at this moment (change log).")
    since = models.DateTimeField(null=True, blank=True, help_text="With `at`: the adds and drops between the two.")
    state = models.CharField(max_length=10, choices=DownloadState.choices, default=DownloadState.QUEUED)
    progress = models.FloatField(default=0.0)
    error = models.TextField(blank=True)
    file = models.CharField(max_length=300, blank=True, help_text="Path of the ZIP in the default storage.")
    archive_name = models.CharField(max_length=200, blank=True)
    total_rows = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    seen_at = models.DateTimeField(null=True, blank=True, help_text="When the person saw the in-app notice.")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"download {self.uid} of {self.audience_id}"

    def get_absolute_url(self) -> str:
        return reverse("audiences:download_detail", args=[self.uid])

    def file_url(self) -> str:
        return reverse("audiences:download_file", args=[self.uid])
