"""Whole pages cached for anonymous visitors (issue 16).

Public pages (Wagtail pages: home, catalogue, courses, studios; the
competency framework) look the same to every visitor who is not signed in,
in a given language. Such a request is answered from the cache when the
page's inputs have not changed since it was stored.

Correctness rests on versions, never on a timeout:

- every cached page depends on the version "content", which a save or delete
  of anything a public page shows bumps (Wagtail pages and their revisions,
  view restrictions, sites, images, documents, tags, the course and studio
  apps' models, the competency framework, organisations, users' names,
  credit rules); `bump()` is also called by the few bulk writes that fire no
  signal;
- a page may add narrower versions while it renders (`depends_on`): a course
  page depends on "course:<id>", which enrolments and session registrations
  of that course bump, so a teacher's enrolment refreshes that course page
  and nothing else;
- a stored page is served only while every version it depends on still has
  the value it had when the page was rendered; a missing version (Redis
  restarted, evicted) is a miss.

Only a GET or HEAD without a session cookie or pending messages is served
from the cache, so a signed-in user never is; only a 200 HTML response that
set no cookie, used no CSRF token and no CSP nonce, and left the session
untouched is stored. A page with forms (the sign-in page,
`cacheable(forms=True)`) may use a CSRF token and set the CSRF cookie: it is
stored with its one token replaced by `csrf_slot()` and served with the
visitor's own. While Redis is down every request renders normally."""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection, models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse
from django.utils import timezone

from cms.shared import dbrouting

KEY_PREFIX = "pagecache:"
VERSION_PREFIX = "pagecache-v:"
CONTENT = "content"
# Bounds on what an unused page keeps in Redis, not on staleness: shorter
# for pages with a query string, which anyone can vary at will.
TIMEOUT = 60 * 60
TIMEOUT_WITH_QUERY = 5 * 60
MAX_PATH = 300

# Apps all of whose models a public page may show.
WATCHED_APPS = {
    "wagtailcore",
    "wagtailimages",
    "wagtaildocs",
    "wagtailredirects",
    "taggit",
    "cms",
    "studios",
    "courses",
}
# Single models of other apps that a public page shows.
WATCHED_MODELS = {
    ("training", "framework"),
    ("training", "competency"),
    ("training", "learningresource"),
    ("accounts", "organisation"),
    ("accounts", "user"),
    ("accounts", "teacherprofile"),
    ("credits", "creditruleset"),
}
# Activity in the courses app that only its course's page shows: bumps
# "course:<id>" instead of everything.
PER_COURSE = {
    "enrolment": "course_id",
    "lessonprogress": "enrolment__course_id",
    "quizattempt": "enrolment__course_id",
    "submission": "enrolment__course_id",
    "gradechange": None,
    "sessionregistration": "session__course_id",
}


def _version_key(dependency: str) -> str:
    return VERSION_PREFIX + dependency


def bump(*dependencies: str) -> None:
    """Invalidate every cached page depending on any of `dependencies`. A new
    unique value rather than an increment: a version that vanished and came
    back can never match an old page. Inside a transaction, again when it
    commits: a request that read the data before the commit, and the version
    after the first bump, stored what is stale by then."""

    def new_values():
        value = time.time_ns()
        failed = cache.set_many({_version_key(d): value for d in dependencies}, None)
        if failed:
            # Redis was unreachable: the old versions, and the pages kept
            # under them, would be served again once it is back. Forget every
            # version then instead (reliability.ResilientRedisCache).
            register = getattr(cache, "after_outage", None)
            if register is not None:
                register("pagecache-versions", _forget_all_versions)

    new_values()
    if connection.in_atomic_block:
        transaction.on_commit(new_values)


def _forget_all_versions(backend) -> None:
    """Delete every version key: whatever was kept under them is stale at
    once, and the next reads make new versions (see bump)."""
    import logging

    client = backend._cache.get_client(write=True)
    pattern = backend.make_key(VERSION_PREFIX + "*")
    batch = []
    for key in client.scan_iter(match=pattern, count=1000):
        batch.append(key)
        if len(batch) >= 1000:
            client.delete(*batch)
            batch = []
    if batch:
        client.delete(*batch)
    logging.getLogger(__name__).warning(
        "page cache versions forgotten: a version bump was lost while Redis "
        "was unreachable"
    )


def cached(key: str, dependency, compute, timeout: int = TIMEOUT):
    """`compute()`, kept in the cache under `key` while the version of
    `dependency` (one name, or a list of names: every one of them) is
    unchanged (one round trip to Redis on a hit). For data other than pages:
    bump(dependency) wherever its inputs change. The versions are read before
    computing, so a change while computing leaves a stale value never served."""
    deps = [dependency] if isinstance(dependency, str) else list(dependency)
    version_keys = [_version_key(d) for d in deps]
    got = cache.get_many([key, *version_keys])
    entry = got.get(key)
    versions = tuple(got.get(k) for k in version_keys)
    if entry is not None and None not in versions and entry[0] == versions:
        return entry[1]
    if None in versions:
        current = _versions(set(deps))
        versions = tuple(current[d] for d in deps)
    value = compute()
    if None not in versions:
        cache.set(key, (versions, value), timeout)
    return value


def course_changed(course_id) -> None:
    bump(f"course:{course_id}")


# --- a teacher's own pages ---------------------------------------------------
#
# Signed-in pages are never cached whole (they carry CSRF tokens, nonces and
# messages), but the part of a teacher's own page that is a pure function of
# her data can be kept rendered (`fragment`). Such a fragment depends on
# "content" (what everyone sees), "teacher:<her TeacherProfile pk>" (every row
# of hers that her pages show) and "user:<her user pk>" (her roles and the use
# of what she published). Saves and deletes bump these through the signals
# below; updates and bulk inserts, which fire none, bump through
# `TeacherDataQuerySet` (the manager of every model listed here).

# Models whose rows a teacher's own pages show: the path from a row to the
# pk of her TeacherProfile.
PER_TEACHER = {
    ("accounts", "teacherprofile"): "pk",
    ("courses", "enrolment"): "teacher_id",
    ("courses", "lessonprogress"): "enrolment__teacher_id",
    ("courses", "quizattempt"): "enrolment__teacher_id",
    ("courses", "submission"): "enrolment__teacher_id",
    ("courses", "gradechange"): "submission__enrolment__teacher_id",
    ("courses", "sessionregistration"): "teacher_id",
    ("training", "assessmentattempt"): "teacher_id",
    ("training", "assessmentresult"): "teacher_id",
    ("credits", "creditrecord"): "teacher_id",
    ("credits", "credityeartotal"): "teacher_id",
    ("credits", "recognitionrequest"): "teacher_id",
    ("credits", "outsidecredential"): "teacher_id",
    ("credits", "transcript"): "teacher_id",
    ("badges", "issuedcredential"): "teacher_id",
    ("badges", "endorsement"): "credential__teacher_id",
    ("portfolios", "goal"): "teacher_id",
    ("portfolios", "evidence"): "teacher_id",
    ("portfolios", "evidencereview"): "evidence__teacher_id",
    ("portfolios", "sharelink"): "teacher_id",
    ("portfolios", "deletionrequest"): "teacher_id",
    ("studios", "membership"): "teacher_id",
    ("studios", "registration"): "teacher_id",
}
# Models whose rows her pages show, by the pk of her user.
PER_USER = {
    ("accounts", "roleassignment"): "user_id",
    # Whether she has unread messages (her dashboard reads them only then).
    ("accounts", "notification"): "user_id",
}
# Models outside the public pages' apps whose rows her pages show for
# everyone alike (issuers' and achievements' names).
SHARED_FOR_TEACHERS = {
    ("badges", "issuer"),
    ("badges", "achievementdefinition"),
    ("training", "instrument"),
    ("training", "instrumentitem"),
}
FRAGMENT_PREFIX = "fragment:"


def teacher_dependency(teacher_id) -> str:
    return f"teacher:{teacher_id}"


def user_dependency(user_id) -> str:
    return f"user:{user_id}"


def teacher_changed(*teacher_ids) -> None:
    deps = {teacher_dependency(t) for t in teacher_ids if t is not None}
    if deps:
        bump(*deps)


def user_changed(*user_ids) -> None:
    deps = {user_dependency(u) for u in user_ids if u is not None}
    if deps:
        bump(*deps)


def teacher_pages_dependencies(teacher) -> list[str]:
    """What every fragment of her own pages depends on."""
    return [CONTENT, teacher_dependency(teacher.pk), user_dependency(teacher.user_id)]


def fragment(parts, dependencies, compute, timeout: int = TIMEOUT):
    """`compute()` (a rendered fragment), kept while none of `dependencies`
    has changed since it was computed. `parts` name the fragment (page, her
    pk, ...); the language and today's date are part of the key too. One
    round trip to Redis on a hit; while Redis is down, computed every time."""
    from django.utils.translation import get_language

    raw = "|".join(
        [get_language() or "", timezone.localdate().isoformat()]
        + [str(p) for p in parts]
    ).encode()
    key = FRAGMENT_PREFIX + hashlib.sha256(raw).hexdigest()
    deps = list(dict.fromkeys(dependencies))
    version_keys = [_version_key(d) for d in deps]
    got = cache.get_many([key, *version_keys])
    versions = tuple(got.get(k) for k in version_keys)
    entry = got.get(key)
    if entry is not None and None not in versions and entry[0] == versions:
        return entry[1]
    if None in versions:
        made = _versions(set(deps))
        versions = tuple(made[d] for d in deps)
    # The versions as they were before computing: a change meanwhile makes
    # what is stored stale at once, never stale for good.
    value = compute()
    if None not in versions:
        if dbrouting.reads_from() == "replica":
            timeout = min(timeout, settings.REPLICA_PAGE_CACHE_SECONDS)
        cache.set(key, (versions, value), timeout)
    return value


@functools.cache
def _csrf_slot(secret: str) -> str:
    return "csrfslot" + hmac.new(secret.encode(), b"csrf-slot", "sha256").hexdigest()


def csrf_slot() -> str:
    """What a kept fragment holds where a form's CSRF token goes (render it
    with this as `csrf_token`): the same in every process, and unguessable to
    whoever writes what the fragment shows."""
    return _csrf_slot(settings.SECRET_KEY)


def with_csrf(request, html: str) -> str:
    """A kept fragment with her own, live CSRF token in its forms."""
    slot = csrf_slot()
    if slot not in html:
        return html
    from django.middleware.csrf import get_token

    return html.replace(slot, get_token(request))


def _walk(instance, path: str):
    obj = instance
    parts = path.split("__")
    for part in parts[:-1]:
        obj = getattr(obj, part)
    return getattr(obj, parts[-1])


def _teacher_rows_changed(label, instance) -> bool:
    """Bump her versions for a saved or deleted row; False if `label` is not
    one of hers."""
    if label in PER_TEACHER:
        try:
            teacher_changed(_walk(instance, PER_TEACHER[label]))
        except Exception:  # a related row already gone: invalidate everyone's
            bump(CONTENT)
        return True
    if label in PER_USER:
        user_changed(getattr(instance, PER_USER[label], None))
        return True
    if label in SHARED_FOR_TEACHERS:
        bump(CONTENT)
        return True
    return False


class TeacherDataQuerySet(models.QuerySet):
    """The manager's queryset of a model in PER_TEACHER or PER_USER: updates
    and bulk writes (which fire no signal) bump the versions of the teachers
    whose rows they touch. An update reads those teachers first (one query)."""

    def _dependency_ids(self, objs=None):
        label = (self.model._meta.app_label, self.model._meta.model_name)
        if label in PER_TEACHER:
            path, changed = PER_TEACHER[label], teacher_changed
        else:
            path, changed = PER_USER[label], user_changed
        if objs is not None:
            ids = set()
            for obj in objs:
                try:
                    ids.add(_walk(obj, path))
                except Exception:
                    return None, changed
            return ids, changed
        field = "pk" if path == "pk" else path.removesuffix("_id")
        return set(self.values_list(field, flat=True).distinct()), changed

    def update(self, **kwargs):
        ids, changed = self._dependency_ids()
        count = super().update(**kwargs)
        if count:
            changed(*ids)
        return count

    update.alters_data = True

    def bulk_create(self, objs, *args, **kwargs):
        objs = super().bulk_create(objs, *args, **kwargs)
        ids, changed = self._dependency_ids(objs)
        changed(*ids) if ids is not None else bump(CONTENT)
        return objs

    bulk_create.alters_data = True

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        count = super().bulk_update(objs, fields, *args, **kwargs)
        ids, changed = self._dependency_ids(objs)
        changed(*ids) if ids is not None else bump(CONTENT)
        return count

    bulk_update.alters_data = True


def studio_dependency(studio_path: str) -> str:
    return f"studio:{studio_path}"


def depends_on(request, dependency: str) -> None:
    """The page being rendered also shows what `dependency` versions."""
    deps = getattr(request, "_page_cache_deps", None)
    if deps is not None:
        deps.add(dependency)


def not_cacheable(request) -> None:
    """This answer changes something on each view (a counter): never store it."""
    request._page_cache_key = None


def _key(request, settings_shown=()) -> str:
    path = request.get_full_path()
    # The date: a page may say what is open or closed today.
    raw = "|".join(
        (
            request.scheme,
            request.get_host(),
            request.LANGUAGE_CODE,
            timezone.localdate().isoformat(),
            path,
            *(repr(getattr(settings, name, None)) for name in settings_shown),
        )
    ).encode()
    return KEY_PREFIX + hashlib.sha256(raw).hexdigest()


def _anonymous(request) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and getattr(settings, "MESSAGES_COOKIE_NAME", "messages") not in request.COOKIES
        and "messages" not in request.COOKIES
        and "HTTP_AUTHORIZATION" not in request.META
        and len(request.get_full_path()) <= MAX_PATH
    )


def _storable(request, response, forms: bool = False) -> bool:
    """Whether this answer is the same for every anonymous visitor. A page
    marked `cacheable(forms=True)` may carry CSRF tokens, set the CSRF cookie
    and say never-cache to browsers (Django's login view does): it is stored
    with the token taken out (`_without_csrf`) and served with each
    visitor's own."""
    if response.status_code != 200 or response.streaming:
        return False
    cookies = set(response.cookies)
    if cookies and not (forms and cookies <= {settings.CSRF_COOKIE_NAME}):
        return False
    if not response.get("Content-Type", "").startswith("text/html"):
        return False
    control = response.get("Cache-Control", "")
    if not forms and ("private" in control or "no-store" in control):
        return False
    if not forms and (
        request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        or request.META.get("CSRF_COOKIE_USED")
    ):
        return False
    session = getattr(request, "session", None)
    if session is not None and session.modified:
        return False
    nonce = getattr(request, "csp_nonce", None)
    if nonce and nonce.encode() in response.content:
        return False
    return True


def _cacheable_view(view_func) -> bool:
    return getattr(view_func, "anonymous_page_cache", False) or (
        view_func.__module__ == "wagtail.views" and view_func.__name__ == "serve"
    )


def cacheable(
    view_func=None, *, forms: bool = False, depends: tuple = (), settings_shown=()
):
    """Marks a view whose anonymous answer may be cached (see the module).
    `forms=True`: its page has forms with CSRF tokens (see `_storable`);
    `depends`: versions it depends on besides "content"; `settings_shown`:
    names of settings the page shows (their values are part of the key, so a
    deploy that changes them is not answered with the page as it was)."""

    def mark(func):
        func.anonymous_page_cache = True
        func.anonymous_page_forms = forms
        func.anonymous_page_depends = tuple(depends)
        func.anonymous_page_settings = tuple(settings_shown)
        return func

    return mark(view_func) if view_func is not None else mark


_TOKEN_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _without_csrf(body: bytes) -> bytes | None:
    """`body` with the CSRF token of its forms replaced by `csrf_slot()`, or
    None when it holds no token, or more than one (a page we do not know how
    to keep)."""
    text = body.decode("utf-8")
    tokens = set(_TOKEN_FIELD.findall(text))
    if len(tokens) != 1:
        return None
    (token,) = tokens
    return text.replace(token, csrf_slot()).encode("utf-8")


def _versions(deps) -> dict:
    """The current value of each version, made if missing (None while Redis
    is unavailable)."""
    keys = {_version_key(d): d for d in deps}
    current = cache.get_many(list(keys))
    missing = {k: time.time_ns() for k in keys if k not in current}
    if missing:
        for k, value in missing.items():
            cache.add(k, value, None)
        current.update(cache.get_many(list(missing)))
    return {d: current.get(k) for k, d in keys.items()}


class AnonymousPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        key = getattr(request, "_page_cache_key", None)
        forms = getattr(request, "_page_cache_forms", False)
        if key and _storable(request, response, forms):
            self._store(request, key, response, forms)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not _cacheable_view(view_func) or not _anonymous(request):
            return None
        key = _key(request, getattr(view_func, "anonymous_page_settings", ()))
        entry = cache.get(key)
        if entry:
            deps = entry["deps"]
            current = cache.get_many([_version_key(d) for d in deps])
            if all(
                current.get(_version_key(d)) == value and value is not None
                for d, value in deps.items()
            ):
                body = entry["body"]
                if entry.get("forms"):
                    # Her own token (and, if she has none yet, the CSRF
                    # cookie, set by CsrfViewMiddleware on the way out).
                    body = with_csrf(request, body.decode("utf-8"))
                response = HttpResponse(body, content_type=entry["content_type"])
                if entry.get("language"):
                    response["Content-Language"] = entry["language"]
                if entry.get("cache_control"):
                    response["Cache-Control"] = entry["cache_control"]
                    if entry.get("expires"):
                        response["Expires"] = entry["expires"]
                response["X-Page-Cache"] = "hit"
                return response
        request._page_cache_key = key
        request._page_cache_forms = getattr(view_func, "anonymous_page_forms", False)
        request._page_cache_deps = {
            CONTENT,
            *getattr(view_func, "anonymous_page_depends", ()),
        }
        # The versions as they were before rendering: a change while the page
        # renders makes the stored page stale at once, never stale forever.
        request._page_cache_before = _versions(request._page_cache_deps)
        return None

    def _store(self, request, key, response, forms: bool = False) -> None:
        body = response.content
        if forms:
            body = _without_csrf(body)
            if body is None:
                return
        deps = request._page_cache_deps
        versions = dict(request._page_cache_before)
        extra = deps - set(versions)
        if extra:
            versions.update(_versions(extra))
        if any(value is None for value in versions.values()):
            return  # Redis unavailable
        timeout = TIMEOUT_WITH_QUERY if request.META.get("QUERY_STRING") else TIMEOUT
        if dbrouting.reads_from() == "replica":
            # A replica may lag a change the versions already count: keep
            # what it rendered only briefly.
            timeout = min(timeout, settings.REPLICA_PAGE_CACHE_SECONDS)
        cache.set(
            key,
            {
                "deps": versions,
                "body": body,
                "content_type": response["Content-Type"],
                "language": response.get("Content-Language"),
                "forms": forms,
                "cache_control": response.get("Cache-Control") if forms else None,
                "expires": response.get("Expires") if forms else None,
            },
            timeout,
        )


def _changed(sender, instance=None, **kwargs):
    meta = sender._meta
    label = (meta.app_label, meta.model_name)
    if instance is not None:
        _teacher_rows_changed(label, instance)
    if meta.app_label == "courses" and meta.model_name in PER_COURSE:
        path = PER_COURSE[meta.model_name]
        course_id = _course_id(instance, path) if path else None
        if course_id is not None:
            course_changed(course_id)
            return
        bump(CONTENT)
        return
    if meta.app_label in WATCHED_APPS or label in WATCHED_MODELS:
        fields = kwargs.get("update_fields")
        if label == ("accounts", "user") and fields and set(fields) <= {"last_login"}:
            return  # signing in changes nothing a public page shows
        bump(CONTENT)


def _course_id(instance, path: str):
    obj = instance
    parts = path.split("__")
    try:
        for part in parts[:-1]:
            obj = getattr(obj, part)
        return getattr(obj, parts[-1])
    except Exception:  # a related row already gone: invalidate everything
        return None


def _m2m_changed(sender, instance=None, **kwargs):
    if kwargs.get("action", "").startswith("post_"):
        _changed(type(instance), instance)
        model = kwargs.get("model")
        if model is not None and kwargs.get("reverse"):
            # From the other side (an indicator's goals): her rows are in pk_set.
            label = (model._meta.app_label, model._meta.model_name)
            if label in PER_TEACHER or label in PER_USER:
                rows = model._default_manager.filter(pk__in=kwargs.get("pk_set") or ())
                ids, changed = TeacherDataQuerySet._dependency_ids(rows)
                changed(*ids)


def _content_changed(**kwargs):
    bump(CONTENT)


def connect() -> None:
    from wagtail.signals import page_published, page_unpublished, post_page_move

    for signal in (page_published, page_unpublished, post_page_move):
        signal.connect(_content_changed, dispatch_uid=f"pagecache-{id(signal)}")
    post_save.connect(_changed, dispatch_uid="pagecache-save")
    post_delete.connect(_changed, dispatch_uid="pagecache-delete")
    m2m_changed.connect(_m2m_changed, dispatch_uid="pagecache-m2m")


# --- Wagtail routing -------------------------------------------------------
#
# Wagtail finds a page by walking the tree from the site's root, one query and
# one `.specific` per level, then reads the view restrictions of the page and
# its ancestors: about 8 queries before any page renders, for every visitor.
# The route (path -> page) changes only with the page tree, so it is kept
# under the "content" version (any page saved, moved, published, unpublished
# or restricted bumps it), with the page itself as it was read then (each
# request unpickles its own copy). Routes to pages with view restrictions are
# never kept, so those are checked by Wagtail on every request as before.

ROUTE_PREFIX = "pageroute:"


def _no_view_restrictions():
    return ()


@cacheable
def serve(request, path):
    """Wagtail's serve view, with the route found in the cache when it can
    be; everything after the routing (hooks, page.serve) is Wagtail's own."""
    from wagtail import views as wagtail_views
    from wagtail.models import Page

    key = (
        ROUTE_PREFIX
        + hashlib.sha256(
            "|".join((request._get_raw_host(), request.LANGUAGE_CODE, path)).encode()
        ).hexdigest()
    )
    version_key = _version_key(CONTENT)
    got = cache.get_many([key, version_key])
    version, entry = got.get(version_key), got.get(key)
    if entry and version is not None and entry["version"] == version:
        _route_from(request, entry)
    if not hasattr(request, "_wagtail_route_for_request"):
        version = version or _versions({CONTENT})[CONTENT]
        result = Page.route_for_request(request, path)
        if result is not None and version is not None:
            _route_keep(request, key, version, *result)
    return wagtail_views.serve(request, path)


def _fields_of(model) -> tuple:
    return tuple(f.attname for f in model._meta.concrete_fields)


def _route_from(request, entry) -> None:
    from django.apps import apps
    from wagtail.url_routing import RouteResult

    model = apps.get_model(entry["model"])
    page = entry.get("instance")
    # The page as it was read when the route was kept, under the same
    # "content" version (every save, publish, unpublish and move of a page
    # bumps it): about 0.7 ms of ORM work less per request. A kept instance of
    # a model whose fields have changed since (a deploy) is not used.
    if page is None or entry.get("fields") != _fields_of(model):
        page = model.objects.filter(pk=entry["page"], live=True).first()
    if page is None or not page.live:
        return
    request._wagtail_site = entry["site"]
    # Kept only for pages without view restrictions (see _route_keep).
    page.get_view_restrictions = _no_view_restrictions
    request._wagtail_route_for_request = RouteResult(page)


def _route_keep(request, key, version, page, args, kwargs) -> None:
    site = getattr(request, "_wagtail_site", None)
    if args or kwargs or site is None or page.get_view_restrictions().exists():
        return
    cache.set(
        key,
        {
            "version": version,
            "model": page._meta.label,
            "page": page.pk,
            "site": site,
            "instance": page if page.live else None,
            "fields": _fields_of(type(page)),
        },
        TIMEOUT,
    )
