from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts import access, tokens
from accounts.forms import TokenForm
from accounts.models import PlatformToken


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


def _tokens_page(request: HttpRequest, form: TokenForm, status: int = 200) -> HttpResponse:
    here = access.current(request)
    return render(
        request,
        "accounts/tokens.html",
        {
            "tokens": PlatformToken.objects.filter(account=here.account).select_related("created_by"),
            "form": form,
            "can_change": here.person.can_change_setup,
            "nav": "account",
        },
        status=status,
    )


def token_list(request: HttpRequest) -> HttpResponse:
    """Account settings: Platform API tokens (values are shown once, at creation)."""
    return _tokens_page(request, TokenForm())


@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    here = access.current(request)
    if not here.person.can_change_setup:
        raise PermissionDenied("Only an account admin can create tokens.")
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _tokens_page(request, form, status=400)
    token, value = tokens.create_token(
        account=here.account, name=form.cleaned_data["name"], role=form.cleaned_data["role"], created_by=request.user
    )
    return render(request, "accounts/token_created.html", {"token": token, "value": value, "nav": "account"})


@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    here = access.current(request)
    if not here.person.can_change_setup:
        raise PermissionDenied("Only an account admin can revoke tokens.")
    token = get_object_or_404(PlatformToken, pk=pk, account=here.account)
    tokens.revoke(token)
    messages.success(request, f"Token {token.name} is revoked.")
    return redirect("token_list")
