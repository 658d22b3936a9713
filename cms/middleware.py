"""Site-wide middleware: the interface language, and query counts for benchmarks."""

from django.conf import settings
from django.db import connection
from django.middleware.locale import LocaleMiddleware
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.translation import check_for_language


class QueryCountHeaderMiddleware:
    """Benchmark-only: reports the SQL queries a request ran."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with CaptureQueriesContext(connection) as queries:
            response = self.get_response(request)
        response["X-Query-Count"] = str(len(queries))
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
