"""The role-aware landing page after login, the sign-in page as kept for
visitors, and the language switcher."""

import functools

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cms.shared import pagecache
from training.selectors import latest_result_of

from .accounts import scopecache, scoping, selectors
from .accounts.adapter import DATABASE_APPS
from .accounts.models import Role, RoleAssignment


@login_required
def dashboard(request):
    """Her landing page. What is a pure function of her roles, profile,
    latest self-assessment and (for HR) her organisations' counts is kept
    rendered (`_kept`); the unread notifications (marked read as they are
    shown) and a trainer's or studio leader's work are read live, when
    `_what_to_read` says there are any: its three answers are kept under
    "content" and her user version, which her messages bump."""
    user = request.user
    roles = scoping.user_roles(user)
    profile = getattr(user, "teacher_profile", None)
    trains, leads, unread = pagecache.cached(
        f"what-to-read:{user.pk}",
        # Courses' trainers and studios' leaders are page content; her
        # messages bump her user version (pagecache.PER_USER).
        [pagecache.CONTENT, pagecache.user_dependency(user.pk)],
        lambda: _what_to_read(user),
    )
    notifications = []
    if unread:
        notifications = list(user.notifications.filter(read_at__isnull=True)[:5])
    if notifications:
        # (Through her notifications' manager: bumps her user version.)
        user.notifications.filter(pk__in=[n.pk for n in notifications]).update(
            read_at=timezone.now()
        )
    kept = _kept(user, roles, profile)
    context = {
        "notifications": notifications,
        "kept": {k: mark_safe(kept[k]) for k in ("mine", "org")},  # noqa: S308
        "summary": kept["summary"],
    }
    context.update(_work_of(user, roles, trains=trains, leads=leads))
    return render(request, "dashboard.html", context)


def _what_to_read(user) -> tuple[bool, bool, bool]:
    """In one query: does she train a live course, lead a live studio, have
    unread notifications? What is not there is then not read at all. The
    query's SQL is the same for everyone but her pk: Django compiles it once
    per process and database (`_what_to_read_sql`), which is most of its cost."""
    from django.contrib.auth import get_user_model
    from django.db import connections, router

    alias = router.db_for_read(get_user_model())
    compiled = _what_to_read_sql(alias)
    if compiled is None:
        row = _what_to_read_query(user.pk).using(alias).first()
    else:
        sql, params, at = compiled
        params = [*params[:at], user.pk, *params[at + 1 :]]
        with connections[alias].cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
    if row is None:  # her account was deleted meanwhile
        return False, False, False
    return tuple(bool(flag) for flag in row)


# A pk no user has: where her pk goes among the compiled query's parameters.
_PK_PLACEHOLDER = -424242


@functools.cache
def _what_to_read_sql(alias: str) -> tuple[str, tuple, int] | None:
    """The SQL of `_what_to_read_query` and its parameters, with the position
    of her pk among them (None if it is not there exactly once: then the ORM
    runs the query each time)."""
    query = _what_to_read_query(_PK_PLACEHOLDER).using(alias).query
    sql, params = query.get_compiler(using=alias).as_sql()
    places = [n for n, p in enumerate(params) if p == _PK_PLACEHOLDER]
    if len(places) != 1:
        return None
    return sql, tuple(params), places[0]


def _what_to_read_query(pk):
    from django.contrib.auth import get_user_model

    from cms.studios.selectors import live_studios_with_leader
    from training.courses.selectors import live_courses_with_trainer

    from .accounts.models import Notification

    mine = OuterRef("pk")
    return (
        get_user_model()
        .objects.filter(pk=pk)
        .annotate(
            trains=Exists(live_courses_with_trainer(mine)),
            leads=Exists(live_studios_with_leader(mine)),
            unread=Exists(Notification.objects.filter(user=mine, read_at__isnull=True)),
        )
        .values_list("trains", "leads", "unread")
    )


def _kept(user, roles, profile) -> dict:
    """Her roles, profile, latest result and her organisations' summary,
    rendered: {"mine": html, "org": html, "summary": dict or None}. Kept
    (cms/shared/pagecache.py `fragment`) under her scope (scopecache.scope_key:
    her user and her HR scopes) and her profile, while none of these versions
    changed: "content" (names of users and organisations, any teacher
    profile), "user:<her pk>" (her role assignments), "teacher:<her profile>"
    (her profile and assessment results) and, with a summary, the teachers'
    version (scopecache.TEACHERS: any teacher or organisation)."""
    is_admin = Role.PLATFORM_ADMIN in roles
    hr_scopes = scoping.hr_scopes(user)
    with_summary = is_admin or bool(hr_scopes)
    dependencies = [pagecache.CONTENT, pagecache.user_dependency(user.pk)]
    if profile is not None:
        dependencies.append(pagecache.teacher_dependency(profile.pk))
    if with_summary:
        dependencies += scopecache.teacher_dependencies()

    def compute() -> dict:
        summary = selectors.organisation_summary(user=user) if with_summary else None
        context = {
            "assignments": list(
                RoleAssignment.objects.filter(user=user)
                .select_related("organisation")
                .order_by("role")
            ),
            "profile": profile,
            "latest_result": (
                latest_result_of(teacher=profile) if profile is not None else None
            ),
            "list_sep": _("、"),
            "is_admin": is_admin,
            "is_hr": bool(hr_scopes),
            "hr_scopes": hr_scopes,
            "summary": summary,
        }
        return {
            "mine": render_to_string("dashboard/_mine.html", context),
            "org": render_to_string("dashboard/_org.html", context),
            "summary": summary,
        }

    return pagecache.fragment(
        ("dashboard", scopecache.scope_key(user), profile.pk if profile else ""),
        dependencies,
        compute,
    )


def _work_of(user, roles, *, trains: bool, leads: bool) -> dict:
    """Where a trainer's and a studio leader's work starts: her courses with
    what waits for grading, her sessions' check-in screens, her studios.
    `trains` and `leads` (from `_what_to_read`) say whether she trains a live
    course or leads a live studio: without either, and without the trainer's
    role, nothing here is shown and nothing is read."""
    from cms.studios.selectors import studios_led_by
    from portfolios.selectors import reviews_waiting_for
    from training.courses.selectors import sessions_soon, trained_by

    out = {}
    if not (trains or leads or Role.TRAINER in roles):
        return out
    reviews = reviews_waiting_for(user)
    courses = trained_by(user) if trains else []
    if Role.TRAINER in roles or courses:
        out["trainer"] = {
            "courses": courses,
            "waiting": sum(c.waiting for c in courses),
            "sessions": sessions_soon(courses=courses, now=timezone.now()),
            "reviews": reviews,
        }
    studios = studios_led_by(user, now=timezone.now()) if leads else []
    if studios:
        out["leader"] = {"studios": studios, "reviews": reviews}
    return out


@require_GET
def switch_language(request):
    """The header's language switcher: a plain link-like GET, so that the
    pages carrying it hold no CSRF token and can be cached for visitors who
    are not signed in. It only sets the language cookie (as Django's
    set_language does) and goes back to `next` when that is on this site."""
    code = request.GET.get("language", "")
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if code in dict(settings.LANGUAGES) and check_for_language(code):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response


@pagecache.cacheable(
    forms=True,
    depends=(DATABASE_APPS,),
    settings_shown=("SOCIALACCOUNT_PROVIDERS", "SOCIALACCOUNT_ONLY"),
)
def sign_in(request, *args, **kwargs):
    """allauth's sign-in page. For a visitor without a session or pending
    messages its GET is the same for everyone but the CSRF token: kept by the
    anonymous page cache with the token taken out and hers put in
    (cms/shared/pagecache.py); everything else, POST included, is allauth's."""
    from allauth.account.views import login

    return login(request, *args, **kwargs)
