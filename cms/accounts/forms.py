from django import forms
from django.conf import settings
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label=_("教师名单文件"),
        help_text=_("支持 CSV（UTF-8 或 GB18030 编码）和 XLSX；第一行为表头。"),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # Checked before the file is read into memory.
        if upload.size > settings.TEACHER_IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _g("文件过大（上限 %(mb)d MB）。")
                % {"mb": settings.TEACHER_IMPORT_MAX_BYTES // (1024 * 1024)}
            )
        return upload


class TeacherFilterForm(forms.Form):
    q = forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"placeholder": _("姓名、工号或邮箱")}),
    )
    school = forms.TypedChoiceField(
        label=_("学校"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, schools=(), **kwargs):
        """`schools`: (id, name) pairs, the schools she may choose from."""
        super().__init__(*args, **kwargs)
        self.fields["school"].choices = [("", _("全部学校")), *schools]
