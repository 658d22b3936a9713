import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from .evidence import evidence_validate
from .models import CreditCategory


class RecognitionForm(forms.Form):
    title = forms.CharField(label=_("学习内容"), max_length=200)
    provider = forms.CharField(label=_("举办单位"), max_length=120)
    category = forms.ChoiceField(label=_("类别"), choices=CreditCategory.choices)
    hours = forms.DecimalField(
        label=_("学时"), min_value=0.5, max_value=200, decimal_places=1
    )
    earned_on = forms.DateField(
        label=_("完成日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    evidence = forms.FileField(
        label=_("证明材料"),
        help_text=_(
            "证书 PDF、纸质证书的照片（JPG/PNG）或其他平台的证书 JSON，10 MB 以内。"
        ),
    )

    def clean_earned_on(self):
        value = self.cleaned_data["earned_on"]
        if value > datetime.date.today():
            raise forms.ValidationError(_("完成日期不能晚于今天。"))
        return value

    def clean_evidence(self):
        upload = self.cleaned_data["evidence"]
        evidence_validate(upload)
        return upload


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("审核结果"),
        choices=[("approve", _("认定")), ("reject", _("不予认定"))],
        widget=forms.RadioSelect,
    )
    hours = forms.DecimalField(
        label=_("认定学时"),
        required=False,
        min_value=0.5,
        max_value=200,
        decimal_places=1,
    )
    reason = forms.CharField(
        label=_("审核意见"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not data.get("reason"):
            self.add_error("reason", _("不予认定时请填写理由，教师会看到这条意见。"))
        return data
