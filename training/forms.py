from django import forms
from django.utils.translation import gettext_lazy as _


class StepForm(forms.Form):
    """One radio field per item of a step; built from the step's items."""

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(items)
        for item in self.items:
            self.fields[f"item_{item.pk}"] = forms.TypedChoiceField(
                label=item.prompt,
                choices=[(i, text) for i, text in enumerate(item.descriptors, start=1)],
                coerce=int,
                widget=forms.RadioSelect,
                required=False,
                initial=item.answer,
            )

    def answers(self) -> dict[int, int]:
        return {
            item.pk: self.cleaned_data[f"item_{item.pk}"]
            for item in self.items
            if self.cleaned_data.get(f"item_{item.pk}")
        }

    def unanswered(self) -> list:
        return [
            item
            for item in self.items
            if not self.cleaned_data.get(f"item_{item.pk}") and not item.answer
        ]


MISSING = _("这一题还没有作答，请选择最符合您日常做法的一项。")
