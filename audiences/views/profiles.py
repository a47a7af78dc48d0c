from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from accounts.access import current
from audiences.explain import explain
from audiences.forms import ProfileSearchForm
from audiences.models import Audience, Profile
from audiences.profiles import describe, find_profiles

MEMBERSHIPS_SHOWN = 50


def profile_search(request: HttpRequest) -> HttpResponse:
    here = current(request)
    form = ProfileSearchForm(request.GET or None)
    results = None
    if form.is_valid():
        results = list(find_profiles(here.account, form.cleaned_data["q"])[:50])
        if len(results) == 1:
            return redirect(results[0])
    return render(request, "audiences/profile_search.html", {"form": form, "results": results})


def profile_detail(request: HttpRequest, mpid: int) -> HttpResponse:
    here = current(request)
    profile = get_object_or_404(Profile, mpid=mpid, account=here.account)
    # Current memberships, each with the engine's criterion-by-criterion "why".
    audiences = Audience.objects.filter(account=here.account, members__mpid=profile.mpid).order_by("name")
    memberships = [(audience, explain(audience, profile.mpid)) for audience in audiences[:MEMBERSHIPS_SHOWN]]
    return render(
        request,
        "audiences/profile_detail.html",
        {"view": describe(profile), "memberships": memberships, "nav": "profiles"},
    )
