"""Versions for what HR pages cache per organisation scope (issue 16).

A city's HR lists and counts group and sort 20,000 teachers: the same answer
for every request until a teacher, an organisation or a credit total in that
scope changes. They are kept with `cms.shared.pagecache.cached` under keys
that hold the scope (`scope_key`), and depend on versions bumped wherever
their inputs change:

- TEACHERS: any teacher profile or organisation saved, deleted or moved
  (signals, `Organisation.move`, and the bulk writes that fire none: the
  teacher import, erasure, the seed commands). Rare, so one version for all.
- `credits_dependency(path)`: a credit total of a teacher at a school below
  `path` changed. The ledger bumps the school's path and every prefix of it
  (its district, city, province and the root ""), so a new record in one
  district never clears another district's lists.

Correctness rests on the versions, never on a timeout, and the scope is part
of every key: two HR users of different organisations never share an entry.
The scope key also holds the user (teachers_visible_to adds her own profile,
and some lists leave her out)."""

from __future__ import annotations

import hashlib
from array import array

from django.core.paginator import Paginator

from cms.shared import pagecache

from . import scoping
from .models import Organisation

TEACHERS = "org-teachers"
CREDITS = "org-credits:"


def credits_dependency(path: str) -> str:
    return CREDITS + path


def scope_key(user) -> str:
    """Who asks and what she may see: the user, and her HR scopes' paths (or
    "all" for a platform administrator)."""
    if scoping.is_platform_admin(user):
        scope = "all"
    else:
        scope = ",".join(sorted(org.path for org in scoping.hr_scopes(user)))
    digest = hashlib.sha256(scope.encode()).hexdigest()[:24]
    return f"u{user.pk}:{digest}"


def scope_paths(user) -> list[str]:
    if scoping.is_platform_admin(user):
        return [""]
    return [org.path for org in scoping.hr_scopes(user)]


def teacher_dependencies() -> list[str]:
    return [TEACHERS]


def credit_dependencies(user) -> list[str]:
    """What a list of her teachers' credit totals depends on."""
    return [TEACHERS, *(credits_dependency(p) for p in scope_paths(user))]


def cached_order(key: str, dependencies, queryset) -> array:
    """The ids of `queryset`'s rows in its order, kept under `key` while the
    versions of `dependencies` are unchanged: 8 bytes a row, so a city's
    20,000 teachers are one small entry."""
    return pagecache.cached(
        key, dependencies, lambda: array("q", queryset.values_list("id", flat=True))
    )


def page_number(value) -> int:
    """The page asked for as `Paginator.get_page` reads it (not a number: the
    first page), for a kept page's key: "2", " 2" and "02" are one entry."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 1


def page_of(ids, queryset, number, per_page: int = 50):
    """Page `number` of the rows with these ids, in their order; the rows are
    read through `queryset` (scoped as ever), so an id that left the scope is
    never shown, cached or not."""
    page = Paginator(ids, per_page).get_page(number)
    wanted = list(page.object_list)
    found = {row.pk: row for row in queryset.filter(pk__in=wanted).order_by()}
    page.object_list = [found[pk] for pk in wanted if pk in found]
    return page


def teachers_changed() -> None:
    pagecache.bump(TEACHERS)


def credits_changed(*school_paths: str) -> None:
    """A credit total of a teacher at each of these schools changed."""
    step = Organisation.steplen
    deps = {CREDITS}
    for path in school_paths:
        deps.update(
            credits_dependency(path[:n]) for n in range(step, len(path) + 1, step)
        )
    pagecache.bump(*sorted(deps))


def all_credits_changed() -> None:
    """Every credit total may have changed (a rebuild, a bulk seed): bumps
    the version of every organisation."""
    paths = Organisation.objects.values_list("path", flat=True)
    credits_changed(*paths)


def _changed(sender, **kwargs):
    teachers_changed()


def connect() -> None:
    from django.db.models.signals import post_delete, post_save

    from .models import TeacherProfile

    for model in (TeacherProfile, Organisation):
        for signal in (post_save, post_delete):
            signal.connect(
                _changed,
                sender=model,
                dispatch_uid=f"scopecache-{model.__name__}-{id(signal)}",
            )
