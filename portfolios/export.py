"""Download all her data (PIPL): every row of every model that points at her
account or her teacher profile, found by walking the models rather than by a
list that could fall behind, plus the files she uploaded.

Left out on purpose: her password hash, two-factor secrets and third-party
login tokens (they are credentials, not data about her)."""

from __future__ import annotations

import io
import json
import zipfile

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from cms.accounts.models import TeacherProfile, User

SECRET_FIELDS = {
    ("accounts", "user"): {"password"},
    ("mfa", "authenticator"): {"data"},
    ("socialaccount", "socialtoken"): {"token", "token_secret"},
    ("socialaccount", "socialaccount"): {"extra_data"},
    ("sessions", "session"): {"session_data"},
}
FILE_FIELDS = {
    ("portfolios", "evidence"): "file",
    ("credits", "recognitionrequest"): "evidence",
}


def _row(obj, secret: set[str]) -> dict:
    out = {}
    for field in obj._meta.concrete_fields:
        if field.name in secret:
            continue
        value = field.value_from_object(obj)
        if isinstance(field, models.FileField):
            value = value.name if value else ""
        elif isinstance(value, (bytes, memoryview)):
            value = bytes(value).hex()
        out[field.attname] = value
    return out


def owned_querysets(teacher: TeacherProfile):
    """(label, queryset) for her user and profile rows, every model with a
    foreign key to either, and every model with a foreign key to those rows
    (answers of her assessments, reviews of her evidence ...)."""
    first: dict = {User: User.objects.filter(pk=teacher.user_id)}
    first[TeacherProfile] = TeacherProfile.objects.filter(pk=teacher.pk)
    for model in apps.get_models():
        if model in first:
            continue
        query = _links(model, {User: [teacher.user_id], TeacherProfile: [teacher.pk]})
        if query is not None:
            first[model] = model._default_manager.filter(query)
    # Only rows that are *about her* (linked through a field named teacher or
    # user: her attempts, her evidence ...) lead on to their children; rows she
    # merely leads or authored (a studio, a page) must not pull in other
    # people's data (the members of her studio, their applications).
    mine = {User: [teacher.user_id], TeacherProfile: [teacher.pk]}
    targets = {}
    for model in first:
        if model in (User, TeacherProfile):
            continue
        query = _links(model, mine, names=SUBJECT_FIELDS)
        if query is not None:
            pks = list(
                model._default_manager.filter(query).values_list("pk", flat=True)
            )
            if pks:
                targets[model] = pks
    combined: dict = dict(first)
    for model in apps.get_models():
        if model in (User, TeacherProfile):
            continue
        query = _links(model, targets)
        if query is None:
            continue
        through = model._default_manager.filter(query)
        combined[model] = (
            (combined[model] | through).distinct() if model in combined else through
        )
    for model, queryset in combined.items():
        yield model._meta.label_lower, queryset


SUBJECT_FIELDS = {"teacher", "user"}
# Links that record what she did to someone else's row, not data about her:
# the submissions she graded as a trainer and the grade changes she made hold
# other teachers' work and scores.
NOT_HERS = {
    ("courses.submission", "graded_by"),
    ("courses.gradechange", "changed_by"),
}


def _links(model, targets: dict, names=None):
    query = None
    for field in model._meta.concrete_fields:
        if not isinstance(field, models.ForeignKey):
            continue
        if names is not None and field.name not in names:
            continue
        if (model._meta.label_lower, field.name) in NOT_HERS:
            continue
        pks = targets.get(field.related_model)
        if not pks:
            continue
        condition = models.Q(**{f"{field.name}__in": pks})
        query = condition if query is None else query | condition
    return query


def portrait_export_zip(teacher: TeacherProfile) -> bytes:
    buffer = io.BytesIO()
    manifest = {}
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for label, queryset in owned_querysets(teacher):
            app_label, model_name = label.split(".")
            secret = SECRET_FIELDS.get((app_label, model_name), set())
            rows = [_row(obj, secret) for obj in queryset.order_by("pk")]
            if not rows:
                continue
            manifest[label] = len(rows)
            archive.writestr(
                f"data/{label}.json",
                json.dumps(rows, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
            )
            file_field = FILE_FIELDS.get((app_label, model_name))
            if file_field:
                for obj in queryset:
                    stored = getattr(obj, file_field)
                    if stored and stored.storage.exists(stored.name):
                        with stored.open("rb") as fh:
                            archive.writestr(
                                f"files/{label}/{obj.pk}-{stored.name.rsplit('/', 1)[-1]}",
                                fh.read(),
                            )
        archive.writestr(
            "README.txt",
            "本压缩包含平台保存的您的全部个人数据（data/ 下每个文件对应一类记录），以及您上传的文件（files/）。\n"
            "出于安全考虑，登录密码、两步验证密钥和第三方登录令牌不包含在内。\n",
        )
        archive.writestr(
            "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2)
        )
    return buffer.getvalue()
