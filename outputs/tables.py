"""Tables of Setup > Outputs. Counts are annotations made by the views (constant queries)."""

from __future__ import annotations

import django_tables2 as tables
from django.templatetags.static import static
from django.utils.html import format_html

from outputs.models import OutputConfiguration


class OutputConfigurationTable(tables.Table):
    name = tables.Column(linkify=True, verbose_name="Configuration")
    partner = tables.Column(verbose_name="Partner")
    connection_count = tables.Column(verbose_name="Connections")
    fault_count = tables.TemplateColumn(template_name="outputs/cells/fault_count.html", verbose_name="Open faults")
    created_at = tables.DateTimeColumn(verbose_name="Created", format="Y-m-d H:i")
    actions = tables.TemplateColumn(
        template_name="outputs/cells/configuration_actions.html", verbose_name="", orderable=False, empty_values=()
    )

    class Meta:
        model = OutputConfiguration
        fields = ("name", "partner", "connection_count", "fault_count", "created_at", "actions")
        empty_text = "No outputs yet."
        attrs = {"class": "table outputs"}

    def render_partner(self, record: OutputConfiguration) -> str:
        partner = record.partner_class
        return format_html(
            '<span class="partner-name"><img src="{}" alt="" width="20" height="20"> {}</span>',
            static(partner.logo),
            partner.name,
        )


class ConfigurationConnectionTable(tables.Table):
    """The connections of one configuration (rows come through its `connections` relation)."""

    audience = tables.Column(accessor="audience__name", verbose_name="Audience", order_by=("audience__name",))
    status = tables.Column(verbose_name="Status")
    state = tables.TemplateColumn(
        template_name="outputs/cells/connection_state.html", verbose_name="State", order_by=("faulted_at", "status")
    )
    delivered_adds = tables.Column(verbose_name="Adds delivered")
    delivered_drops = tables.Column(verbose_name="Drops delivered")
    last_delivery_at = tables.DateTimeColumn(verbose_name="Last delivery", format="Y-m-d H:i:s", default="—")
    fault_message = tables.Column(verbose_name="Fault", default="", orderable=False)

    class Meta:
        empty_text = "No audience is connected to this output yet."
        attrs = {"class": "table connections"}

    def render_audience(self, record, value) -> str:
        return format_html('<a href="{}">{}</a>', record.get_absolute_url(), value)

    def render_status(self, record) -> str:
        return record.get_status_display()
