"""Django admin for data and audiences. Input secrets are never shown: only their hash exists,
and it is excluded from every form and list."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages

from audiences import inputs, standard
from audiences.models import (
    Audience,
    CatalogueAttribute,
    CatalogueEvent,
    CreditEntry,
    Download,
    Event,
    EventPartition,
    Identity,
    Input,
    Profile,
    ProfileWorkspace,
    StandardCalculation,
    Tag,
)


@admin.register(Input)
class InputAdmin(admin.ModelAdmin):
    list_display = ["name", "platform", "workspace", "api_key", "enabled", "rate_limit", "created_at"]
    list_filter = ["platform", "enabled", "workspace__account"]
    search_fields = ["name", "api_key", "workspace__name"]
    list_select_related = ["workspace__account"]
    fields = ["workspace", "name", "platform", "enabled", "rate_limit", "api_key", "secret_rotated_at", "created_at"]
    readonly_fields = ["api_key", "secret_rotated_at", "created_at"]
    actions = ["rotate", "disable", "enable"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        created, secret = inputs.create_input(
            workspace=obj.workspace, name=obj.name, platform=obj.platform, rate_limit=obj.rate_limit
        )
        obj.pk, obj.api_key = created.pk, created.api_key
        messages.warning(request, f"Secret for {created.api_key} (shown once, copy it now): {secret}")

    @admin.action(description="Rotate the secret of the selected inputs")
    def rotate(self, request, queryset):
        for source in queryset:
            secret = inputs.rotate_secret(source)
            messages.warning(request, f"New secret for {source.api_key} (shown once, copy it now): {secret}")

    @admin.action(description="Disable the selected inputs")
    def disable(self, request, queryset):
        queryset.update(enabled=False)

    @admin.action(description="Enable the selected inputs")
    def enable(self, request, queryset):
        queryset.update(enabled=True)


class IdentityInline(admin.TabularInline):
    model = Identity
    extra = 0
    fields = ["identity_type", "value", "workspace", "first_seen", "last_seen"]
    readonly_fields = fields
    can_delete = False


class ProfileWorkspaceInline(admin.StackedInline):
    model = ProfileWorkspace
    extra = 0
    readonly_fields = ["workspace", "first_seen", "last_seen"]


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["mpid", "account", "sample_bucket", "created_at"]
    list_filter = ["account"]
    search_fields = ["=mpid", "identities__value"]
    list_select_related = ["account"]
    readonly_fields = ["mpid", "account", "sample_bucket", "created_at"]
    inlines = [ProfileWorkspaceInline, IdentityInline]
    show_full_result_count = False
    actions = ["forget"]

    @admin.action(description="Delete the selected profiles (dropped from every audience first)")
    def forget(self, request, queryset):
        from audiences.profiles import delete_profile

        for profile in queryset:
            delete_profile(profile)
        messages.success(request, f"Deleted {len(queryset)} profile(s); their drops go out to every output.")


@admin.register(Identity)
class IdentityAdmin(admin.ModelAdmin):
    list_display = ["identity_type", "value", "profile", "workspace", "last_seen"]
    list_filter = ["identity_type", "workspace__account"]
    search_fields = ["=value", "=profile__mpid"]
    list_select_related = ["workspace", "profile"]
    raw_id_fields = ["profile"]
    show_full_result_count = False


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["timestamp", "event_type", "name", "mpid", "workspace", "input"]
    list_filter = ["event_type", "workspace"]
    search_fields = ["=mpid", "name"]
    list_select_related = ["workspace", "input"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(EventPartition)
class EventPartitionAdmin(admin.ModelAdmin):
    list_display = ["table_name", "account", "tier", "day"]
    list_filter = ["tier", "account"]

    def has_add_permission(self, request):
        return False


@admin.register(CatalogueEvent)
class CatalogueEventAdmin(admin.ModelAdmin):
    list_display = ["name", "event_type", "workspace", "first_seen"]
    list_filter = ["event_type", "workspace"]
    search_fields = ["name"]


@admin.register(CatalogueAttribute)
class CatalogueAttributeAdmin(admin.ModelAdmin):
    list_display = ["key", "event_type", "event_name", "detected_type", "override_type", "workspace"]
    list_filter = ["detected_type", "override_type", "workspace"]
    search_fields = ["key", "event_name"]
    list_editable = ["override_type"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "account"]
    search_fields = ["name"]


@admin.register(Audience)
class AudienceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "status", "account", "calculation_state", "updated_at"]
    list_filter = ["kind", "status", "account"]
    search_fields = ["name", "external_name"]
    filter_horizontal = ["workspaces", "inputs", "tags"]


@admin.register(Download)
class DownloadAdmin(admin.ModelAdmin):
    """Audience downloads, for support: who asked for what, how far the job got, why one failed.
    Read-only: a download is asked for in the app or the Platform API, which start its job."""

    list_display = ["uid", "audience", "account", "requested_by", "state", "total_rows", "created_at", "expires_at"]
    list_filter = ["state", "account"]
    list_select_related = ["audience", "account", "requested_by"]
    search_fields = ["uid", "audience__name", "requested_by__email"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(StandardCalculation)
class StandardCalculationAdmin(admin.ModelAdmin):
    """Calculations of standard audiences: what they cost, how far they got, why one failed."""

    list_display = ["pk", "account", "state", "progress", "credits", "requested_by", "created_at", "finished_at"]
    list_filter = ["state", "account"]
    list_select_related = ["account", "requested_by"]
    readonly_fields = [
        "account",
        "audiences",
        "credits",
        "state",
        "progress",
        "error",
        "requested_by",
        "created_at",
        "started_at",
        "finished_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False  # started from Audiences > Standard or the Platform API, which spend credits


class CreditGrantForm(forms.ModelForm):
    class Meta:
        model = CreditEntry
        fields = ["account", "change", "note"]
        labels = {"change": "Credits to grant (negative takes back)"}

    def clean(self):
        data = super().clean()
        account, change = data.get("account"), data.get("change")
        if account is not None and change is not None:
            # The service decides again under the row lock; this only says why up front.
            if change == 0 or abs(change) > standard.MAX_GRANT:
                self.add_error("change", f"A whole number of credits, not zero, at most {standard.MAX_GRANT}.")
            elif standard.balance(account) + change < 0:
                self.add_error("change", f"{account} has {standard.balance(account)} credits; it cannot go below zero.")
        return data


@admin.register(CreditEntry)
class CreditEntryAdmin(admin.ModelAdmin):
    """The credit ledger. Adding an entry grants credits (through the service, so the balance
    and the ledger move together and never below zero); entries are never edited."""

    list_display = ["at", "account", "reason", "change", "balance_after", "calculation", "by", "note"]
    list_filter = ["reason", "account"]
    list_select_related = ["account", "by", "calculation"]
    search_fields = ["account__name", "note"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = CreditGrantForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["account", "change", "reason", "calculation", "note", "balance_after", "by", "at"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return
        entry = standard.grant_credits(obj.account, obj.change, acting_user=request.user, note=obj.note)
        obj.pk, obj.balance_after, obj.reason = entry.pk, entry.balance_after, entry.reason
