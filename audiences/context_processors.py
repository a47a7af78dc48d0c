"""What the app shell shows on every page beside the page itself."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from audiences import downloads


def download_notices(request: HttpRequest) -> dict:
    """The signed-in person's ready downloads, for the notice in the shell.

    Lazy: the query runs only when base.html renders the notices (one query for all of
    them), never for HTMX fragments or JSON answers that do not show the shell.
    """
    here = getattr(request, "current", None)
    if here is None:
        return {"download_notices": ()}
    return {"download_notices": SimpleLazyObject(lambda: downloads.ready_notices(request.user, here.account))}
