from __future__ import annotations

from django import forms

from audiences.models import CatalogueAttribute, Input, Platform


class InputForm(forms.ModelForm):
    class Meta:
        model = Input
        fields = ["name", "platform", "rate_limit"]

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        self.fields["platform"].choices = Platform.choices

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the input a name.")
        taken = Input.objects.filter(workspace=self.workspace, name__iexact=name).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError("This workspace already has an input with that name.")
        return name


class OverrideForm(forms.ModelForm):
    class Meta:
        model = CatalogueAttribute
        fields = ["override_type"]
        labels = {"override_type": "Treat as"}


class ProfileSearchForm(forms.Form):
    q = forms.CharField(label="mpid or identity value", max_length=500)
