from __future__ import annotations

from django.http import HttpRequest

from accounts.models import Person, Workspace


def current(request: HttpRequest) -> dict:
    # Context processors run again for every template rendered with the request, and
    # django-tables2 renders each TemplateColumn cell that way: built once per request, the
    # switcher's querysets cost nothing per cell (a 500-audience list renders 25-100 rows of
    # several such cells: a third of the page's time went here).
    found = getattr(request, "_current_context", None)
    if found is None:
        found = request._current_context = _current(request)
    return found


def _current(request: HttpRequest) -> dict:
    here = getattr(request, "current", None)
    if here is None:
        return {"current": None}
    people = Person.objects.filter(user=request.user).select_related("account")
    workspaces = Workspace.objects.filter(account__people__user=request.user).select_related("account")
    return {"current": here, "switcher_people": people, "switcher_workspaces": workspaces}
