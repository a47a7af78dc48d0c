"""The Directory and Setup > Outputs.

Everybody in the account may look; only admins add, change or delete output configurations.
Secrets are never rendered: pages show "set". A configuration's connections are read through
its `connections` relation by field name, so `outputs` never imports `connections`; the
pages that create connections live in the connections app.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db.models import Count, F, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods
from django_tables2 import RequestConfig

from accounts.access import current, require_setup_admin
from accounts.identities import ALL_IDENTITY_TYPES
from accounts.models import Role
from outputs import services
from outputs.filters import DirectoryFilter
from outputs.forms import ConfigurationForm, SettingsForm, put_refusal, shown_settings
from outputs.models import OutputConfiguration
from outputs.partners import PARTNERS, partner_class
from outputs.partners.base import Partner
from outputs.tables import ConfigurationConnectionTable, OutputConfigurationTable


@dataclass(frozen=True)
class PartnerCard:
    """What a page shows of a partner (templates must not touch partner classes: they are
    callables, and the template engine would try to call them)."""

    kind: str
    name: str
    category: str
    description: str
    logo: str
    identities: str
    takes_user_attributes: bool
    delete_behaviour: str
    configured: int = 0

    @classmethod
    def of(cls, partner: type[Partner], configured: int = 0) -> PartnerCard:
        accepted = partner.accepted_identity_types
        identities = (
            "Every identity type" if set(accepted) >= set(ALL_IDENTITY_TYPES) else ", ".join(accepted) or "None"
        )
        return cls(
            kind=partner.kind,
            name=partner.name,
            category=partner.category,
            description=partner.description,
            logo=partner.logo,
            identities=identities,
            takes_user_attributes=partner.takes_user_attributes,
            delete_behaviour=partner.delete_behaviour,
            configured=configured,
        )


def configuration_for(request: HttpRequest, pk: int) -> OutputConfiguration:
    """The configuration, if it belongs to the person's account (another account's is a 404)."""
    here = current(request)
    return get_object_or_404(OutputConfiguration, pk=pk, account=here.account)


def _roles(request: HttpRequest) -> dict[str, bool]:
    person = current(request).person
    return {
        "can_change": person.can_change_setup,
        "can_connect": person.can_edit_audiences,
        "can_resume": person.role in (Role.ADMIN, Role.SUPPORT),
    }


def _stored_settings(configuration: OutputConfiguration) -> tuple[dict[str, Any], str]:
    """The stored settings, or an explanation when they cannot be decrypted any more."""
    try:
        return configuration.settings, ""
    except ValueError as exc:
        return {}, f"{exc}. An admin can enter the settings again."


@require_GET
def directory(request: HttpRequest) -> HttpResponse:
    here = current(request)
    found = DirectoryFilter.from_query(request.GET)
    configured = dict(
        OutputConfiguration.objects.filter(account=here.account)
        .order_by()
        .values("partner")
        .annotate(n=Count("pk"))
        .values_list("partner", "n")
    )
    context = {
        "nav": "directory",
        "form": found.form,
        "cards": [PartnerCard.of(p, configured.get(p.kind, 0)) for p in found.partners],
        "total": len(PARTNERS),
        **_roles(request),
    }
    template = "outputs/directory.html#cards" if request.htmx else "outputs/directory.html"
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
def configuration_create(request: HttpRequest, kind: str) -> HttpResponse:
    here = require_setup_admin(request)
    if kind not in PARTNERS:
        raise Http404("No such partner.")
    partner = partner_class(kind)
    data = request.POST if request.method == "POST" else None
    form = ConfigurationForm(data, initial={"name": partner.name})
    settings_form = SettingsForm(partner.Configuration, data)
    if data is not None and all([form.is_valid(), settings_form.is_valid()]):
        try:
            configuration = services.create_configuration(
                account=here.account,
                partner=kind,
                name=form.cleaned_data["name"],
                settings=settings_form.values(),
                acting_user=request.user,
            )
        except services.ConfigurationRefused as refused:
            put_refusal(refused.errors, form, settings_form)
        else:
            messages.success(
                request,
                f"{configuration.name} is added to Setup. Connect audiences to it here or from their Connect tab.",
            )
            return redirect(configuration)
    return render(
        request,
        "outputs/configuration_form.html",
        {"nav": "directory", "partner": PartnerCard.of(partner), "form": form, "settings_form": settings_form},
    )


@require_GET
def output_list(request: HttpRequest) -> HttpResponse:
    here = current(request)
    rows = OutputConfiguration.objects.filter(account=here.account).annotate(
        connection_count=Count("connections"),
        fault_count=Count("connections", filter=Q(connections__faulted_at__isnull=False)),
    )
    table = OutputConfigurationTable(rows)
    RequestConfig(request, paginate={"per_page": 25}).configure(table)
    faults = list(
        OutputConfiguration.objects.filter(account=here.account, connections__faulted_at__isnull=False)
        .values(
            configuration_id=F("pk"),
            configuration_name=F("name"),
            connection_id=F("connections__pk"),
            audience_id=F("connections__audience_id"),
            audience_name=F("connections__audience__name"),
            message=F("connections__fault_message"),
            at=F("connections__faulted_at"),
        )
        .order_by("-connections__faulted_at")
    )
    return render(
        request,
        "outputs/output_list.html",
        {"nav": "outputs", "table": table, "faults": faults, **_roles(request)},
    )


@require_GET
def configuration_detail(request: HttpRequest, pk: int) -> HttpResponse:
    configuration = configuration_for(request, pk)
    partner = configuration.partner_class
    stored, unreadable = _stored_settings(configuration)
    connections = configuration.connections.select_related("audience").order_by("audience__name", "pk")
    table = ConfigurationConnectionTable(connections)
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
    faults = (
        configuration.connections.filter(faulted_at__isnull=False).select_related("audience").order_by("-faulted_at")
    )
    return render(
        request,
        "outputs/configuration_detail.html",
        {
            "nav": "outputs",
            "configuration": configuration,
            "partner": PartnerCard.of(partner),
            "settings": shown_settings(partner.Configuration, stored),
            "unreadable": unreadable,
            "table": table,
            "faults": faults,
            **_roles(request),
        },
    )


@require_http_methods(["GET", "POST"])
def configuration_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require_setup_admin(request)
    configuration = configuration_for(request, pk)
    partner = configuration.partner_class
    stored, unreadable = _stored_settings(configuration)
    data = request.POST if request.method == "POST" else None
    form = ConfigurationForm(data, initial={"name": configuration.name})
    settings_form = SettingsForm(partner.Configuration, data, stored=stored)
    if data is not None and all([form.is_valid(), settings_form.is_valid()]):
        try:
            services.change_configuration(
                configuration, name=form.cleaned_data["name"], settings=settings_form.values()
            )
        except services.ConfigurationRefused as refused:
            put_refusal(refused.errors, form, settings_form)
        else:
            messages.success(request, f"{configuration.name} is saved.")
            return redirect(configuration)
    return render(
        request,
        "outputs/configuration_form.html",
        {
            "nav": "outputs",
            "partner": PartnerCard.of(partner),
            "configuration": configuration,
            "form": form,
            "settings_form": settings_form,
            "unreadable": unreadable,
        },
    )


@require_http_methods(["GET", "POST"])
def configuration_delete(request: HttpRequest, pk: int) -> HttpResponse:
    require_setup_admin(request)
    configuration = configuration_for(request, pk)
    status = 200
    refused = ""
    if request.method == "POST":
        try:
            services.delete_configuration(configuration)
        except services.ConfigurationInUse:
            status = 409
            refused = "Audiences are still connected to this output. Disconnect them first, then delete it."
        else:
            messages.success(request, f"{configuration.name} is deleted.")
            return redirect("outputs:output_list")
    connected = list(configuration.connections.select_related("audience").order_by("audience__name"))
    return render(
        request,
        "outputs/configuration_delete.html",
        {"nav": "outputs", "configuration": configuration, "connected": connected, "refused": refused},
        status=status,
    )
