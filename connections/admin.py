"""Connections in the admin, with Resume for faulted ones (the same service the page calls)."""

from __future__ import annotations

from django.contrib import admin, messages

from connections import services
from connections.models import Connection, Delivery, DownstreamDeletion


class FaultedFilter(admin.SimpleListFilter):
    title = "fault"
    parameter_name = "faulted"

    def lookups(self, request, model_admin):
        return [("yes", "Faulted"), ("no", "Not faulted")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(faulted_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(faulted_at__isnull=True)
        return queryset


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    list_display = [
        "audience",
        "output_configuration",
        "status",
        "state",
        "delivered_adds",
        "delivered_drops",
        "last_delivery_at",
        "faulted_at",
    ]
    list_filter = ["status", FaultedFilter, "output_configuration__partner"]
    search_fields = ["audience__name", "output_configuration__name", "fault_message"]
    list_select_related = ["audience", "output_configuration"]
    raw_id_fields = ["audience", "output_configuration", "created_by"]
    readonly_fields = [
        "partner_state",
        "connected_at",
        "snapshot_state",
        "snapshot_seq",
        "snapshot_after_mpid",
        "cursor",
        "attempts",
        "next_attempt_at",
        "fault_message",
        "faulted_at",
        "delivered_adds",
        "delivered_drops",
        "skipped_without_identity",
        "last_delivery_at",
        "created_at",
    ]
    actions = ["resume_connections"]

    @admin.display(description="State")
    def state(self, connection: Connection) -> str:
        return connection.state

    @admin.action(description="Resume the selected faulted connections")
    def resume_connections(self, request, queryset) -> None:
        resumed = 0
        for connection in queryset.filter(faulted_at__isnull=False):
            try:
                services.resume(connection, acting_user=request.user)
            except services.NotFaulted:
                continue  # resumed meanwhile by someone else
            resumed += 1
        skipped = queryset.count() - resumed
        self.message_user(request, f"Resumed {resumed} connection(s).", messages.SUCCESS)
        if skipped:
            self.message_user(request, f"{skipped} selected connection(s) were not faulted.", messages.INFO)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["batch_id", "connection", "snapshot", "adds", "drops", "outcome", "status_code", "started_at"]
    list_filter = ["outcome", "snapshot"]
    search_fields = ["batch_id", "message"]
    list_select_related = ["connection__audience", "connection__output_configuration"]
    raw_id_fields = ["connection"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DownstreamDeletion)
class DownstreamDeletionAdmin(admin.ModelAdmin):
    list_display = ["name", "output_configuration", "attempts", "done_at", "message", "created_at"]
    list_filter = ["done_at"]
    exclude = ["settings"]
    readonly_fields = [
        "output_configuration",
        "audience_id",
        "name",
        "variation",
        "partner_state",
        "attempts",
        "next_attempt_at",
        "done_at",
        "message",
    ]

    def has_add_permission(self, request) -> bool:
        return False
