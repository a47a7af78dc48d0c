"""Outputs and the partner directory arrive with the outputs issue; until then, empty states."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.access import current


def output_list(request: HttpRequest) -> HttpResponse:
    current(request)
    return render(
        request,
        "coming_soon.html",
        {
            "title": "Outputs",
            "lead": "Connect audiences to email, push, ad platforms and webhooks.",
            "page": "outputs",
        },
    )


def directory(request: HttpRequest) -> HttpResponse:
    current(request)
    return render(
        request,
        "coming_soon.html",
        {
            "title": "Directory",
            "lead": "Every partner that can receive your audiences.",
            "page": "directory",
        },
    )
