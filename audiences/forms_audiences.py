"""Forms of the audience pages: New Audience, Settings and tags.

The forms only read what was typed; the rules (names, tags, scope) live in
`audiences.services`, whose refusals come back here as field errors, so the page and the
Platform API refuse the same things with the same words.
"""

from __future__ import annotations

import re

from django import forms

from accounts.models import Account, Workspace
from audiences.models import Input
from audiences.models.audiences import Access

ID = re.compile(r"[0-9]{1,18}")
SCOPES = [("single", "Single workspace"), ("multi", "Several workspaces")]


class RefusalMixin:
    """Put a service's `{"path", "message"}` faults on the fields they name."""

    # The first segment of a fault's path -> the form field that shows it.
    fields_by_path: dict[str, str] = {}

    def add_refusal(self, errors: list[dict[str, str]]) -> None:
        for error in errors:
            head = re.split(r"[.\[]", error["path"], maxsplit=1)[0]
            field = self.fields_by_path.get(head, head)
            self.add_error(field if field in self.fields else None, error["message"])


class NewAudienceForm(RefusalMixin, forms.Form):
    fields_by_path = {"workspace_ids": "workspaces", "input_ids": "inputs"}

    name = forms.CharField(required=False, strip=True, label="Audience name")
    external_name = forms.CharField(
        required=False,
        strip=True,
        label="External name",
        help_text="What outputs see. Leave it blank to use the audience name.",
    )
    scope = forms.ChoiceField(choices=SCOPES, initial="single", widget=forms.RadioSelect, label="Workspaces")
    workspace = forms.TypedChoiceField(coerce=int, required=False, widget=forms.RadioSelect, label="Workspace")
    workspaces = forms.TypedMultipleChoiceField(
        coerce=int, required=False, widget=forms.CheckboxSelectMultiple, label="Workspaces"
    )
    inputs = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Inputs",
        help_text="Event criteria read the events of these platforms and feeds.",
    )

    def __init__(self, *args, account: Account, workspace: Workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account
        workspaces = list(Workspace.objects.filter(account=account).order_by("name"))
        self.workspaces = workspaces
        inputs = list(Input.objects.filter(workspace__account=account).select_related("workspace"))
        choices = [(w.pk, w.name) for w in workspaces]
        self.fields["workspace"].choices = choices
        self.fields["workspaces"].choices = choices
        self.fields["inputs"].choices = [
            (w.name, [(i.pk, f"{i.name} ({i.get_platform_display()})") for i in inputs if i.workspace_id == w.pk])
            for w in workspaces
            if any(i.workspace_id == w.pk for i in inputs)
        ]
        self.inputs_by_workspace = {w.pk: [i.pk for i in inputs if i.workspace_id == w.pk] for w in workspaces}
        if not self.is_bound:
            self.initial.setdefault("workspace", workspace.pk)
            self.initial.setdefault("workspaces", [workspace.pk])
            self.initial.setdefault("inputs", self.inputs_by_workspace.get(workspace.pk, []))

    @property
    def multi(self) -> bool:
        value = self.data.get("scope") if self.is_bound else self.initial.get("scope", "single")
        return value == "multi"

    def chosen_workspaces(self) -> list[int]:
        """The workspaces picked so far (for showing only their inputs while the form is open)."""
        if not self.is_bound:
            if self.multi:
                return list(self.initial.get("workspaces") or [])
            return [self.initial["workspace"]] if self.initial.get("workspace") else []
        many = [int(v) for v in self.data.getlist("workspaces") if ID.fullmatch(str(v))]
        one = [int(v) for v in [self.data.get("workspace", "")] if ID.fullmatch(str(v))]
        # Switching between one and several workspaces keeps what was picked.
        if self.multi:
            return many or one
        return one or many[:1]

    def input_groups(self) -> list[dict]:
        """The input checkboxes by workspace, marking the workspaces not picked (yet)."""
        chosen = set(self.chosen_workspaces())
        options = {int(option.data["value"]): option for option in self["inputs"]}
        return [
            {
                "workspace": workspace,
                "chosen": workspace.pk in chosen,
                "options": [options[pk] for pk in self.inputs_by_workspace[workspace.pk] if pk in options],
            }
            for workspace in self.workspaces
            if self.inputs_by_workspace.get(workspace.pk)
        ]

    def clean(self):
        data = super().clean()
        if data.get("scope") == "multi":
            data["workspace_ids"] = list(data.get("workspaces") or [])
        else:
            data["workspace_ids"] = [data["workspace"]] if data.get("workspace") else []
        data["input_ids"] = list(data.get("inputs") or [])
        offered = [pk for w in data["workspace_ids"] for pk in self.inputs_by_workspace.get(w, [])]
        if offered and not data["input_ids"]:
            self.add_error("inputs", "Pick at least one input: event criteria read only the inputs picked here.")
        return data

    def audience_fields(self) -> dict:
        """What the create service takes from this form (once it is valid)."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "external_name": data["external_name"],
            "workspace_ids": data["workspace_ids"],
            "input_ids": data["input_ids"],
            "multi_workspace": data["scope"] == "multi",
        }


class AudienceSettingsForm(RefusalMixin, forms.Form):
    name = forms.CharField(required=False, strip=True, label="Audience name")
    external_name = forms.CharField(
        required=False, strip=True, label="External name", help_text="What outputs see; blank means the name."
    )
    access = forms.ChoiceField(
        choices=Access.choices,
        label="Access",
        help_text="What other accounts may do once the audience is shared with them.",
    )


class TagForm(RefusalMixin, forms.Form):
    fields_by_path = {"tags": "tag"}

    tag = forms.CharField(required=False, strip=True, label="Tag")
