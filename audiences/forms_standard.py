"""Forms of the standard audience pages: New Standard Audience, Calculate, credits.

As with real-time audiences, the forms read what was typed and the services decide; a
service's refusal (`{"path", "message"}`) comes back on the field its path names.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from audiences.forms_audiences import NewAudienceForm, RefusalMixin

RANGES = [("all", "All available data"), ("period", "A period")]
ENDS = [("most_recent", "Most recent"), ("date", "An end date")]


class DateRangeForm(RefusalMixin, forms.Form):
    """The days a calculation scans: all available data, or a first day up to a last day or
    the most recent data (UTC days, both ends included)."""

    fields_by_path = {"date_range": "date_range", "date_range.start": "start", "date_range.end": "end"}

    date_range = forms.ChoiceField(
        choices=RANGES, initial="all", widget=forms.RadioSelect, label="Date range", required=False
    )
    start = forms.DateField(
        required=False, label="Start date", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end_mode = forms.ChoiceField(
        choices=ENDS, initial="most_recent", widget=forms.RadioSelect, label="End", required=False
    )
    end = forms.DateField(
        required=False, label="End date", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    @staticmethod
    def initial_of(audience) -> dict[str, Any]:
        """The fields as an audience's stored range fills them."""
        if audience.range_start is None:
            return {"date_range": "all", "end_mode": "most_recent"}
        return {
            "date_range": "period",
            "start": audience.range_start,
            "end_mode": "date" if audience.range_end else "most_recent",
            "end": audience.range_end,
        }

    def add_refusal(self, errors: list[dict[str, str]]) -> None:
        # `date_range.start` names a field of its own, so match the whole path first.
        for error in errors:
            field = self.fields_by_path.get(error["path"])
            if field in self.fields:
                self.add_error(field, error["message"])
            else:
                super().add_refusal([error])

    def clean(self) -> dict[str, Any]:
        """`range`: the date range as the services take it (the Platform API's shape)."""
        data = super().clean()
        if data.get("date_range") != "period":
            # Dates typed under "All available data" would be dropped without a word.
            if data.get("start") or (data.get("end") and data.get("end_mode") == "date"):
                self.add_error("date_range", "Choose A period to scan the dates typed, or clear them.")
            data["range"] = {"all": True}
            return data
        # What the dates may be (not in the future, the end not before the start) is the
        # service's to say (standard.parse_date_range); its refusal lands on the field.
        start: dt.date | None = data.get("start")
        end: dt.date | None = data.get("end")
        if start is None and "start" not in self.errors:
            self.add_error("start", "Pick the first day of the period.")
        most_recent = data.get("end_mode") != "date"
        if not most_recent and end is None and "end" not in self.errors:
            self.add_error("end", "Pick the last day of the period, or choose Most recent.")
        if start is not None and not any(f in self.errors for f in ("start", "end")):
            data["range"] = {"start": start.isoformat(), "end": "most_recent" if most_recent else end.isoformat()}
        return data


class NewStandardAudienceForm(NewAudienceForm, DateRangeForm):
    """New Audience plus the date range."""

    fields_by_path = {**NewAudienceForm.fields_by_path, **DateRangeForm.fields_by_path}

    def audience_fields(self) -> dict:
        return {**super().audience_fields(), "date_range": self.cleaned_data["range"]}


class CalculateForm(RefusalMixin, forms.Form):
    """Which draft standard audiences one calculation covers."""

    fields_by_path = {"audience_ids": "audiences"}

    audiences = forms.TypedMultipleChoiceField(
        coerce=int, required=False, widget=forms.CheckboxSelectMultiple, label="Audiences to calculate"
    )

    def __init__(self, *args: Any, drafts, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.drafts = list(drafts)
        self.fields["audiences"].choices = [(a.pk, a.name) for a in self.drafts]

    def chosen(self) -> list:
        """The drafts ticked so far (unknown ids are left out: the choices are what is offered)."""
        if self.is_bound:
            wanted = {int(v) for v in self.data.getlist("audiences") if v.isascii() and v.isdigit() and len(v) < 19}
        else:
            wanted = set(self.initial.get("audiences") or [])
        return [a for a in self.drafts if a.pk in wanted]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("audiences") and "audiences" not in self.errors:
            self.add_error("audiences", "Pick at least one draft to calculate.")
        return data


class GrantForm(RefusalMixin, forms.Form):
    """An admin adds calculation credits to the account."""

    fields_by_path = {"change": "amount"}

    amount = forms.IntegerField(label="Credits to add", min_value=1, max_value=100_000)
    note = forms.CharField(label="Note", required=False, max_length=200, strip=True)
