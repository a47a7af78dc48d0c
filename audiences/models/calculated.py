from __future__ import annotations

from django.db import models

from accounts.models import Workspace


class CalculatedAttributeValue(models.Model):
    """The current value of one calculated attribute for one profile in one workspace.

    Calculated attributes are defined elsewhere (a later issue); the criteria engine only reads
    these rows, so `calculated_attribute` criteria work from the start. `value` is JSON so a
    value can be a number, a string, a date string, a boolean or a list, like user attributes.
    """

    mpid = models.BigIntegerField()
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    value = models.JSONField(null=True, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["mpid", "workspace", "name"]
        constraints = [
            models.UniqueConstraint(fields=["mpid", "workspace", "name"], name="calculated_value_once"),
        ]
        indexes = [
            # Criteria: the profiles of a workspace with a given calculated attribute.
            models.Index(fields=["workspace", "name", "mpid"], name="calculated_value_lookup"),
        ]

    def __str__(self) -> str:
        return f"{self.name} of {self.mpid}"
