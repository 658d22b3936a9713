"""What the selectors' modules share: the framework, the page size, the
pager's query string."""

from __future__ import annotations

from training.framework import FRAMEWORK_CODE

FRAMEWORK = FRAMEWORK_CODE
PAGE_SIZE = 20


def _querystring(request) -> str:
    """The query string without the page number, for the pager's links."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
