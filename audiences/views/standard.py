"""Audiences > Standard: the list and its tabs, New Standard Audience, Calculate, Clone, and
the account's calculation credits.

Everybody in the account may look; admins and marketers create and calculate (support gets
a 403 on every POST); the credit ledger is for admins (who grant credits) and support staff
(read-only). Another account's audience is a 404. The Build tab is `builder.py`'s; the
Connections screen and Send belong to the connections app.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_tables2 import RequestConfig

from accounts.access import Current, current, require_workspace
from accounts.models import Role
from audiences import standard
from audiences.filters import StandardAudienceFilter
from audiences.forms_standard import CalculateForm, GrantForm, NewStandardAudienceForm
from audiences.metrics import with_connected_outputs
from audiences.models import Audience, AudienceKind, StandardState, Tag
from audiences.tables import CreditEntryTable, StandardAudienceTable
from audiences.views.audiences import audience_for, go, refreshed_initial, require_editor

TABS = {"progress": "In Progress", "ready": "Ready", "archive": "Archive"}
STATES_BY_TAB = {
    "progress": (StandardState.DRAFT, StandardState.CALCULATING),
    "ready": (StandardState.READY,),
    "archive": (StandardState.EXPIRED,),
}
EMPTY = {
    "progress": (
        "No standard audiences in progress",
        "Create a standard audience over your long-term history, then calculate it when its criteria are ready.",
    ),
    "ready": (
        "Nothing ready yet",
        "Audiences appear here once calculated, for 30 days, to be sent to their connections.",
    ),
    "archive": (
        "The archive is empty",
        "Audiences calculated more than 30 days ago come here. Clone one to calculate it again.",
    ),
}


def standard_for(request: HttpRequest, pk: int) -> Audience:
    """A standard audience of the person's account; a real-time one or another account's is a 404."""
    audience = audience_for(request, pk)
    if audience.kind != AudienceKind.STANDARD:
        raise Http404("This is not a standard audience.")
    return audience


def _can_read_ledger(here: Current) -> bool:
    return here.role in (Role.ADMIN, Role.SUPPORT)


@require_GET
def standard_list(request: HttpRequest) -> HttpResponse:
    here = require_workspace(request)
    tab = request.GET.get("tab") if request.GET.get("tab") in TABS else "progress"
    audiences = Audience.objects.filter(
        account=here.account,
        kind=AudienceKind.STANDARD,
        workspaces=here.workspace,
        standard_state__in=STATES_BY_TAB[tab],
    )
    found = StandardAudienceFilter(request.GET, queryset=audiences, account=here.account)
    rows = (
        with_connected_outputs(found.qs)
        .select_related("created_by")
        .prefetch_related(Prefetch("tags", Tag.objects.all()))
    )
    table = StandardAudienceTable(rows, tab=tab)
    RequestConfig(request, paginate={"per_page": 25}).configure(table)
    can_edit = here.person.can_edit_audiences
    context = {
        "nav": "standard",
        "tab": tab,
        "tabs": TABS,
        "table": table,
        "filter": found,
        "empty": EMPTY[tab],
        "can_edit": can_edit,
        "balance": standard.balance(here.account),
        "can_read_ledger": _can_read_ledger(here),
        "calculating": tab == "progress" and found.qs.filter(standard_state=StandardState.CALCULATING).exists(),
    }
    template = "audiences/standard/list.html#table" if request.htmx else "audiences/standard/list.html"
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
def standard_create(request: HttpRequest) -> HttpResponse:
    here = require_workspace(request)
    require_editor(request)
    scope = "multi" if request.GET.get("scope") == "multi" else "single"
    data = request.POST if request.method == "POST" else None
    form = NewStandardAudienceForm(data, account=here.account, workspace=here.workspace, initial={"scope": scope})
    if data is not None and "refresh" in data:
        # The workspaces changed: show their inputs, keep the date range as typed.
        initial = refreshed_initial(form, data)
        initial.update({key: data.get(key, "") for key in ("date_range", "start", "end_mode", "end")})
        form = NewStandardAudienceForm(account=here.account, workspace=here.workspace, initial=initial)
    elif data is not None and form.is_valid():
        try:
            audience = standard.create(account=here.account, acting_user=request.user, **form.audience_fields())
        except standard.StandardRefused as refused:
            form.add_refusal(refused.errors)
        else:
            messages.success(request, f"{audience.name} is created. Add criteria, then Save as Draft.")
            return go(request, audience.get_absolute_url())
    template = "audiences/standard/create.html#dialog" if request.htmx else "audiences/standard/create.html"
    return render(request, template, {"nav": "standard", "form": form})


def _drafts(here: Current):
    return Audience.objects.filter(
        account=here.account, kind=AudienceKind.STANDARD, standard_state=StandardState.DRAFT
    ).order_by("name")


@require_http_methods(["GET", "POST"])
def calculate(request: HttpRequest) -> HttpResponse:
    """The Calculate dialog: pick drafts, see the credits they cost and the balance, Start.

    A post with `preview` only redraws the dialog (the credits follow the ticked drafts);
    one without starts the calculation, or says why it cannot, spending nothing."""
    here = require_workspace(request)
    drafts = list(_drafts(here))
    data = request.POST if request.method == "POST" else None
    if data is not None:
        require_editor(request)
    wanted = request.GET.get("audience", "")
    initial = {"audiences": [int(wanted)]} if wanted.isascii() and wanted.isdigit() and len(wanted) < 19 else {}
    form = CalculateForm(data, drafts=drafts, initial=initial)
    status = 200
    if data is not None and "preview" not in data and form.is_valid():
        chosen = form.chosen()
        try:
            calculation = standard.start_calculation(here.account, chosen, acting_user=request.user)
        except standard.StandardRefused as refused:
            form.add_refusal(refused.errors)
            status = 200 if request.htmx else refused.status
        else:
            names = ", ".join(a.name for a in chosen)
            messages.success(
                request,
                f"Calculating {names}: {calculation.credits} credit{'s' if calculation.credits != 1 else ''} spent.",
            )
            return go(request, reverse("audiences:standard_list"))
    elif data is not None and "preview" not in data:
        status = 200 if request.htmx else 400
    chosen = form.chosen()
    credits = standard.credits_needed(chosen) if chosen else 0
    balance = standard.balance(here.account)
    context = {
        "nav": "standard",
        "form": form,
        "drafts": drafts,
        "chosen_ids": {a.pk for a in chosen},
        "credits": credits,
        "balance": balance,
        "short": credits > balance,
        "can_edit": here.person.can_edit_audiences,
    }
    template = "audiences/standard/calculate.html#dialog" if request.htmx else "audiences/standard/calculate.html"
    return render(request, template, context, status=status)


@require_GET
def standard_head(request: HttpRequest, pk: int) -> HttpResponse:
    """The head of a standard audience's pages (state, size or progress, actions), which
    redraws itself while the audience is calculated."""
    here = current(request)
    audience = standard_for(request, pk)
    tab = request.GET.get("tab", "")
    context = {"audience": audience, "tab": tab, "can_edit": here.person.can_edit_audiences}
    return render(request, "audiences/_audience_head.html#standard_head", context)


@require_POST
def standard_clone(request: HttpRequest, pk: int) -> HttpResponse:
    require_editor(request)
    audience = standard_for(request, pk)
    copy = standard.clone(audience, acting_user=request.user)
    messages.success(request, f"{copy.name} is a new draft of {audience.name}: calculate it when ready.")
    return go(request, copy.get_absolute_url())


@require_http_methods(["GET", "POST"])
def credits(request: HttpRequest) -> HttpResponse:
    """The account's calculation credits: balance, grants and spends. Admins grant credits;
    support staff read; marketers see the balance where they spend it (the Calculate dialog)."""
    here = require_workspace(request)
    if not _can_read_ledger(here):
        raise PermissionDenied("Only admins and support staff see the credit ledger.")
    can_grant = here.role == Role.ADMIN
    data = request.POST if request.method == "POST" else None
    if data is not None and not can_grant:
        raise PermissionDenied("Only an account admin grants calculation credits.")
    form = GrantForm(data)
    status = 200
    if data is not None and form.is_valid():
        try:
            standard.grant_credits(
                here.account, form.cleaned_data["amount"], acting_user=request.user, note=form.cleaned_data["note"]
            )
        except standard.StandardRefused as refused:
            form.add_refusal(refused.errors)
            status = refused.status
        else:
            amount = form.cleaned_data["amount"]
            messages.success(request, f"Granted {amount} credit{'s' if amount != 1 else ''}.")
            return redirect("audiences:standard_credits")
    elif data is not None:
        status = 400
    # The audiences each spend or refund paid for: one query for the page, not one per row.
    ledger = CreditEntryTable(standard.ledger(here.account).prefetch_related("calculation__audiences"))
    RequestConfig(request, paginate={"per_page": 50}).configure(ledger)
    context = {
        "nav": "standard",
        "balance": standard.balance(here.account),
        "ledger": ledger,
        "form": form,
        "can_grant": can_grant,
    }
    return render(request, "audiences/standard/credits.html", context, status=status)
