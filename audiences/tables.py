from __future__ import annotations

import django_tables2 as tables
from django.utils.html import format_html

from audiences.models import ABTest, Audience, CatalogueAttribute, CreditEntry, DataType, Input

MAX_PER_PAGE = 100


class BoundedTable(tables.Table):
    """A table whose page size, which visitors may set with `?per_page=`, stays within 1..100
    (a zero or negative size would fail the paginator; a huge one would load everything)."""

    def paginate(self, *args, per_page=None, **kwargs):
        size = per_page if isinstance(per_page, int) else 25
        return super().paginate(*args, per_page=min(max(size, 1), MAX_PER_PAGE), **kwargs)


class InputTable(BoundedTable):
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


class CatalogueTable(BoundedTable):
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


class AudienceColumns(BoundedTable):
    """The columns both audience lists (real-time and standard) show the same way."""

    name = tables.Column(linkify=True)
    connected_outputs = tables.Column(verbose_name="Connected outputs")
    tags = tables.TemplateColumn(template_name="audiences/cells/tags.html", verbose_name="Tags", orderable=False)
    updated_at = tables.DateTimeColumn(verbose_name="Last updated", format="Y-m-d H:i")
    created_by = tables.Column(verbose_name="Created by", order_by=("created_by__username",), default="—")
    # A fault icon per audience with a faulted connection; the template tag comes from the
    # connections app (no import from here) and reads the account's faults once per page.
    faults = tables.TemplateColumn(
        template_name="connections/cells/audience_fault_cell.html",
        verbose_name="Faults",
        orderable=False,
        empty_values=(),
    )

    def render_created_by(self, value) -> str:
        return value.get_full_name() or value.username


class AudienceTable(AudienceColumns):
    """The real-time audience list; the metric columns are annotations (see `audiences.metrics`)."""

    size = tables.TemplateColumn(template_name="audiences/cells/size.html", verbose_name="Size")
    adds_24h = tables.Column(verbose_name="Adds (24 h)")
    drops_24h = tables.Column(verbose_name="Drops (24 h)")
    volatility = tables.Column(verbose_name="Volatility (24 h)", default="—")
    access = tables.Column(verbose_name="Access")
    status = tables.TemplateColumn(template_name="audiences/cells/status.html", verbose_name="Status")
    actions = tables.TemplateColumn(
        template_name="audiences/cells/actions.html", verbose_name="Actions", orderable=False, empty_values=()
    )

    def render_name(self, value, record):
        # Audiences with an A/B test carry a % mark; the tested ids are read once per page.
        if not hasattr(self, "_tested"):
            self._tested = set(
                ABTest.objects.filter(audience__account_id=record.account_id).values_list("audience_id", flat=True)
            )
        if record.pk in self._tested:
            return format_html('{} <span class="ab-mark" title="A/B test">%</span>', value)
        return value

    class Meta:
        model = Audience
        fields = (
            "name",
            "size",
            "adds_24h",
            "drops_24h",
            "volatility",
            "connected_outputs",
            "tags",
            "updated_at",
            "created_by",
            "access",
            "status",
            "faults",
            "actions",
        )
        template_name = "audiences/cells/table.html"
        empty_text = "No audiences here yet."
        attrs = {"class": "table audiences", "thead": {"hx-boost": "true", "hx-target": "#audience-table"}}

    def render_volatility(self, value: float) -> str:
        return f"{value:.1%}"

    def render_access(self, record: Audience) -> str:
        return record.get_access_display()


class StandardAudienceTable(AudienceColumns):
    """Audiences > Standard; each tab shows the columns that mean something at its stage."""

    size = tables.TemplateColumn(template_name="audiences/cells/standard_size.html", verbose_name="Size")
    date_range = tables.TemplateColumn(
        template_name="audiences/cells/date_range.html",
        verbose_name="Date range",
        order_by=("range_start", "range_end"),
        empty_values=(),
    )
    standard_state = tables.TemplateColumn(template_name="audiences/cells/standard_state.html", verbose_name="State")
    calculated_at = tables.DateTimeColumn(verbose_name="Calculated", format="Y-m-d H:i", default="—")
    expires_at = tables.DateTimeColumn(verbose_name="Expires", format="Y-m-d H:i", default="—")
    last_sent_at = tables.DateTimeColumn(verbose_name="Last sent", format="Y-m-d H:i", default="Never")
    actions = tables.TemplateColumn(
        template_name="audiences/cells/standard_actions.html",
        verbose_name="Actions",
        orderable=False,
        empty_values=(),
    )

    # Columns that say nothing at a stage: no expiry before calculation, no sends in a draft.
    HIDDEN_BY_TAB = {
        "progress": ("calculated_at", "expires_at", "last_sent_at", "faults"),
        "ready": ("standard_state", "updated_at"),
        "archive": ("standard_state", "updated_at", "faults"),
    }

    class Meta:
        model = Audience
        fields = (
            "name",
            "size",
            "date_range",
            "standard_state",
            "calculated_at",
            "expires_at",
            "last_sent_at",
            "connected_outputs",
            "tags",
            "created_by",
            "updated_at",
            "faults",
            "actions",
        )
        template_name = "audiences/cells/table.html"
        attrs = {"class": "table audiences standard", "thead": {"hx-boost": "true", "hx-target": "#audience-table"}}

    def __init__(self, *args, tab: str, **kwargs):
        super().__init__(*args, exclude=self.HIDDEN_BY_TAB[tab], **kwargs)


class CreditEntryTable(BoundedTable):
    """The credit ledger, newest first: each grant, spend and refund with the balance it left."""

    at = tables.DateTimeColumn(verbose_name="When", format="Y-m-d H:i")
    reason = tables.Column(verbose_name="What")
    change = tables.Column(verbose_name="Change", attrs={"td": {"class": "amount"}})
    balance_after = tables.Column(verbose_name="Balance")
    calculation = tables.Column(verbose_name="Audiences", orderable=False, default="—")
    note = tables.Column(verbose_name="Note", default="—")
    by = tables.Column(verbose_name="By", orderable=False, default="—")

    class Meta:
        model = CreditEntry
        fields = ("at", "reason", "change", "balance_after", "calculation", "note", "by")
        orderable = False
        empty_text = "No credits granted or spent yet."
        attrs = {"class": "table ledger"}

    def render_change(self, value: int) -> str:
        return f"{value:+d}"

    def render_calculation(self, value) -> str:
        return ", ".join(a.name for a in value.audiences.all()) or "—"

    def render_by(self, value) -> str:
        return value.get_full_name() or value.username
