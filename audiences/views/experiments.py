"""The audience's A/B Test tab (draft, Save, Delete Test) and audience downloads.

A draft test lives in the form itself (no JavaScript): Add A/B Test Variation posts the rows
back with one more, the page shows the Control as 100 - sum, and Save fixes the test.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import current
from audiences import downloads, variations
from audiences.models import AudienceKind, Download, DownloadState
from audiences.models.variations import MAX_VARIATIONS
from audiences.views.audiences import _head, audience_for, require_editor


def _draft(data) -> tuple[list[variations.VariationIn], list[dict[str, str]]]:
    """The draft's rows as posted; unreadable percentages become field errors."""
    rows, errors = [], []
    count = min(len(data.getlist("percent")), MAX_VARIATIONS + 1)
    names, percents = data.getlist("name"), data.getlist("percent")
    for index in range(count):
        text = percents[index].strip()
        name = names[index] if index < len(names) else ""
        if not text.isascii() or not text.isdigit() or len(text) > 3:
            errors.append({"path": f"variations[{index}].percent", "message": "a whole percentage from 1 to 100"})
            rows.append(variations.VariationIn(percent=0, name=name))
            continue
        rows.append(variations.VariationIn(percent=int(text), name=name))
    return rows, errors


@require_http_methods(["GET", "POST"])
def audience_abtest(request: HttpRequest, pk: int) -> HttpResponse:
    here = current(request)
    audience = audience_for(request, pk)
    saved = variations.has_test(audience)
    rows: list[variations.VariationIn] = []
    errors: list[dict[str, str]] = []
    if request.method == "POST" and not saved:
        require_editor(request)
        rows, errors = _draft(request.POST)
        action = request.POST.get("action")
        if action == "add":
            if len(rows) >= MAX_VARIATIONS:
                errors.append({"path": "variations", "message": f"a test has at most {MAX_VARIATIONS} variations"})
            else:
                rows.append(variations.VariationIn(percent=0, name=""))
        elif action == "save" and not errors:
            try:
                variations.save_test(audience, rows, acting_user=request.user)
            except variations.TestRefused as refused:
                errors = refused.errors
            else:
                messages.success(request, f"The A/B test of {audience.name} is saved: connect each variation.")
                return redirect("audiences:audience_abtest", pk=audience.pk)
        elif action == "save":
            pass
        elif action and action.startswith("remove-") and action[7:].isdigit():
            index = int(action[7:])
            rows = [r for i, r in enumerate(rows) if i != index]
        if action != "save" and not errors:
            errors = [e for e in variations.check_variations(rows) if e["path"] != "variations"] if rows else []
    elif request.method == "POST":
        messages.error(request, "This test is saved: variations cannot be edited, only the whole test deleted.")
    by_path = {e["path"]: e["message"] for e in errors}
    draft = [
        {
            "index": i,
            "name": r.name,
            "percent": r.percent or "",
            "error": by_path.get(f"variations[{i}].percent") or by_path.get(f"variations[{i}].name"),
            "placeholder": variations.default_name(i),
        }
        for i, r in enumerate(rows)
    ]
    used = sum(r.percent for r in rows if isinstance(r.percent, int))
    context = {
        "nav": "realtime",
        "audience": audience,
        "tab": "abtest",
        "saved": saved,
        "splits": variations.splits(audience),
        "draft": draft,
        "control": 100 - used,
        "over": used > 100,
        "general_error": by_path.get("variations") or by_path.get("audience"),
        "can_add": len(rows) < MAX_VARIATIONS,
        "realtime": audience.kind == AudienceKind.REALTIME,
        **_head(here, audience),
    }
    status = 400 if errors and request.method == "POST" and request.POST.get("action") == "save" else 200
    return render(request, "audiences/ab_test.html", context, status=status)


@require_http_methods(["GET", "POST"])
def abtest_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete Test, after a confirmation that lists the connections going with it."""
    here = require_editor(request)
    audience = audience_for(request, pk)
    if not variations.has_test(audience):
        return redirect("audiences:audience_abtest", pk=audience.pk)
    if request.method == "POST":
        deleted = variations.delete_test(audience)
        messages.success(request, f"The A/B test of {audience.name} is deleted, with {deleted} connection(s).")
        return redirect("audiences:audience_abtest", pk=audience.pk)
    names = {s.id: s.name for s in variations.splits(audience)}
    connections = [(names.get(c.variation_id, "?"), c) for c in variations.connections_of_test(audience)]
    return render(
        request,
        "audiences/ab_test_delete.html",
        {"nav": "realtime", "audience": audience, "tab": "abtest", "connections": connections, **_head(here, audience)},
    )


class DownloadForm(forms.Form):
    identity_types = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple, label="Identity types")
    variation_ids = forms.TypedMultipleChoiceField(
        coerce=int, required=False, widget=forms.CheckboxSelectMultiple, label="Variations"
    )
    sample = forms.TypedChoiceField(
        choices=[("0", "Full audience"), ("1", f"A sample (up to {downloads.SAMPLE_USERS:,} users)")],
        coerce=lambda v: v == "1",
        initial="0",
        widget=forms.RadioSelect,
        label="Size",
    )
    at = forms.DateTimeField(required=False, label="As it was at (optional, UTC)")
    since = forms.DateTimeField(required=False, label="Changes since (optional, with the moment above)")

    def __init__(self, *args, identity_types: list[str], splits, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["identity_types"].choices = [(t, t) for t in identity_types]
        self.fields["variation_ids"].choices = [(s.id, f"{s.name} ({s.percent}%)") for s in splits if s.id]
        if not self.fields["variation_ids"].choices:
            del self.fields["variation_ids"]


@require_http_methods(["GET", "POST"])
def download_create(request: HttpRequest, pk: int) -> HttpResponse:
    here = current(request)
    audience = audience_for(request, pk)
    if audience.kind != AudienceKind.REALTIME:
        raise Http404("Downloads are for real-time audiences.")
    form = DownloadForm(
        request.POST if request.method == "POST" else None,
        identity_types=downloads.identity_types_of(audience),
        splits=variations.splits(audience),
    )
    if form.is_valid():
        try:
            download = downloads.request_download(
                audience,
                requested_by=request.user,
                identity_types=form.cleaned_data["identity_types"],
                variation_ids=form.cleaned_data.get("variation_ids") or [],
                sample=form.cleaned_data["sample"],
                at=form.cleaned_data["at"],
                since=form.cleaned_data["since"],
            )
        except downloads.DownloadRefused as refused:
            for error in refused.errors:
                field = error["path"].split("[")[0]
                form.add_error(field if field in form.fields else None, error["message"])
        else:
            return redirect(download)
    return render(
        request,
        "audiences/download_form.html",
        {"nav": "realtime", "audience": audience, "form": form, **_head(here, audience)},
        status=400 if form.is_bound else 200,
    )


def _download_for(request: HttpRequest, uid) -> Download:
    return get_object_or_404(Download.objects.select_related("audience"), uid=uid, account=current(request).account)


@require_GET
def download_detail(request: HttpRequest, uid) -> HttpResponse:
    """Progress while the job runs (the page polls itself); the link once ready."""
    # Not marked seen here: the page polls itself, and a poll landing as the job finishes
    # would swallow the notice of someone who has already gone to work elsewhere.
    download = _download_for(request, uid)
    context = {
        "nav": "realtime",
        "download": download,
        "audience": download.audience,
        "expired": downloads.is_expired(download),
        "percent": round(download.progress * 100),
    }
    template = "audiences/download_detail.html#status" if request.htmx else "audiences/download_detail.html"
    return render(request, template, context)


@require_GET
def download_file(request: HttpRequest, uid) -> HttpResponse:
    """The ZIP itself: a signed-in person of the download's account, before the link expires."""
    download = _download_for(request, uid)
    if downloads.is_expired(download):  # its file may be gone already: say why
        return render(request, "audiences/download_detail.html", {"download": download, "expired": True}, status=410)
    if download.state != DownloadState.READY or not download.file:
        raise Http404("This download is not ready.")
    downloads.mark_seen(download, request.user)
    return FileResponse(default_storage.open(download.file, "rb"), as_attachment=True, filename=download.archive_name)


@require_POST
def download_dismiss(request: HttpRequest, uid) -> HttpResponse:
    """Dismiss the ready notice shown in the app shell; back to the page it was shown on."""
    download = _download_for(request, uid)
    downloads.mark_seen(download, request.user)
    if request.htmx:
        return HttpResponse("")  # the notice swaps itself out
    wanted = request.POST.get("next", "")
    if wanted and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}):
        return redirect(wanted)
    return redirect(download.audience)
