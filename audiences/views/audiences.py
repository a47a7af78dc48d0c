"""Audiences > Real-time: the list, New Audience, Settings, tags, clone, delete, activation.

Everybody in the account may look; only admins and marketers change anything (support gets
a 403 on every POST). Another account's audience is a 404. The Build tab is in `builder.py`.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect
from django_tables2 import RequestConfig

from accounts.access import Current, current, require_workspace
from audiences import services, standard
from audiences.filters import AudienceFilter
from audiences.forms_audiences import AudienceSettingsForm, NewAudienceForm, TagForm
from audiences.forms_standard import DateRangeForm
from audiences.metrics import with_metrics
from audiences.models import Audience, AudienceKind, AudienceStatus, Tag
from audiences.tables import AudienceTable

TABS = {"single": "Single Workspace", "multi": "Multi Workspace", "shared": "Shared With Me"}


def audience_for(request: HttpRequest, pk: int) -> Audience:
    """The audience, if it belongs to the person's account; another account's is a 404."""
    here = current(request)
    return get_object_or_404(Audience.objects.select_related("created_by"), pk=pk, account=here.account)


def nav_for(audience: Audience) -> str:
    """Which list of the sidebar an audience's pages belong to."""
    return "standard" if audience.kind == AudienceKind.STANDARD else "realtime"


def require_editor(request: HttpRequest) -> Current:
    here = current(request)
    if not here.person.can_edit_audiences:
        raise PermissionDenied("Support staff can look at audiences but not change them.")
    return here


def go(request: HttpRequest, url: str) -> HttpResponse:
    """Redirect; an HTMX request is told to load the page instead of swapping it in."""
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _back(request: HttpRequest, default: str) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}):
        return wanted
    return default


@require_GET
def realtime_list(request: HttpRequest) -> HttpResponse:
    here = require_workspace(request)
    tab = request.GET.get("tab") if request.GET.get("tab") in TABS else "single"
    audiences = Audience.objects.filter(account=here.account, kind=AudienceKind.REALTIME)
    if tab == "single":
        audiences = audiences.filter(multi_workspace=False, workspaces=here.workspace)
    elif tab == "multi":
        audiences = audiences.filter(multi_workspace=True)
    else:
        audiences = audiences.none()  # sharing between accounts arrives with a later issue
    found = AudienceFilter(request.GET, queryset=audiences, account=here.account)
    rows = with_metrics(found.qs).select_related("created_by").prefetch_related(Prefetch("tags", Tag.objects.all()))
    table = AudienceTable(rows)
    RequestConfig(request, paginate={"per_page": 25}).configure(table)
    context = {
        "nav": "realtime",
        "tab": tab,
        "tabs": TABS,
        "table": table,
        "filter": found,
        "can_edit": here.person.can_edit_audiences,
        "active_count": Audience.objects.filter(
            account=here.account, kind=AudienceKind.REALTIME, status=AudienceStatus.ACTIVE
        ).count(),
        "calculating": found.qs.filter(calculation_state="calculating").exists(),
    }
    template = "audiences/audience_list.html#table" if request.htmx else "audiences/audience_list.html"
    return render(request, template, context)


def refreshed_initial(form: NewAudienceForm, data) -> dict:
    """What the dialog shows after the workspaces changed: checked inputs stay checked, and a
    newly picked workspace comes with all its inputs."""
    chosen = form.chosen_workspaces()
    checked = {int(v) for v in data.getlist("inputs") if re.fullmatch(r"[0-9]{1,18}", v)}
    inputs = []
    for workspace in chosen:
        offered = form.inputs_by_workspace.get(workspace, [])
        kept = [pk for pk in offered if pk in checked]
        inputs += kept or offered
    return {
        "name": data.get("name", ""),
        "external_name": data.get("external_name", ""),
        "scope": "multi" if form.multi else "single",
        "workspace": chosen[0] if chosen else None,
        "workspaces": chosen,
        "inputs": inputs,
    }


@require_http_methods(["GET", "POST"])
def audience_create(request: HttpRequest) -> HttpResponse:
    here = require_workspace(request)
    require_editor(request)
    scope = "multi" if request.GET.get("scope") == "multi" else "single"
    form = NewAudienceForm(
        request.POST if request.method == "POST" else None,
        account=here.account,
        workspace=here.workspace,
        initial={"scope": scope},
    )
    if request.method == "POST" and "refresh" in request.POST:
        form = NewAudienceForm(
            account=here.account, workspace=here.workspace, initial=refreshed_initial(form, request.POST)
        )
    elif request.method == "POST" and form.is_valid():
        try:
            audience = services.create_audience(
                account=here.account, acting_user=request.user, **form.audience_fields()
            )
        except services.AudienceRefused as refused:
            form.add_refusal(refused.errors)
        else:
            messages.success(request, f"{audience.name} is created. Add criteria to define who is in it.")
            return go(request, audience.get_absolute_url())
    template = "audiences/audience_create.html#dialog" if request.htmx else "audiences/audience_create.html"
    return render(request, template, {"nav": "realtime", "form": form})


@require_http_methods(["GET", "POST"])
def audience_settings(request: HttpRequest, pk: int) -> HttpResponse:
    audience = audience_for(request, pk)
    here = current(request)
    # The page holds two forms: names and access, and a standard draft's date range.
    posted = request.POST if request.method == "POST" else None
    range_posted = posted is not None and "date_range" in posted
    initial = {"name": audience.name, "external_name": audience.external_name, "access": audience.access}
    form = AudienceSettingsForm(None if range_posted else posted, initial=initial)
    range_form = None
    if audience.kind == AudienceKind.STANDARD:
        range_form = DateRangeForm(posted if range_posted else None, initial=DateRangeForm.initial_of(audience))
    if posted is not None:
        require_editor(request)
    if range_posted and range_form is not None and range_form.is_valid():
        try:
            standard.change_date_range(audience, range_form.cleaned_data["range"], acting_user=request.user)
        except standard.StandardRefused as refused:
            range_form.add_refusal(refused.errors)
        else:
            messages.success(request, "Date range saved.")
            return redirect("audiences:audience_settings", pk=audience.pk)
    elif posted is not None and not range_posted and form.is_valid():
        try:
            services.update_audience(
                audience,
                acting_user=request.user,
                name=form.cleaned_data["name"],
                external_name=form.cleaned_data["external_name"],
                access=form.cleaned_data["access"],
            )
        except services.AudienceRefused as refused:
            form.add_refusal(refused.errors)
        else:
            messages.success(request, "Settings saved.")
            return redirect("audiences:audience_settings", pk=audience.pk)
    context = {
        "nav": nav_for(audience),
        "audience": audience,
        "form": form,
        "range_form": range_form,
        "tab": "settings",
        **_head(here, audience),
    }
    return render(request, "audiences/audience_settings.html", context)


def _head(here: Current, audience: Audience) -> dict:
    return {"can_edit": here.person.can_edit_audiences, "record": audience}


def _tags_response(request: HttpRequest, audience: Audience, form: TagForm | None = None) -> HttpResponse:
    audience = Audience.objects.prefetch_related("tags").get(pk=audience.pk)
    return render(
        request,
        "audiences/cells/tags.html",
        {"record": audience, "tag_form": form, "can_edit": True, "next": _back(request, "")},
    )


@require_POST
def tag_add(request: HttpRequest, pk: int) -> HttpResponse:
    require_editor(request)
    audience = audience_for(request, pk)
    form = TagForm(request.POST)
    form.is_valid()
    try:
        tag = services.add_tag(audience, form.cleaned_data.get("tag", ""))
    except services.AudienceRefused as refused:
        form.add_refusal(refused.errors)
        if request.htmx:
            return _tags_response(request, audience, form)
        messages.error(request, f"Tag not added: {refused.errors[0]['message']}.")
    else:
        if request.htmx:
            return _tags_response(request, audience)
        messages.success(request, f"Tagged {audience.name} with {tag.name}.")
    return redirect(_back(request, reverse("audiences:audience_settings", args=[audience.pk])))


@require_POST
def tag_remove(request: HttpRequest, pk: int) -> HttpResponse:
    require_editor(request)
    audience = audience_for(request, pk)
    services.remove_tag(audience, request.POST.get("tag", ""))
    if request.htmx:
        return _tags_response(request, audience)
    return redirect(_back(request, reverse("audiences:audience_settings", args=[audience.pk])))


@require_POST
def audience_clone(request: HttpRequest, pk: int) -> HttpResponse:
    require_editor(request)
    audience = audience_for(request, pk)
    if audience.kind == AudienceKind.STANDARD:
        copy = standard.clone(audience, acting_user=request.user)  # keeps the date range too
    else:
        copy = services.clone_audience(audience, acting_user=request.user)
    messages.success(request, f"{copy.name} is a draft copy of {audience.name}.")
    return go(request, copy.get_absolute_url())


def _mail_creators(audience: Audience, nesting: list[Audience]) -> str | None:
    """A mailto: link asking the creators of the nesting audiences to drop the criterion."""
    emails = sorted({a.created_by.email for a in nesting if a.created_by and a.created_by.email})
    if not emails:
        return None
    subject = f"Audience {audience.name} is used in your audiences"
    body = (
        f'Hello,\n\nI would like to delete the audience "{audience.name}", but these audiences use it as a '
        "criterion:\n" + "".join(f"- {a.name}\n" for a in nesting) + "\nCould you remove that criterion?\n"
    )
    return f"mailto:{','.join(emails)}?subject={quote(subject)}&body={quote(body)}"


@require_http_methods(["GET", "POST"])
def audience_delete(request: HttpRequest, pk: int) -> HttpResponse:
    audience = audience_for(request, pk)
    status = 200
    if request.method == "POST":
        require_editor(request)
        try:
            services.delete_audience(audience, acting_user=request.user)
        except services.AudienceInUse as in_use:
            nesting = in_use.nesting
            status = 200 if request.htmx else 409
        except services.AudienceRefused as refused:
            messages.error(request, f"{audience.name} is not deleted: {refused.errors[0]['message']}.")
            return go(request, audience.get_absolute_url())
        else:
            messages.success(request, f"{audience.name} is deleted.")
            return go(request, reverse(f"audiences:{nav_for(audience)}_list"))
    else:
        nesting = list(services.nesting_audiences(audience))
    context = {
        "nav": nav_for(audience),
        "audience": audience,
        "nesting": nesting,
        "mailto": _mail_creators(audience, nesting),
        "can_edit": current(request).person.can_edit_audiences,
    }
    template = "audiences/audience_delete.html#dialog" if request.htmx else "audiences/audience_delete.html"
    return render(request, template, context, status=status)


@require_POST
def audience_activate(request: HttpRequest, pk: int) -> HttpResponse:
    require_editor(request)
    audience = audience_for(request, pk)
    if audience.kind == AudienceKind.STANDARD:
        # Standard audiences are calculated once, on request, from the Calculate dialog.
        messages.error(request, "A standard audience is not activated: calculate it instead.")
        return go(request, audience.get_absolute_url())
    try:
        services.activate(audience, acting_user=request.user)
    except services.AudienceRefused as refused:
        messages.error(request, refused.errors[0]["message"].capitalize() + ".")
        return go(request, audience.get_absolute_url())
    return go(request, reverse("audiences:audience_activated", args=[audience.pk]))


@require_POST
def audience_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    require_editor(request)
    audience = audience_for(request, pk)
    services.deactivate(audience, acting_user=request.user)
    messages.success(request, f"{audience.name} is inactive: its members stay as they are until you activate it.")
    return go(request, reverse("audiences:audience_settings", args=[audience.pk]))


@require_GET
def audience_activated(request: HttpRequest, pk: int) -> HttpResponse:
    audience = audience_for(request, pk)
    return render(
        request,
        "audiences/audience_activated.html",
        {"nav": "realtime", "audience": audience, **_head(current(request), audience)},
    )


TAB_PAGES = {
    "connect": ("Connect", "Outputs arrive soon", "Connecting an audience to outputs comes with a later release."),
    "abtest": (
        "A/B Test",
        "A/B tests arrive soon",
        "Splitting an audience into variations, each with its own connections, comes with a later release.",
    ),
}


@require_GET
def audience_tab(request: HttpRequest, pk: int, *, tab: str) -> HttpResponse:
    audience = audience_for(request, pk)
    title, heading, lead = TAB_PAGES[tab]
    return render(
        request,
        "audiences/audience_tab_soon.html",
        {
            "nav": "realtime",
            "audience": audience,
            "tab": tab,
            "title": title,
            "heading": heading,
            "lead": lead,
            **_head(current(request), audience),
        },
    )
