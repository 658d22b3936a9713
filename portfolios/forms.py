from __future__ import annotations

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cms.shared.uploads import artefact_validate
from training.selectors import learning_resources_active

from .models import SECTIONS, Evidence, Goal
from .selectors import indicator_choices


class IndicatorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} {obj.name}"


class IndicatorMultipleField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} {obj.name}"


class GoalForm(forms.ModelForm):
    indicator = IndicatorChoiceField(queryset=None, label=gettext_lazy("素养指标"))
    target_level = forms.TypedChoiceField(
        label=gettext_lazy("目标水平"),
        coerce=int,
        choices=[(n, n) for n in range(1, 6)],
        help_text=gettext_lazy("1 至 5 级，对应自我测评的五个水平。"),
    )
    due_on = forms.DateField(
        label=gettext_lazy("计划完成日期"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    resources = forms.ModelMultipleChoiceField(
        queryset=learning_resources_active(),
        required=False,
        label=gettext_lazy("计划学习资源"),
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Goal
        fields = ["indicator", "target_level", "due_on", "plan", "resources"]
        widgets = {"plan": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicator"].queryset = indicator_choices()

    def clean_due_on(self):
        due = self.cleaned_data["due_on"]
        if due < datetime.date.today():
            raise ValidationError(_("计划完成日期不能早于今天。"))
        return due


class EvidenceForm(forms.ModelForm):
    upload = forms.FileField(label=gettext_lazy("文件"), required=False)
    link = forms.URLField(
        label=gettext_lazy("链接"), required=False, assume_scheme="https"
    )
    indicators = IndicatorMultipleField(
        queryset=None,
        label=gettext_lazy("对应素养指标"),
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Evidence
        fields = ["title", "kind", "description", "link", "indicators"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicators"].queryset = indicator_choices()
        self.fields["link"].help_text = _("视频等大文件可以只填链接。")

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if upload:
            artefact_validate(upload)
        return upload

    def clean(self):
        data = super().clean()
        if not data.get("upload") and not data.get("link") and not self.errors:
            raise ValidationError(_("请上传文件或填写链接。"))
        return data


class ShareForm(forms.Form):
    sections = forms.MultipleChoiceField(
        label=gettext_lazy("公开哪些部分"),
        choices=SECTIONS,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("请至少选择一个部分。")},
    )


class DeletionForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("说明（可选）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm = forms.BooleanField(
        label=gettext_lazy(
            "我已了解：删除后无法恢复；学分银行账本记录依法保留，不在删除范围内。"
        ),
        error_messages={"required": gettext_lazy("请勾选确认后再提交。")},
    )
