from __future__ import annotations

from django.contrib import admin

from accounts.models import Account, Person, Workspace


class WorkspaceInline(admin.TabularInline):
    model = Workspace
    extra = 0


class PersonInline(admin.TabularInline):
    model = Person
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["name", "retention_days", "created_at"]
    search_fields = ["name"]
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
