"""Forms of the Connect tab, the connection page and Connect Audiences (bulk).

Per-partner connection settings come from `outputs.forms.SettingsForm`, built from the
partner's `ConnectionSettings` model; these forms add what every connection has.
"""

from __future__ import annotations

from typing import Any

from django import forms

from connections.models import ConnectionStatus

STATUS_HELP = "Sending forwards the current members at once, then every change. Inactive keeps changes waiting."


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label="Status",
        choices=ConnectionStatus.choices,
        initial=ConnectionStatus.SENDING,
        widget=forms.RadioSelect,
        help_text=STATUS_HELP,
    )


class ChooseOutputForm(forms.Form):
    """Step one of Connect Output: which output configuration."""

    configuration = forms.TypedChoiceField(label="Output", coerce=int, widget=forms.RadioSelect)

    def __init__(self, *args: Any, configurations, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["configuration"].choices = [(c.pk, c.name) for c in configurations]


class AudienceIdsField(forms.TypedMultipleChoiceField):
    """The audiences offered are the choices shown; any id is accepted, because the service
    reports an audience that can no longer be connected by name, next to the successes."""

    def valid_value(self, value: Any) -> bool:
        return str(value).isdigit()


class BulkConnectForm(StatusForm):
    audiences = AudienceIdsField(
        label="Audiences",
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Pick at least one audience to connect."},
    )

    MAX_AUDIENCES = 500

    def __init__(self, *args: Any, audiences, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["audiences"].choices = [(a.pk, a.name) for a in audiences]

    def clean_audiences(self) -> list[int]:
        ids = list(dict.fromkeys(self.cleaned_data["audiences"]))
        if len(ids) > self.MAX_AUDIENCES:
            raise forms.ValidationError(f"Connect at most {self.MAX_AUDIENCES} audiences at a time.")
        return ids


class SharedAttributesForm(forms.Form):
    attributes = forms.MultipleChoiceField(
        label="User attributes to share",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None are shared until you pick them. Picked attributes travel with each user's identities.",
    )

    def __init__(self, *args: Any, keys: list[str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["attributes"].choices = [(key, key) for key in keys]
