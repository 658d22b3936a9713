"""The one application error: a refusal whose message is written for the
person who asked (in Chinese, through gettext), with optional details.

Services raise it; views do not catch it one by one. The decorator
`application_errors` (and `ApplicationErrorMixin` for class-based views) turns it
into a message for the user in one place. This module imports only Django, so
every layer may use it."""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    """A refused action. `message` is shown to the user as it is; `extra`
    carries details for callers that need more than the text."""

    def __init__(self, message: str = "", extra: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.extra = extra or {}

    def __str__(self) -> str:
        return str(self.message)
