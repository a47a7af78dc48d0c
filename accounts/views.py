from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts import access


@require_POST
def switch(request: HttpRequest) -> HttpResponse:
    """Change the account and workspace the person works in."""
    try:
        workspace_id = int(request.POST.get("workspace", ""))
    except ValueError:
        messages.error(request, "Pick a workspace from the list.")
        return redirect("home")
    workspace = access.switch(request, workspace_id=workspace_id)
    messages.success(request, f"You are now working in {workspace.account} / {workspace}.")
    target = request.POST.get("next") or reverse("home")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("home")
    return redirect(target)


def home(request: HttpRequest) -> HttpResponse:
    return redirect("audiences:realtime_list")
