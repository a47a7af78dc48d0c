"""Pages whose capability arrives with a later issue: a friendly empty state, never a 404."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.access import current

COMING = {
    "realtime": ("Real-time audiences", "Audiences that follow your data within seconds."),
    "standard": ("Standard audiences", "Audiences calculated once over your long-term history."),
}


def coming_soon(request: HttpRequest, *, page: str) -> HttpResponse:
    current(request)
    title, lead = COMING[page]
    return render(request, "coming_soon.html", {"title": title, "lead": lead, "page": page})
