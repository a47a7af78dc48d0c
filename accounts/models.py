"""Tenancy: an organisation's account, its workspaces, and the people who work in it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse


class Account(models.Model):
    """An organisation. Everything a person can see hangs off exactly one account."""

    name = models.CharField(max_length=100, unique=True)
    retention_days = models.PositiveSmallIntegerField(
        default=30,
        help_text="The real-time window: events older than this many days leave the live data that "
        "real-time audiences read (they stay in the long-term history).",
    )
    long_term_retention_days = models.PositiveIntegerField(
        default=730,
        help_text="Long-term history kept for standard audiences, in days; older events are removed.",
    )
    # Standard audience calculation credits. Only changed together with a ledger row (see
    # audiences.standard), under SELECT ... FOR UPDATE of this row; the check constraint is the
    # last line of defence against spending credits the account does not have.
    credit_balance = models.IntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(credit_balance__gte=0), name="credit_balance_never_negative"),
        ]

    def __str__(self) -> str:
        return self.name


class Workspace(models.Model):
    """A data silo inside an account (for example one brand or one region)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="workspaces")
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["account__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["account", "name"], name="workspace_name_unique_in_account"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("audiences:input_list")


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    MARKETER = "marketer", "Marketer"
    SUPPORT = "support", "Support"


class Person(models.Model):
    """A Django user's place in an account, with the role that decides what they may change."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="people")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="people")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MARKETER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["account__name", "user__username"]
        verbose_name_plural = "people"
        constraints = [
            models.UniqueConstraint(fields=["user", "account"], name="person_unique_per_account"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()} in {self.account})"

    @property
    def can_change_setup(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def can_edit_audiences(self) -> bool:
        return self.role in (Role.ADMIN, Role.MARKETER)


class PlatformToken(models.Model):
    """A bearer token for the Platform API, acting in one account with one role.

    Only a hash is stored; the token is shown once when created. `prefix` lets people tell
    tokens apart in lists without revealing them.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(max_length=100)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MARKETER)
    prefix = models.CharField(max_length=12, editable=False)
    token_hash = models.CharField(max_length=80, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)

    class Meta:
        ordering = ["account__name", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def can_change_setup(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def can_edit_audiences(self) -> bool:
        return self.role in (Role.ADMIN, Role.MARKETER)
