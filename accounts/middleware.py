from __future__ import annotations

from django.contrib.auth.middleware import LoginRequiredMiddleware

from accounts.access import resolve_current


class CurrentWorkspaceMiddleware:
    """Attach `request.current` (person, account, workspace) for signed-in people."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.current = resolve_current(request)
        return self.get_response(request)


class LoginRequired(LoginRequiredMiddleware):
    """Every page needs a signed-in person, except the JSON APIs, which carry their own
    credentials (HTTP Basic for the Events API, bearer tokens for the Platform API)."""

    open_prefixes = ("/v2/", "/platform/v1/")

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith(self.open_prefixes):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
