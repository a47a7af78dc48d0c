from __future__ import annotations

import django_tables2 as tables

from audiences.models import CatalogueAttribute, DataType, Input


class InputTable(tables.Table):
    name = tables.Column(linkify=True)
    platform = tables.Column()
    api_key = tables.Column(verbose_name="API key")
    enabled = tables.BooleanColumn(verbose_name="Enabled")
    created_at = tables.DateTimeColumn(verbose_name="Created", format="Y-m-d H:i")

    class Meta:
        model = Input
        fields = ("name", "platform", "api_key", "enabled", "rate_limit", "created_at")
        empty_text = "No inputs yet. An admin can add one for each app platform or partner feed."
        attrs = {"class": "table"}


class CatalogueTable(tables.Table):
    event_type = tables.Column(verbose_name="Event type", default="user attribute")
    event_name = tables.Column(verbose_name="Event name", default="—")
    key = tables.Column(verbose_name="Attribute")
    detected_type = tables.Column(verbose_name="Detected")
    override_type = tables.TemplateColumn(
        template_name="audiences/catalogue_override_cell.html",
        verbose_name="Treat as",
        orderable=False,
        extra_context={"data_types": DataType.choices},
    )

    class Meta:
        model = CatalogueAttribute
        fields = ("event_type", "event_name", "key", "detected_type", "override_type", "first_seen")
        empty_text = "Nothing received yet. Event names and attribute keys appear here as data arrives."
        attrs = {"class": "table"}
