"""What each app holds about a person, in one hook per app (PIPL).

Every app that stores rows about a person has a `privacy.py` that registers one
`PersonalDataHook`: how to write her rows (and files) into the data download,
how to erase them, and which links to a person (model.field) it covers, each
either erased or kept on purpose with the reason. `portfolios` builds the
download and carries out erasure only through `person_export` and
`person_erase`; a test walks every foreign key to the user and teacher-profile
models and fails when no hook declares it.

This module is a shared helper at the bottom layer: it imports only Django and
finds the hooks by importing each installed app's `privacy` module."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.module_loading import autodiscover_modules

# Links that record what she did to someone else's row (the work she graded as
# a trainer, the portraits she looked at as HR), not data about her: the rows
# belong to the other person and are neither exported nor erased with hers.
NOT_HERS = {
    "courses.submission.graded_by",
    "courses.gradechange.changed_by",
}


@dataclass(frozen=True)
class PersonalDataHook:
    """One app's personal data.

    `erased`: links ("app_label.model.field", named on the model that declares
    the field) whose rows `erase` removes. `kept`: links whose rows stay after
    erasure, each with the reason. `order`: erasure runs from low to high (the
    account itself goes last)."""

    app: str
    export: Callable[[object, ExportWriter], None]
    erase: Callable[[object], None]
    erased: tuple[str, ...] = ()
    kept: dict[str, str] = field(default_factory=dict)
    order: int = 50


_hooks: dict[str, PersonalDataHook] = {}
_discovered = False


def register(hook: PersonalDataHook) -> PersonalDataHook:
    _hooks[hook.app] = hook
    return hook


def hooks() -> list[PersonalDataHook]:
    """Every registered hook, in erasure order."""
    global _discovered
    if not _discovered:
        autodiscover_modules("privacy")
        _discovered = True
    return sorted(_hooks.values(), key=lambda h: (h.order, h.app))


def link_label(model_field: models.Field) -> str:
    """ "app_label.model.field", named on the model that declares the field
    (a page's `owner` is `wagtailcore.page.owner` on every page type)."""
    return f"{model_field.model._meta.label_lower}.{model_field.name}"


def person_links() -> list[str]:
    """Every foreign key (or one-to-one) to the user or teacher-profile model."""
    user_model = apps.get_model("accounts", "User")
    profile_model = apps.get_model("accounts", "TeacherProfile")
    found = set()
    for model in apps.get_models():
        for model_field in model._meta.concrete_fields:
            if isinstance(model_field, models.ForeignKey) and (
                model_field.related_model in (user_model, profile_model)
            ):
                found.add(link_label(model_field))
    return sorted(found)


def linked_rows(model, teacher) -> models.QuerySet:
    """Rows of `model` that point at her user or her teacher profile through
    any of its foreign keys (except the NOT_HERS links)."""
    user_model = apps.get_model("accounts", "User")
    profile_model = apps.get_model("accounts", "TeacherProfile")
    ids = {user_model: teacher.user_id, profile_model: teacher.pk}
    query = models.Q(pk__in=[])
    for model_field in model._meta.concrete_fields:
        if not isinstance(model_field, models.ForeignKey):
            continue
        if link_label(model_field) in NOT_HERS:
            continue
        pk = ids.get(model_field.related_model)
        if pk is not None:
            query |= models.Q(**{model_field.name: pk})
    return model._default_manager.filter(query)


class ExportWriter:
    """Collects rows per model (as data/<app.model>.json) and uploaded files
    (under files/<app.model>/) for the data download. Rows written twice (a
    studio she leads and owns) are kept once."""

    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        self._rows: dict[str, dict] = {}
        self.files_written: list[str] = []

    def rows(self, queryset: Iterable, *, secret: Iterable[str] = ()) -> None:
        secret = set(secret)
        for obj in queryset:
            label = obj._meta.label_lower
            self._rows.setdefault(label, {})[obj.pk] = _row(obj, secret)

    def files(
        self, queryset: Iterable, file_field: str, *, name_field: str = ""
    ) -> None:
        """Her uploaded files, named by the upload's original name when the
        model keeps it in `name_field`."""
        for obj in queryset:
            stored = getattr(obj, file_field)
            if not stored or not stored.storage.exists(stored.name):
                continue
            original = getattr(obj, name_field, "") if name_field else ""
            base = (original or stored.name).replace("\\", "/").rsplit("/", 1)[-1]
            name = f"files/{obj._meta.label_lower}/{obj.pk}-{base}"
            with stored.open("rb") as fh:
                self.archive.writestr(name, fh.read())
            self.files_written.append(name)

    def close(self) -> dict[str, int]:
        """Write the collected rows; returns rows per model for the manifest."""
        manifest = {}
        for label in sorted(self._rows):
            rows = [self._rows[label][pk] for pk in sorted(self._rows[label])]
            if not rows:
                continue
            manifest[label] = len(rows)
            self.archive.writestr(
                f"data/{label}.json",
                json.dumps(rows, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
            )
        return manifest


def _row(obj, secret: set[str]) -> dict:
    out = {}
    for model_field in obj._meta.concrete_fields:
        if model_field.name in secret:
            continue
        value = model_field.value_from_object(obj)
        if isinstance(model_field, models.FileField):
            value = value.name if value else ""
        elif isinstance(value, (bytes, memoryview)):
            value = bytes(value).hex()
        out[model_field.attname] = value
    return out


def person_export(teacher, archive: zipfile.ZipFile) -> dict[str, int]:
    """Every hook writes her data into the archive; returns the manifest."""
    writer = ExportWriter(archive)
    for hook in hooks():
        hook.export(teacher, writer)
    return writer.close()


def person_erase(teacher) -> None:
    """Every hook erases what it holds about her (the caller holds the
    transaction)."""
    for hook in hooks():
        hook.erase(teacher)


def files_delete_on_commit(queryset: Iterable, *file_fields: str) -> None:
    """Remove the stored files of these rows once the transaction commits (a
    rollback keeps the files of the rows it keeps)."""
    from django.db import transaction

    stored = []
    for obj in queryset:
        for name in file_fields:
            value = getattr(obj, name)
            if value:
                stored.append((value.storage, value.name))

    def remove():
        for storage, name in stored:
            storage.delete(name)

    if stored:
        transaction.on_commit(remove)


def delete_with_files(queryset: models.QuerySet, *file_fields: str) -> None:
    """Delete rows and, after commit, their stored files."""
    files_delete_on_commit(queryset, *file_fields)
    queryset.delete()
