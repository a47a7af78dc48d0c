"""Output configurations in the admin: look, rename, delete. Settings are shown as the pages show
them (secrets "set"); they are entered and changed on Setup > Outputs, where they are validated."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html_join

from outputs.models import OutputConfiguration


@admin.register(OutputConfiguration)
class OutputConfigurationAdmin(admin.ModelAdmin):
    list_display = ["name", "partner", "account", "created_at", "updated_at"]
    list_filter = ["partner", "account"]
    search_fields = ["name", "account__name"]
    list_select_related = ["account"]
    fields = ["account", "partner", "name", "settings_shown", "created_by", "created_at", "updated_at"]
    readonly_fields = ["account", "partner", "settings_shown", "created_by", "created_at", "updated_at"]

    def has_add_permission(self, request) -> bool:
        # A configuration needs its partner's validated settings: add it from the Directory.
        return False

    @admin.display(description="Settings")
    def settings_shown(self, configuration: OutputConfiguration) -> str:
        try:
            values = configuration.public_settings()
        except ValueError as exc:
            return str(exc)
        return format_html_join(", ", "{}: {}", sorted(values.items())) or "—"
