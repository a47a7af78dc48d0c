"""Template tags other apps' pages use to show connection faults, without importing us.

`{% load connections_tags %}{% audience_faults audience %}` renders a fault icon for an
audience with open faults; click it to read the detailed messages. The faults of the whole
account are read once per request, so a list of 25 or 500 audiences costs one query.
"""

from __future__ import annotations

from django import template

from connections.listing import OpenFault, open_faults_by_audience

register = template.Library()

CACHE_ATTRIBUTE = "_open_faults_by_audience"


def _faults_for(context: template.Context, account_id: int) -> dict[int, list[OpenFault]]:
    request = context.get("request")
    cache = getattr(request, CACHE_ATTRIBUTE, None) if request is not None else None
    if cache is None:
        cache = {}
        if request is not None:
            setattr(request, CACHE_ATTRIBUTE, cache)
    if account_id not in cache:
        cache[account_id] = open_faults_by_audience(account_id)
    return cache[account_id]


@register.inclusion_tag("connections/cells/audience_faults.html", takes_context=True)
def audience_faults(context: template.Context, audience) -> dict:
    faults = _faults_for(context, audience.account_id).get(audience.pk, [])
    return {"audience": audience, "faults": faults}
