"""The one application error: a refusal whose message is written for the
person who asked (in Chinese, through gettext), with optional details.

Services raise it; views do not catch it one by one: the decorator
`application_errors` turns it into a message for the user in one place. This
module imports only Django, so every layer may use it."""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect


class MailUnavailable(Exception):
    """The mail server could not take a message (raised by the account
    adapter; answered with a 503 page by cms.security instead of a server
    error)."""


class ApplicationError(Exception):
    """A refused action. `message` is shown to the user as it is; `extra`
    carries details for callers that need more than the text."""

    def __init__(self, message: str = "", extra: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.extra = extra or {}

    def __str__(self) -> str:
        return str(self.message)


def wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "") or (
        request.headers.get("X-Requested-With") == "XMLHttpRequest"
    )


def application_errors(view=None, *, back=None, json: bool = False):
    """The one place a refusal becomes what the user sees. An `ApplicationError`
    raised in the view gives a request that wants JSON `{"error": message}`
    with status 400; any other request gets the message shown at the top of
    the next page and is redirected to `back(request, *args, **kwargs)` (a
    URL), by default the page she posted to; `json=True` answers JSON whatever
    the request asked for (endpoints only scripts call). Pages with a form put
    the message on the form instead (`form.add_error(None, str(error))`)."""

    def decorate(func):
        @wraps(func)
        def wrapper(request, *args, **kwargs):
            try:
                return func(request, *args, **kwargs)
            except ApplicationError as error:
                if json or wants_json(request):
                    return JsonResponse({"error": str(error)}, status=400)
                messages.error(request, str(error))
                target = back(request, *args, **kwargs) if back else request.path
                return redirect(target)

        return wrapper

    return decorate(view) if view is not None else decorate
