"""The catalogue index page."""

from __future__ import annotations


def catalogue_ensure():
    """The catalogue index under the home page."""
    from wagtail.models import Site

    from ..models import CatalogueIndexPage

    index = CatalogueIndexPage.objects.first()
    if index is None:
        home = Site.objects.get(is_default_site=True).root_page
        index = home.add_child(
            instance=CatalogueIndexPage(
                title="课程目录",
                slug="courses",
                intro="对标《教师数字素养》（JY/T 0646—2022）的研修课程。",
            )
        )
    return index
