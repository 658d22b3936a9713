"""Links to many Wagtail pages with one look-up of the site root paths.

`page.url` without a request asks the cache for the site root paths once per
page object (a Redis round trip per link on a list). `share_site_root_paths`
reads them once and hands them to every page, as Wagtail does itself for the
pages of one request; they are the same figures Wagtail would read."""

from __future__ import annotations

from collections.abc import Iterable


def share_site_root_paths(pages: Iterable) -> None:
    pages = [page for page in pages if page is not None]
    if not pages:
        return
    from wagtail.models import Site

    paths = Site.get_site_root_paths()
    for page in pages:
        page._wagtail_cached_site_root_paths = paths
