from __future__ import annotations

from django.contrib import admin, messages

from accounts import tokens
from accounts.models import Account, Person, PlatformToken, Workspace


class WorkspaceInline(admin.TabularInline):
    model = Workspace
    extra = 0


class PersonInline(admin.TabularInline):
    model = Person
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["name", "retention_days", "long_term_retention_days", "credit_balance", "created_at"]
    search_fields = ["name"]
    # Credits are granted from the credit ledger (Audiences > Credit entries), never typed here.
    readonly_fields = ["credit_balance"]
    inlines = [WorkspaceInline, PersonInline]


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ["name", "account", "created_at"]
    list_filter = ["account"]
    search_fields = ["name", "account__name"]
    list_select_related = ["account"]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["user", "account", "role", "created_at"]
    list_filter = ["role", "account"]
    search_fields = ["user__username", "user__email", "account__name"]
    list_select_related = ["user", "account"]
    autocomplete_fields = ["user", "account"]


@admin.register(PlatformToken)
class PlatformTokenAdmin(admin.ModelAdmin):
    """Tokens are created here or on the account settings page; the value is shown once."""

    list_display = ["name", "account", "role", "prefix", "created_at", "last_used_at", "revoked"]
    list_filter = ["role", "revoked", "account"]
    search_fields = ["name", "prefix", "account__name"]
    list_select_related = ["account"]
    fields = ["account", "name", "role", "revoked", "prefix", "created_at", "last_used_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    actions = ["revoke_tokens"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        created, value = tokens.create_token(account=obj.account, name=obj.name, role=obj.role, created_by=request.user)
        obj.pk = created.pk
        messages.warning(request, f"Token {created.name} (shown once, copy it now): {value}")

    @admin.action(description="Revoke the selected tokens")
    def revoke_tokens(self, request, queryset):
        queryset.update(revoked=True)
