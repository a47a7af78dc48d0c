from __future__ import annotations

from django import forms

from accounts.models import Role


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What uses this token, e.g. 'CI pipeline'.")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MARKETER)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the token a name.")
        return name
