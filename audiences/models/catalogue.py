from __future__ import annotations

from django.db import models

from accounts.models import Workspace


class DataType(models.TextChoices):
    STRING = "string", "String"
    NUMBER = "number", "Number"
    DATE = "date", "Date"
    BOOLEAN = "boolean", "Boolean"
    LIST = "list", "List"


class CatalogueEvent(models.Model):
    """An event name seen in a workspace; the builder's event dropdown reads these."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="catalogue_events")
    event_type = models.CharField(max_length=40)
    name = models.CharField(max_length=500)
    first_seen = models.DateTimeField()

    class Meta:
        ordering = ["workspace", "event_type", "name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "event_type", "name"], name="catalogue_event_once"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type}: {self.name}"


class CatalogueAttribute(models.Model):
    """An attribute key seen in a workspace, on an event (type and name) or on user profiles.

    `detected_type` follows the values received; a marketer may set `override_type` when the
    detection is wrong. User attributes have empty `event_type` and `event_name`.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="catalogue_attributes")
    event_type = models.CharField(max_length=40, blank=True)
    event_name = models.CharField(max_length=500, blank=True)
    key = models.CharField(max_length=500)
    detected_type = models.CharField(max_length=10, choices=DataType.choices)
    override_type = models.CharField(max_length=10, choices=DataType.choices, blank=True)
    first_seen = models.DateTimeField()

    class Meta:
        ordering = ["workspace", "event_type", "event_name", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "event_type", "event_name", "key"],
                name="catalogue_attribute_once",
            ),
        ]

    def __str__(self) -> str:
        where = f"{self.event_type} {self.event_name}".strip() or "user"
        return f"{where}: {self.key}"

    @property
    def data_type(self) -> str:
        return self.override_type or self.detected_type

    @property
    def is_user_attribute(self) -> bool:
        return self.event_type == ""
