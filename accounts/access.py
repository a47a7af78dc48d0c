"""Who may see and change what: one place that every view goes through."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from accounts.models import Account, Person, Workspace

SESSION_ACCOUNT = "account_id"
SESSION_WORKSPACE = "workspace_id"


@dataclass(frozen=True)
class Current:
    """The account, workspace and role a signed-in person is working in right now."""

    person: Person
    workspace: Workspace | None

    @property
    def account(self) -> Account:
        return self.person.account

    @property
    def role(self) -> str:
        return self.person.role


def resolve_current(request: HttpRequest) -> Current | None:
    """Pick the person's account and workspace from the session, falling back to the first ones."""
    user = request.user
    if not user.is_authenticated:
        return None
    people = list(Person.objects.filter(user=user).select_related("account").order_by("account__name"))
    if not people:
        return None
    wanted = request.session.get(SESSION_ACCOUNT)
    person = next((p for p in people if p.account_id == wanted), people[0])
    # Without a choice in the session: the account's first workspace (its oldest, usually its
    # main app), not the first by name.
    workspaces = Workspace.objects.filter(account=person.account).order_by("pk")
    workspace = workspaces.filter(pk=request.session.get(SESSION_WORKSPACE)).first() or workspaces.first()
    return Current(person=person, workspace=workspace)


def current(request: HttpRequest) -> Current:
    """The person's current place; a signed-in user with no account sees nothing at all."""
    found = getattr(request, "current", None)
    if found is None:
        raise Http404("You do not belong to any account yet. Ask an admin to add you.")
    return found


def require_workspace(request: HttpRequest) -> Current:
    here = current(request)
    if here.workspace is None:
        raise Http404("This account has no workspace yet.")
    return here


def require_setup_admin(request: HttpRequest) -> Current:
    """Only admins change Setup; support staff and marketers may only look."""
    here = require_workspace(request)
    if not here.person.can_change_setup:
        raise PermissionDenied("Only an account admin can change Setup.")
    return here


def switch(request: HttpRequest, *, workspace_id: int) -> Workspace:
    """Work in another workspace (and so its account), if the person belongs to that account."""
    workspace = Workspace.objects.filter(pk=workspace_id, account__people__user=request.user).first()
    if workspace is None:
        raise Http404("No such workspace.")
    request.session[SESSION_ACCOUNT] = workspace.account_id
    request.session[SESSION_WORKSPACE] = workspace.pk
    return workspace
