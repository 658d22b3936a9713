"""One version per table that pages aggregating many teachers read (issue 16).

An HR page kept rendered per organisation scope (the 驾驶舱, the assessment
distribution) counts rows of many teachers: assessment results, studio
memberships and check-ins, portraits. The per-teacher versions of
`cms.shared.pagecache` say nothing to a page about a whole district, so each
such table also has one version of its own (a `pagecache` version name),
bumped on every write to it:

- saves and deletes, and the rows a cascade deletes: the signals `watch`
  connects;
- updates and bulk writes, which fire no signal: the model's manager, built
  from a `VersionedQuerySet` subclass naming the versions;
- raw SQL: a `pagecache.bump(...)` next to the statement.

Versions are global (one per table, not per organisation): a write anywhere
makes every page that depends on the table compute again once."""

from __future__ import annotations

from django.db import models
from django.db.models.signals import post_delete, post_save

from . import pagecache


class VersionedQuerySet(models.QuerySet):
    """Updates, bulk writes and deletes bump `versions` (set by a subclass).
    Combine with another queryset class as `class Q(VersionedQuerySet, Base)`."""

    versions: tuple[str, ...] = ()

    def _bump(self) -> None:
        if self.versions:
            pagecache.bump(*self.versions)

    def update(self, **kwargs):
        count = super().update(**kwargs)
        if count:
            self._bump()
        return count

    update.alters_data = True

    def bulk_create(self, objs, *args, **kwargs):
        objs = super().bulk_create(objs, *args, **kwargs)
        if objs:
            self._bump()
        return objs

    bulk_create.alters_data = True

    def bulk_update(self, objs, fields, *args, **kwargs):
        count = super().bulk_update(objs, fields, *args, **kwargs)
        if count:
            self._bump()
        return count

    bulk_update.alters_data = True

    def delete(self):
        deleted = super().delete()
        if deleted[0]:
            self._bump()
        return deleted

    delete.alters_data = True


def watch(model, *versions: str) -> None:
    """Bump `versions` whenever a row of `model` is saved or deleted (also by a
    cascade). Call from the app's `ready()`."""

    def changed(sender, **kwargs):
        pagecache.bump(*versions)

    for signal in (post_save, post_delete):
        signal.connect(
            changed,
            sender=model,
            weak=False,  # a local function: kept alive by the signal
            dispatch_uid=f"versioned-{model._meta.label}-{id(signal)}",
        )
