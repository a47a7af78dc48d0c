from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse

from accounts.models import Account
from outputs import vault
from outputs.partners import choices, partner_class


class OutputConfiguration(models.Model):
    """An account's settings for one partner (keys, endpoints): the thing audiences connect to.

    Settings are stored encrypted; secret fields are never rendered back, only reported "set".
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="output_configurations")
    partner = models.CharField(max_length=30, choices=choices)
    name = models.CharField(max_length=100)
    sealed_settings = models.TextField(blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["account", "name"], name="output_configuration_name_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_partner_display()})"

    def get_absolute_url(self) -> str:
        return reverse("outputs:configuration_detail", args=[self.pk])

    @property
    def partner_class(self):
        return partner_class(self.partner)

    @property
    def settings(self) -> dict[str, Any]:
        return vault.unseal(self.sealed_settings)

    @settings.setter
    def settings(self, values: dict[str, Any]) -> None:
        self.sealed_settings = vault.seal(values)

    @property
    def typed_settings(self):
        """The settings parsed into the partner's pydantic model."""
        return self.partner_class.Configuration.model_validate(self.settings)

    def public_settings(self) -> dict[str, Any]:
        """Settings safe to show: secret values replaced by "set" (or omitted when empty)."""
        secrets = self.partner_class.Configuration.secret_fields()
        return {
            key: ("set" if key in secrets and value else value)
            for key, value in self.settings.items()
            if key not in secrets or value
        }
