"""The audience's Connect tab, the connection page, Resume, and Connect Audiences (bulk).

Everybody in the account may look. Admins and marketers connect, change and disconnect;
admins and support staff resume a faulted connection. Another account's audience,
configuration or connection is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.access import Current, current
from accounts.models import Role
from audiences import standard
from audiences.models import Audience, AudienceKind, CatalogueAttribute, Variation
from audiences.views.audiences import nav_for
from connections import services
from connections.forms import BulkConnectForm, ChooseOutputForm, SendForm, SharedAttributesForm, StatusForm
from connections.listing import with_pending_changes
from connections.models import Connection, ConnectionStatus, SnapshotState
from outputs.forms import SettingsForm, put_refusal, shown_settings
from outputs.models import OutputConfiguration
from outputs.views import PartnerCard, configuration_for

RECENT_DELIVERIES = 20


def _audience_for(request: HttpRequest, pk: int) -> Audience:
    return get_object_or_404(Audience, pk=pk, account=current(request).account)


def _connection_for(request: HttpRequest, pk: int) -> Connection:
    return get_object_or_404(
        Connection.objects.select_related("audience", "output_configuration"),
        pk=pk,
        audience__account=current(request).account,
    )


def _require_editor(request: HttpRequest) -> Current:
    here = current(request)
    if not here.person.can_edit_audiences:
        raise PermissionDenied("Support staff can look at connections and resume them, but not change them.")
    return here


def _can_resume(here: Current) -> bool:
    return here.role in (Role.ADMIN, Role.SUPPORT)


def _roles(here: Current) -> dict[str, bool]:
    return {"can_edit": here.person.can_edit_audiences, "can_resume": _can_resume(here)}


def _back(request: HttpRequest, default: str) -> str:
    wanted = request.POST.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}):
        return wanted
    return default


def shares_attributes(audience: Audience, partner) -> bool:
    """User attributes travel only from single-workspace real-time audiences, to partners that take them."""
    return partner.takes_user_attributes and not audience.multi_workspace and audience.kind == AudienceKind.REALTIME


@require_GET
def audience_connect(request: HttpRequest, pk: int) -> HttpResponse:
    """The audience's Connect tab: its connections, their state and faults."""
    here = current(request)
    audience = _audience_for(request, pk)
    connections = list(
        with_pending_changes(audience.connections.select_related("output_configuration")).order_by(
            "output_configuration__name", "pk"
        )
    )
    # Keep the page fresh while something is on its way (or a fault may appear).
    busy = any(
        c.status == ConnectionStatus.SENDING
        and c.faulted_at is None
        and (c.pending or c.snapshot_state != SnapshotState.DONE)
        for c in connections
    )
    context = {
        "nav": nav_for(audience),
        "audience": audience,
        "record": audience,
        "tab": "connect",
        "standard": audience.kind == AudienceKind.STANDARD,
        "expired": standard.connect_refusal(audience) is not None,
        "connections": connections,
        "faults": [c for c in connections if c.faulted_at],
        "busy": busy,
        **_roles(here),
    }
    template = "connections/audience_connect.html#panel" if request.htmx else "connections/audience_connect.html"
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
def connection_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Connect Output: pick a configuration, fill its connection settings, Sending or Inactive."""
    _require_editor(request)
    audience = _audience_for(request, pk)
    refusal = standard.connect_refusal(audience)
    if refusal:
        messages.error(request, refusal[0].upper() + refusal[1:] + ".")
        return redirect("connections:audience_connect", pk=audience.pk)
    # An A/B variation of this audience (Control included), or the full audience.
    wanted = request.POST.get("variation") or request.GET.get("variation") or ""
    variation = None
    if wanted:
        variation = Variation.objects.filter(
            audience=audience, pk=int(wanted) if wanted.isascii() and wanted.isdigit() and len(wanted) < 19 else 0
        ).first()
        if variation is None:
            raise Http404("No such A/B variation of this audience.")
    variation_id = variation.pk if variation else None
    connected = set(
        audience.connections.filter(variation_id=variation_id).values_list("output_configuration_id", flat=True)
    )
    available = [
        c
        for c in OutputConfiguration.objects.filter(account=audience.account).order_by("name")
        if c.pk not in connected
    ]
    context = {
        "nav": nav_for(audience),
        "audience": audience,
        "record": audience,
        "tab": "connect",
        "available": available,
        "variation": variation,
        "variations": Variation.objects.filter(audience=audience),
    }
    chosen = request.POST.get("configuration") or request.GET.get("configuration")
    choose = ChooseOutputForm({"configuration": chosen} if chosen else None, configurations=available)
    if not choose.is_valid():
        choices = [(c, PartnerCard.of(c.partner_class)) for c in available]
        context.update({"choose": choose, "choices": choices, "connected_count": len(connected)})
        return render(request, "connections/connection_choose.html", context)
    configuration = next(c for c in available if c.pk == choose.cleaned_data["configuration"])
    partner = configuration.partner_class
    data = request.POST if request.method == "POST" else None
    form = StatusForm(data)
    settings_form = SettingsForm(partner.ConnectionSettings, data)
    if data is not None and all([form.is_valid(), settings_form.is_valid()]):
        try:
            connection = services.create_connection(
                audience,
                configuration,
                acting_user=request.user,
                status=form.cleaned_data["status"],
                settings=settings_form.values(),
                variation_id=variation_id,
            )
        except services.ConnectionRefused as refused:
            put_refusal(refused.errors, form, settings_form)
        else:
            if audience.kind == AudienceKind.STANDARD:
                # Nothing is forwarded on save: the marketer sends a standard audience when ready.
                messages.success(
                    request, f"{audience.name} is connected to {configuration.name}: click Send to forward its members."
                )
                return redirect("connections:audience_connect", pk=audience.pk)
            if connection.status == ConnectionStatus.SENDING:
                messages.success(
                    request, f"{audience.name} is connected to {configuration.name}: its members are on their way."
                )
                return redirect("connections:audience_connect", pk=audience.pk)
            messages.success(
                request, f"{audience.name} is connected to {configuration.name}, inactive: nothing is sent yet."
            )
            return redirect(connection)
    context.update(
        {
            "configuration": configuration,
            "partner": PartnerCard.of(partner),
            "form": form,
            "settings_form": settings_form,
            "attribute_warning": shares_attributes(audience, partner),
        }
    )
    return render(request, "connections/connection_form.html", context)


@require_http_methods(["GET", "POST"])
def connection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One connection: its state and fault, what was delivered, its settings and shared attributes."""
    here = current(request)
    connection = _connection_for(request, pk)
    audience = connection.audience
    partner = connection.output_configuration.partner_class
    data = None
    if request.method == "POST":
        _require_editor(request)
        data = request.POST
    form = StatusForm(data, initial={"status": connection.status})
    settings_form = SettingsForm(partner.ConnectionSettings, data, stored=connection.settings)
    if data is not None and all([form.is_valid(), settings_form.is_valid()]):
        try:
            services.change_connection(connection, status=form.cleaned_data["status"], settings=settings_form.values())
        except services.ConnectionRefused as refused:
            put_refusal(refused.errors, form, settings_form)
        else:
            messages.success(request, f"Connection saved: {connection.get_status_display().lower()}.")
            return redirect(connection)
    can_share = shares_attributes(audience, partner)
    attributes_form = None
    if can_share:
        catalogue = CatalogueAttribute.objects.filter(workspace__in=audience.workspaces.all(), event_type="")
        keys = sorted({*catalogue.values_list("key", flat=True), *connection.shared_attributes})
        attributes_form = SharedAttributesForm(initial={"attributes": connection.shared_attributes}, keys=keys)
    annotated = with_pending_changes(Connection.objects.filter(pk=connection.pk)).values_list("pending", flat=True)
    context = {
        "nav": nav_for(audience),
        "connection": connection,
        "audience": audience,
        "configuration": connection.output_configuration,
        "partner": PartnerCard.of(partner),
        "pending": annotated.first() or 0,
        "form": form,
        "settings_form": settings_form,
        "settings": shown_settings(partner.ConnectionSettings, connection.settings or {}),
        "can_share": can_share,
        "attributes_form": attributes_form,
        "deliveries": connection.deliveries.order_by("-started_at", "-pk")[:RECENT_DELIVERIES],
        **_roles(here),
    }
    return render(request, "connections/connection_detail.html", context, status=400 if form.errors else 200)


@require_POST
def connection_attributes(request: HttpRequest, pk: int) -> HttpResponse:
    _require_editor(request)
    connection = _connection_for(request, pk)
    partner = connection.output_configuration.partner_class
    if not shares_attributes(connection.audience, partner):
        messages.error(request, "This connection cannot share user attributes.")
        return redirect(connection)
    keys = request.POST.getlist("attributes")
    form = SharedAttributesForm(request.POST, keys=sorted({*keys, *connection.shared_attributes}))
    if not form.is_valid():
        messages.error(request, "Pick attributes from the list.")
        return redirect(connection)
    try:
        services.change_connection(connection, shared_attributes=form.cleaned_data["attributes"])
    except services.ConnectionRefused as refused:
        messages.error(request, refused.errors[0]["message"].capitalize() + ".")
    else:
        picked = form.cleaned_data["attributes"]
        messages.success(
            request,
            f"Sharing {', '.join(picked)} with each user." if picked else "No user attributes are shared.",
        )
    return redirect(connection)


@require_POST
def connection_resume(request: HttpRequest, pk: int) -> HttpResponse:
    here = current(request)
    if not _can_resume(here):
        raise PermissionDenied("Only admins and support staff resume connections.")
    connection = _connection_for(request, pk)
    try:
        services.resume(connection, acting_user=request.user)
    except services.NotFaulted:
        messages.info(request, "This connection is not faulted; nothing to resume.")
    else:
        messages.success(
            request,
            f"{connection.audience.name} → {connection.output_configuration.name} resumed from where it stopped.",
        )
    return redirect(_back(request, reverse("connections:audience_connect", args=[connection.audience_id])))


@require_POST
def connection_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require_editor(request)
    connection = _connection_for(request, pk)
    audience = connection.audience
    name = connection.output_configuration.name
    services.delete_connection(connection)
    messages.success(request, f"{audience.name} is disconnected from {name}.")
    return redirect("connections:audience_connect", pk=audience.pk)


@require_http_methods(["GET", "POST"])
def bulk_connect(request: HttpRequest, pk: int) -> HttpResponse:
    """Setup > Outputs > Connect Audiences: many audiences, the same settings, a result for each."""
    _require_editor(request)
    configuration = configuration_for(request, pk)
    partner = configuration.partner_class
    connected = Connection.objects.filter(output_configuration=configuration, variation_id__isnull=True)
    offered = list(
        Audience.objects.filter(account=configuration.account, kind=AudienceKind.REALTIME)
        .exclude(pk__in=connected.values("audience_id"))
        .order_by("name")
    )
    data = request.POST if request.method == "POST" else None
    form = BulkConnectForm(data, audiences=offered)
    settings_form = SettingsForm(partner.ConnectionSettings, data)
    context = {
        "nav": "outputs",
        "configuration": configuration,
        "partner": PartnerCard.of(partner),
        "offered": offered,
        "form": form,
        "settings_form": settings_form,
    }
    if data is not None and all([form.is_valid(), settings_form.is_valid()]):
        results = services.connect_audiences(
            configuration,
            form.cleaned_data["audiences"],
            acting_user=request.user,
            status=form.cleaned_data["status"],
            settings=settings_form.values(),
        )
        names = dict(
            Audience.objects.filter(account=configuration.account, pk__in=[r.audience_id for r in results]).values_list(
                "pk", "name"
            )
        )
        context["results"] = [(r, names.get(r.audience_id, f"Audience #{r.audience_id}")) for r in results]
        context["connected"] = sum(1 for r in results if r.connection)
        context["failed"] = sum(1 for r in results if r.error)
        return render(request, "connections/bulk_result.html", context)
    return render(request, "connections/bulk_connect.html", context)


@require_http_methods(["GET", "POST"])
def standard_send(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a standard audience: pick one or more of its connections; every member goes to
    each, once, through the forwarding pipeline (faults and Resume as usual)."""
    here = current(request)
    audience = _audience_for(request, pk)
    if audience.kind != AudienceKind.STANDARD:
        raise Http404("Only standard audiences are sent; real-time ones forward their changes themselves.")
    # A standard audience has no A/B variations: its connections carry the whole audience.
    connections = list(
        audience.connections.filter(variation_id__isnull=True)
        .select_related("output_configuration", "standard_send")
        .order_by("output_configuration__name", "pk")
    )
    data = request.POST if request.method == "POST" else None
    if data is not None:
        _require_editor(request)
    sending = [c.pk for c in connections if c.status == ConnectionStatus.SENDING]
    form = SendForm(data, connections=connections, initial={"connections": sending})
    status = 200
    if data is not None and form.is_valid():
        picked = set(form.cleaned_data["connections"])
        chosen = [c for c in connections if c.pk in picked]
        try:
            standard.send(audience, chosen, acting_user=request.user)
        except standard.StandardRefused as refused:
            form.add_refusal(refused.errors)
            status = 200 if request.htmx else refused.status
        else:
            names = ", ".join(c.output_configuration.name for c in chosen)
            messages.success(request, f"Sending every member of {audience.name} to {names}.")
            target = reverse("connections:audience_connect", args=[audience.pk])
            return HttpResponseClientRedirect(target) if request.htmx else redirect(target)
    elif data is not None:
        status = 200 if request.htmx else 400
    context = {
        "nav": "standard",
        "audience": audience,
        "form": form,
        "connections": connections,
        "refusal": standard.send_refusal(audience),
        "can_edit": here.person.can_edit_audiences,
    }
    template = "connections/standard_send.html#dialog" if request.htmx else "connections/standard_send.html"
    return render(request, template, context, status=status)
