"""Site-wide middleware: the signed-in user, the interface language, and
query counts for benchmarks."""

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.db import connection
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.functional import SimpleLazyObject
from django.utils.translation import check_for_language


def _signed_in_user(request):
    if not hasattr(request, "_cached_user"):
        from cms.accounts.backends import RENAMED

        session = request.session
        if session.get(BACKEND_SESSION_KEY) in RENAMED:
            session[BACKEND_SESSION_KEY] = RENAMED[session[BACKEND_SESSION_KEY]]
        request._cached_user = auth.get_user(request)
    return request._cached_user


class SiteAuthenticationMiddleware(AuthenticationMiddleware):
    """Django's, with sessions signed in through Django's or allauth's own
    backend moved to this site's subclasses of them (cms.accounts.backends),
    which load the user, her roles and her teacher profile in one query: such
    sessions stay signed in. What `auth.get_user` checks is unchanged."""

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _signed_in_user(request))


class QueryCountHeaderMiddleware:
    """Benchmark-only: reports the SQL queries a request ran. It counts them
    and nothing more (Django's CaptureQueriesContext would also format and keep
    every statement, a cost the pages it measures do not have in production)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count = [0]

        def counted(execute, sql, params, many, context):
            count[0] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counted):
            response = self.get_response(request)
        response["X-Query-Count"] = str(count[0])
        return response


class SiteLanguageMiddleware(LocaleMiddleware):
    """Simplified Chinese unless the visitor chose another language.

    Django's own middleware follows the browser's Accept-Language, which would
    greet most visitors of a Chinese platform in English; here only the language
    cookie set by the switcher changes the language."""

    def process_request(self, request):
        code = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if code not in dict(settings.LANGUAGES) or not check_for_language(code):
            code = settings.LANGUAGE_CODE
        translation.activate(code)
        request.LANGUAGE_CODE = translation.get_language()
