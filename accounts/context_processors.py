from __future__ import annotations

from django.http import HttpRequest

from accounts.models import Person, Workspace


def current(request: HttpRequest) -> dict:
    here = getattr(request, "current", None)
    if here is None:
        return {"current": None}
    people = Person.objects.filter(user=request.user).select_related("account")
    workspaces = Workspace.objects.filter(account__people__user=request.user).select_related("account")
    return {"current": here, "switcher_people": people, "switcher_workspaces": workspaces}
