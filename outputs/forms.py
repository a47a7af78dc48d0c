"""Forms for output configurations, built from each partner's pydantic settings models.

A partner declares its settings once, as pydantic models (`Configuration`, `ConnectionSettings`);
`SettingsForm` turns any such model into form fields, so adding a partner needs no form code.
Pydantic stays the one validator: the form only collects and types the values, and the
service's refusals (paths like `settings.url`) are put back on the matching fields.
"""

from __future__ import annotations

import inspect
import types
from typing import Any, Literal, Union, get_args, get_origin

from django import forms
from pydantic import AnyUrl, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from outputs.partners.base import Settings

# Words written in capitals in labels ("api_key" -> "API key").
UPPERCASE_WORDS = {"api": "API", "url": "URL", "id": "ID", "aws": "AWS", "eu": "EU", "us": "US"}

SECRET_HELP_STORED = "Stored encrypted and never shown again. Leave empty to keep it; type a new value to replace it."


def label_for(name: str) -> str:
    words = [UPPERCASE_WORDS.get(word, word) for word in name.split("_")]
    first = words[0] if words[0].isupper() else words[0].capitalize()
    return " ".join([first, *words[1:]])


def _without_none(annotation: Any) -> Any:
    """`str | None` -> `str`; anything else unchanged."""
    if get_origin(annotation) in (Union, types.UnionType):
        args = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def default_of(info: FieldInfo) -> Any:
    if info.default is not PydanticUndefined:
        return info.default
    if info.default_factory is not None:
        return info.default_factory()
    return PydanticUndefined


def is_secret(info: FieldInfo) -> bool:
    return isinstance(info.json_schema_extra, dict) and bool(info.json_schema_extra.get("secret"))


def _field(name: str, info: FieldInfo, *, editing: bool, stored_secret: bool) -> forms.Field:
    annotation = _without_none(info.annotation)
    required = info.is_required()
    default = default_of(info)
    initial = None if default is PydanticUndefined or default is None else default
    options: dict[str, Any] = {"label": label_for(name), "help_text": info.description or "", "required": required}
    if is_secret(info):
        attrs = {"autocomplete": "new-password"}
        if editing:
            options["required"] = False  # empty keeps the stored value
            if stored_secret:
                attrs["placeholder"] = "set"
                options["help_text"] = " ".join(filter(None, [info.description, SECRET_HELP_STORED]))
        return forms.CharField(widget=forms.PasswordInput(render_value=False, attrs=attrs), **options)
    if get_origin(annotation) is Literal:
        choices = [(value, str(value)) for value in get_args(annotation)]
        if not required and initial is None:
            choices = [("", "—"), *choices]
        return forms.ChoiceField(choices=choices, initial=initial, **options)
    if annotation is bool:
        return forms.BooleanField(initial=initial, **{**options, "required": False})
    if annotation is int:
        return forms.IntegerField(initial=initial, **options)
    if annotation is float:
        return forms.FloatField(initial=initial, **options)
    if inspect.isclass(annotation) and issubclass(annotation, AnyUrl):
        # Typed as text: pydantic judges the URL, so both layers never disagree.
        return forms.CharField(initial=initial, widget=forms.URLInput, **options)
    return forms.CharField(initial=initial, **options)


class SettingsForm(forms.Form):
    """The fields of one partner settings model (prefixed "settings-" in the page).

    `stored` (when editing) fills the fields with the current values, except secrets: a secret
    field is a password input that shows "set" and keeps the stored value when left empty.
    """

    def __init__(self, model: type[Settings], *args: Any, stored: dict[str, Any] | None = None, **kwargs: Any):
        kwargs.setdefault("prefix", "settings")
        self.model = model
        self.editing = stored is not None
        self.secrets = model.secret_fields()
        stored = stored or {}
        kwargs.setdefault("initial", {key: value for key, value in stored.items() if key not in self.secrets})
        super().__init__(*args, **kwargs)
        for name, info in model.model_fields.items():
            self.fields[name] = _field(name, info, editing=self.editing, stored_secret=bool(stored.get(name)))

    def clean(self) -> dict[str, Any]:
        """Judge the values with the partner's model, so each error lands on its field before
        any service runs (Connect Audiences would otherwise refuse every audience alike)."""
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            self.model.model_validate(self.values())
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                field = str(error["loc"][0]) if error["loc"] else None
                if field in self.secrets and self.editing and not cleaned.get(field):
                    continue  # an empty secret keeps the stored one
                self.add_error(field if field in self.fields else None, error["msg"])
        return cleaned

    def values(self) -> dict[str, Any]:
        """The cleaned values as the services take them: an empty optional field gets its
        default, and (when editing) an empty secret is sent empty, which keeps it."""
        out: dict[str, Any] = {}
        for name, info in self.model.model_fields.items():
            value = self.cleaned_data.get(name)
            if value not in (None, ""):
                out[name] = value
            elif name in self.secrets and self.editing:
                out[name] = ""
            elif not info.is_required() and default_of(info) is not PydanticUndefined:
                out[name] = default_of(info)
        return out

    def shown(self, values: dict[str, Any]) -> list[tuple[str, Any]]:
        """(label, value) pairs safe to show: secrets read "set" (or "—" when empty)."""
        pairs = []
        for name in self.model.model_fields:
            value = values.get(name)
            if name in self.secrets:
                value = "set" if value else None
            pairs.append((label_for(name), "—" if value in (None, "") else value))
        return pairs


def shown_settings(model: type[Settings], values: dict[str, Any]) -> list[tuple[str, Any]]:
    """Settings as a page shows them, in the model's order, with secrets as "set"."""
    return SettingsForm(model).shown(values)


def put_refusal(errors: list[dict[str, str]], form: forms.Form, settings_form: SettingsForm | None = None) -> None:
    """Put a service's refusal on the fields it names (`settings.url` on the settings form)."""
    for error in errors:
        path, message = error.get("path", ""), error.get("message", "")
        head, _, rest = path.partition(".")
        if head == "settings" and settings_form is not None:
            field = rest.split(".")[0]
            settings_form.add_error(field if field in settings_form.fields else None, message)
        elif path in form.fields:
            form.add_error(path, message)
        else:
            form.add_error(None, message)


class ConfigurationForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        label="Configuration name",
        help_text="How this output is called in Setup and on the Connect tab, e.g. “Newsletter (production)”.",
    )


class DirectoryFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, widget=forms.TextInput(attrs={"type": "search"}))
    category = forms.ChoiceField(label="Category", required=False)
    identity = forms.ChoiceField(label="Accepts", required=False)
    audiences = forms.BooleanField(label="With audience support only", required=False, initial=True)

    def __init__(self, *args: Any, categories: list[str], identity_types: list[str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "All categories"), *((c, c) for c in categories)]
        self.fields["identity"].choices = [("", "Any identity"), *((t, t) for t in identity_types)]
