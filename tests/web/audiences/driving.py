"""A test client that drives the Build tab like a browser does."""

from __future__ import annotations

import json

from django.urls import reverse


class Builder:
    """Drives the Build tab like a browser: each post carries the hidden fields of the last page."""

    def __init__(self, client, audience, htmx: bool = True):
        self.client, self.audience, self.htmx = client, audience, htmx
        self.url = reverse("audiences:audience_detail", args=[audience.pk])
        self.response = client.get(self.url)
        assert self.response.status_code == 200

    @property
    def context(self):
        return self.response.context

    @property
    def definition(self):
        text = self.context["definition_json"]
        return json.loads(text) if text else None

    @property
    def editor(self):
        return self.context["editor"]

    def post(self, action: str, **fields):
        data = {"action": action, "definition": self.context["definition_json"]}
        if self.editor is not None:
            data.update(editing=self.editor.index, draft=self.editor.draft_json)
        data.update(
            {
                key.replace("_", "-") if key.startswith(("attr_", "freq_", "time_")) else key: value
                for key, value in fields.items()
            }
        )
        headers = {"HX-Request": "true"} if self.htmx else {}
        self.response = self.client.post(self.url, data, headers=headers)
        return self.response
