"""The Build tab: criteria edited in small server-rendered forms, estimates by HTMX.

The definition being edited travels as JSON in a hidden field, so every action is a plain
form post: with HTMX only the builder is swapped, without JavaScript the whole page comes
back. Nothing is stored until Save as Draft or Activate.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import current
from audiences import builder, estimator, services
from audiences.builder.state import Build, read_json
from audiences.criteria.scope import Scope
from audiences.estimator import Estimate
from audiences.models import Audience, AudienceKind, AudienceStatus, StandardState
from audiences.views.audiences import audience_for, go, nav_for, require_editor

FROZEN = "A calculated standard audience keeps its criteria: clone it to change them and calculate again."


def _editable(audience: Audience) -> bool:
    """Real-time audiences change at any time; a standard one only while it is a draft, since
    its members were calculated from the criteria it has."""
    return audience.kind != AudienceKind.STANDARD or audience.standard_state == StandardState.DRAFT


def _save(request: HttpRequest, audience: Audience, state: Build, activate: bool) -> HttpResponse | None:
    """Store the criteria (and activate); a response when it worked, None with the faults in `state`."""
    definition = builder.definition_of(state.criteria)
    if definition is None:
        state.problems.append("Add at least one criterion before saving.")
        return None
    try:
        services.update_audience(audience, acting_user=request.user, definition=definition)
        if activate and audience.status != AudienceStatus.ACTIVE:
            services.activate(audience, acting_user=request.user)
    except services.AudienceRefused as refused:
        state.add_refusal(refused.errors)
        return None
    if activate:
        return go(request, reverse("audiences:audience_activated", args=[audience.pk]))
    messages.success(request, "Saved." if audience.status == AudienceStatus.ACTIVE else "Saved as draft.")
    return go(request, audience.get_absolute_url())


@require_http_methods(["GET", "POST"])
def audience_build(request: HttpRequest, pk: int) -> HttpResponse:
    audience = audience_for(request, pk)
    if request.method == "GET":
        return _render(request, audience, Build.saved(audience))
    require_editor(request)
    if not _editable(audience):
        state = Build.saved(audience)
        state.problems.append(FROZEN)
        return _render(request, audience, state, status=409)
    state = Build.posted(audience, request.POST)
    action = str(request.POST.get("action", "refresh"))
    if action == "activate" and audience.kind == AudienceKind.STANDARD:
        action = "save"  # a standard audience is saved as a draft, then calculated
    if action in ("save", "activate"):
        if state.draft is not None:
            state.problems.append("Finish the criterion you are editing first: click Done or Cancel.")
            state.apply(audience, "refresh", request.POST)
        else:
            saved = _save(request, audience, state, activate=action == "activate")
            if saved is not None:
                return saved
    else:
        state.apply(audience, action, request.POST)
    return _render(request, audience, state)


def _render(request: HttpRequest, audience: Audience, state: Build, status: int = 200) -> HttpResponse:
    here = current(request)
    workspaces = list(audience.workspaces.all())
    workspace_names = {w.pk: w.name for w in workspaces} if audience.multi_workspace else {}
    nested_ids = [c.get("audience_id") for c in state.criteria if c.get("type") == "audience"]
    audience_names = dict(
        Audience.objects.filter(
            account=audience.account, pk__in=[i for i in nested_ids if isinstance(i, int)]
        ).values_list("pk", "name")
    )
    rows = [
        {
            "index": index,
            "criterion": criterion,
            "join": criterion.get("join"),
            "title": builder.title_of(criterion),
            "readable": builder.readable(criterion),
            "summary": builder.summary(
                criterion,
                audience_names=audience_names,
                workspace_names=workspace_names,
                standard=audience.kind == AudienceKind.STANDARD,
            )
            if builder.readable(criterion)
            else json.dumps(criterion),
            "errors": state.criterion_errors.get(index, []),
            "editing": state.editing == index,
        }
        for index, criterion in enumerate(state.criteria)
    ]
    editor = None
    if state.draft is not None and state.editing is not None:
        catalogue = builder.Catalogue([w.pk for w in workspaces])
        editor = builder.editor_view(audience, state.draft, state.editing, state.field_errors, catalogue=catalogue)
    definition = builder.definition_of(state.criteria)
    dirty = editor is not None or _canonical(definition) != _canonical(audience.definition)
    context = {
        "nav": nav_for(audience),
        "tab": "build",
        "audience": audience,
        "record": audience,
        "can_edit": here.person.can_edit_audiences,
        "can_build": here.person.can_edit_audiences and _editable(audience),
        "frozen": here.person.can_edit_audiences and not _editable(audience),
        "frozen_text": FROZEN,
        "rows": rows,
        "editor": editor,
        "editing_new": editor is not None and state.editing == len(state.criteria),
        "menu": builder.MENU,
        "joins": builder.JOINS,
        "definition_json": json.dumps(definition) if definition else "",
        "dirty": dirty,
        "problems": state.problems,
        "workspaces": workspaces,
        "inputs": list(audience.inputs.all()),
    }
    template = "audiences/audience_build.html#builder" if request.htmx else "audiences/audience_build.html"
    return render(request, template, context, status=status)


def _canonical(definition: Any) -> str:
    return json.dumps(definition or None, sort_keys=True)


@require_POST
def audience_estimate(request: HttpRequest, pk: int) -> HttpResponse:
    """Estimates of the definition being edited: the whole audience and each criterion.

    Read-only, so support staff get estimates too."""
    audience = audience_for(request, pk)
    posted = read_json(request.POST.get("definition"))
    criteria = builder.criteria_of(audience.definition if posted is ValueError else posted)
    total, each = estimates_of(audience, criteria)
    return render(
        request,
        "audiences/builder/estimates.html",
        {"total": total, "each": list(enumerate(each)), "audience": audience},
    )


def estimates_of(audience: Audience, criteria: list[dict[str, Any]]) -> tuple[Estimate | None, list[Estimate]]:
    """The estimator's answer for the whole definition and for each criterion on its own."""
    if not criteria:
        return None, []
    definition = builder.definition_of(criteria)
    unstorable = services.unstorable_text(definition, "definition")
    if unstorable:
        return estimator.failed(f"{unstorable}: text may not contain NUL (U+0000)", len(criteria)).whole, []
    found = estimator.estimate(definition, Scope.of(audience))
    return found.whole, found.criteria
