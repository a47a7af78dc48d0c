from __future__ import annotations

import django_filters
from django import forms

from audiences.models import Audience, AudienceStatus, CatalogueAttribute, Tag


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


class AudienceFilter(django_filters.FilterSet):
    """Search the audience list by name, by tags (an audience must carry every tag picked) and status."""

    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="Name contains")
    tags = django_filters.ModelMultipleChoiceFilter(
        field_name="tags",
        queryset=Tag.objects.none(),
        conjoined=True,
        label="Tags (all of)",
        widget=forms.CheckboxSelectMultiple,
    )
    status = django_filters.ChoiceFilter(choices=AudienceStatus.choices, label="Status", empty_label="Any status")

    class Meta:
        model = Audience
        fields = ["q", "tags", "status"]

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["tags"].queryset = Tag.objects.filter(account=account)


class StandardAudienceFilter(AudienceFilter):
    """The standard list searches by name and tags; its tabs take the place of the status filter."""

    class Meta(AudienceFilter.Meta):
        fields = ["q", "tags"]

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, account=account, **kwargs)
        self.filters.pop("status", None)
