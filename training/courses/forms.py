from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cms.shared.uploads import artefact_validate

from .models import CoursePage


class AssignmentForm(forms.Form):
    text = forms.CharField(
        label=_("作业内容"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 10}),
    )
    file = forms.FileField(
        label=_("附件（PDF、Word、PPT、图片或 MP4，视频上限 200 MB，其他 20 MB）"),
        required=False,
    )

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload:
            artefact_validate(upload)
        return upload

    def clean(self):
        data = super().clean()
        if not self.errors and not (data.get("text", "").strip() or data.get("file")):
            raise ValidationError(_("请填写作业内容或上传附件。"))
        return data


class QuizForm(forms.Form):
    """One field per question: radio buttons, or checkboxes when more than
    one option is correct."""

    def __init__(self, *args, questions, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        for number, question in enumerate(questions, 1):
            choices = [
                (letter, f"{letter}. {text}") for letter, text in question.option_list
            ]
            label = f"{number}. {question.prompt}"
            if question.is_multiple:
                suffix = str(_("（多选）"))
                if not question.prompt.rstrip().endswith(("（多选）", suffix)):
                    label = f"{label}{suffix}"
                field = forms.MultipleChoiceField(
                    label=label,
                    choices=choices,
                    widget=forms.CheckboxSelectMultiple,
                    required=False,
                )
            else:
                field = forms.ChoiceField(
                    label=label,
                    choices=choices,
                    widget=forms.RadioSelect,
                    required=False,
                )
            self.fields[f"q{question.pk}"] = field

    def answers(self) -> dict[int, set[str]]:
        out = {}
        for question in self.questions:
            value = self.cleaned_data.get(f"q{question.pk}") or []
            out[question.pk] = set(value if isinstance(value, list) else [value])
        return out


class GradeForm(forms.Form):
    """A score per rubric criterion, feedback, and whether to grade or return."""

    feedback = forms.CharField(
        label=_("评语"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )

    def __init__(self, *args, criteria, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        fields = {}
        for criterion in criteria:
            label = criterion.title
            if criterion.indicator_id:
                label = (
                    f"{label}（{criterion.indicator.code} {criterion.indicator.name}）"
                )
            fields[f"c{criterion.pk}"] = forms.DecimalField(
                label=label,
                min_value=0,
                max_value=criterion.max_points,
                decimal_places=1,
                required=False,
                help_text=_("满分 %(m)d 分。%(g)s")
                % {"m": criterion.max_points, "g": criterion.guidance},
            )
        self.fields = {**fields, **self.fields}

    def scores(self) -> dict[int, object]:
        return {c.pk: self.cleaned_data.get(f"c{c.pk}") for c in self.criteria}


class ScoreImportForm(forms.Form):
    file = forms.FileField(label=_("成绩表（XLSX 或 CSV）"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # Checked before the file is read into memory.
        if upload.size > settings.TEACHER_IMPORT_MAX_BYTES:
            raise forms.ValidationError(_("文件过大（上限 10 MB）。"))
        return upload


class CampaignForm(forms.Form):
    title = forms.CharField(label=_("项目名称"), max_length=120)
    organisation = forms.ModelChoiceField(label=_("参训单位"), queryset=None)
    courses = forms.ModelMultipleChoiceField(
        label=_("课程"),
        queryset=None,
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text=_("按住 Ctrl（Mac 上为 Command）可多选。"),
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations.order_by("path")
        self.fields["courses"].queryset = CoursePage.objects.live().order_by("title")
