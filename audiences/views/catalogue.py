from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from accounts.access import require_workspace
from audiences.filters import CatalogueFilter
from audiences.forms import OverrideForm
from audiences.models import CatalogueAttribute
from audiences.tables import CatalogueTable


def catalogue(request: HttpRequest) -> HttpResponse:
    here = require_workspace(request)
    attributes = CatalogueFilter(request.GET, queryset=CatalogueAttribute.objects.filter(workspace=here.workspace))
    table = CatalogueTable(attributes.qs)
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
    template = "audiences/catalogue.html#table" if request.htmx else "audiences/catalogue.html"
    return render(
        request,
        template,
        {"table": table, "filter": attributes, "can_change": here.person.can_edit_audiences},
    )


@require_POST
def set_override(request: HttpRequest, pk: int) -> HttpResponse:
    here = require_workspace(request)
    if not here.person.can_edit_audiences:
        raise PermissionDenied("Support staff cannot change the catalogue.")
    attribute = get_object_or_404(CatalogueAttribute, pk=pk, workspace=here.workspace)
    form = OverrideForm(request.POST, instance=attribute)
    if form.is_valid():
        form.save()
        messages.success(request, f"{attribute.key} is now treated as {attribute.data_type}.")
    else:
        messages.error(request, "Pick one of the listed data types.")
    return redirect("audiences:catalogue")
