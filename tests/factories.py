"""Factories for the tests: accounts, people with roles, workspaces and inputs."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from accounts.models import Account, Person, Role, Workspace
from audiences.inputs import create_input

PASSWORD = "correct-horse-battery"


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Account {n}")


class WorkspaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workspace

    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"Workspace {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"person{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password(PASSWORD)


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    user = factory.SubFactory(UserFactory)
    account = factory.SubFactory(AccountFactory)
    role = Role.MARKETER


def make_input(workspace: Workspace, name: str = "iOS", platform: str = "ios", **kwargs):
    """An input and its secret (the secret exists only here, as in real life)."""
    return create_input(workspace=workspace, name=name, platform=platform, **kwargs)
