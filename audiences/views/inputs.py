"""Setup > Inputs: everybody in the account may look; only admins change anything."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST
from django_tables2 import RequestConfig

from accounts.access import require_setup_admin, require_workspace
from audiences import inputs
from audiences.forms import InputForm
from audiences.models import Input
from audiences.tables import InputTable


def _input_for(request: HttpRequest, pk: int) -> Input:
    """The input, if it is in the person's current account (else 404, never another's)."""
    here = require_workspace(request)
    return get_object_or_404(Input.objects.select_related("workspace"), pk=pk, workspace__account=here.account)


def input_list(request: HttpRequest) -> HttpResponse:
    here = require_workspace(request)
    table = InputTable(Input.objects.filter(workspace=here.workspace).select_related("workspace"))
    RequestConfig(request, paginate={"per_page": 25}).configure(table)
    return render(
        request,
        "audiences/input_list.html",
        {"table": table, "can_change": here.person.can_change_setup},
    )


@require_http_methods(["GET", "POST"])
def input_create(request: HttpRequest) -> HttpResponse:
    here = require_setup_admin(request)
    form = InputForm(request.POST or None, workspace=here.workspace)
    if request.method == "POST" and form.is_valid():
        source, secret = inputs.create_input(
            workspace=here.workspace,
            name=form.cleaned_data["name"],
            platform=form.cleaned_data["platform"],
            rate_limit=form.cleaned_data["rate_limit"],
        )
        return render(
            request,
            "audiences/input_secret.html",
            {"input": source, "secret": secret, "created": True},
        )
    return render(request, "audiences/input_form.html", {"form": form})


def input_detail(request: HttpRequest, pk: int) -> HttpResponse:
    source = _input_for(request, pk)
    here = require_workspace(request)
    return render(
        request,
        "audiences/input_detail.html",
        {"input": source, "can_change": here.person.can_change_setup},
    )


@require_POST
def input_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    require_setup_admin(request)
    source = _input_for(request, pk)
    inputs.set_enabled(source, not source.enabled)
    messages.success(request, f"{source.name} is now {'enabled' if source.enabled else 'disabled'}.")
    return redirect(source)


@require_POST
def input_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    require_setup_admin(request)
    source = _input_for(request, pk)
    secret = inputs.rotate_secret(source)
    return render(
        request,
        "audiences/input_secret.html",
        {"input": source, "secret": secret, "created": False},
    )
