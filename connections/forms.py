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


def _sent_label(connection) -> str:
    """The output's name, with when this connection was last sent (and whether it is inactive)."""
    label = connection.output_configuration.name
    if connection.status != ConnectionStatus.SENDING:
        label += " (inactive: set it to Sending to send here)"
    record = getattr(connection, "standard_send", None)
    if record is not None:
        label += f" · last sent {record.last_sent_at:%Y-%m-%d %H:%M} UTC"
    return label


class SendForm(forms.Form):
    """Which of a standard audience's connections receive its members this time."""

    connections = forms.TypedMultipleChoiceField(
        coerce=int, required=False, widget=forms.CheckboxSelectMultiple, label="Send to"
    )

    def __init__(self, *args: Any, connections, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.connections = list(connections)
        self.fields["connections"].choices = [(c.pk, _sent_label(c)) for c in self.connections]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("connections") and "connections" not in self.errors:
            self.add_error("connections", "Pick at least one connection to send to.")
        return data

    def add_refusal(self, errors: list[dict[str, str]]) -> None:
        """The service's faults: about the connections picked, or the audience itself."""
        for error in errors:
            self.add_error("connections" if error["path"].startswith("connection_ids") else None, error["message"])
