from __future__ import annotations

import django_filters

from audiences.models import CatalogueAttribute


class CatalogueFilter(django_filters.FilterSet):
    key = django_filters.CharFilter(lookup_expr="icontains", label="Attribute contains")
    event_name = django_filters.CharFilter(lookup_expr="icontains", label="Event name contains")
    scope = django_filters.ChoiceFilter(
        label="Kind",
        choices=[("user", "User attributes"), ("event", "Event attributes")],
        method="filter_scope",
    )

    class Meta:
        model = CatalogueAttribute
        fields = ["key", "event_name", "scope"]

    def filter_scope(self, queryset, name, value):
        return queryset.filter(event_type="") if value == "user" else queryset.exclude(event_type="")
