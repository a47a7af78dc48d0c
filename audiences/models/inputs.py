from __future__ import annotations

from django.db import models
from django.urls import reverse

from accounts.models import Workspace


class Platform(models.TextChoices):
    IOS = "ios", "iOS"
    ANDROID = "android", "Android"
    WEB = "web", "Web"
    TVOS = "tvos", "tvOS"
    ROKU = "roku", "Roku"
    SMART_TV = "smart_tv", "Smart TV"
    FEED = "feed", "Partner feed"


class Input(models.Model):
    """A source of data for a workspace: an app platform or a partner feed, with its API key.

    The secret is kept only as a salted hash; it is shown once, when created or rotated.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="inputs")
    name = models.CharField(max_length=100)
    platform = models.CharField(max_length=10, choices=Platform.choices)
    api_key = models.CharField(max_length=40, unique=True, editable=False)
    secret_hash = models.CharField(max_length=200, editable=False)
    enabled = models.BooleanField(default=True)
    rate_limit = models.PositiveIntegerField(default=100, help_text="Events API requests per second this key may make.")
    created_at = models.DateTimeField(auto_now_add=True)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["workspace__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="input_name_unique_in_workspace"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_platform_display()})"

    def get_absolute_url(self) -> str:
        return reverse("audiences:input_detail", args=[self.pk])

    @property
    def account_id(self) -> int:
        return self.workspace.account_id
