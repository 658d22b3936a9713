"""Rebuild what the data migrations create (the Wagtail tree with the home page,
and the JY/T 0646 framework) after a transactional test flushed the database."""

import json
from pathlib import Path

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from wagtail.models import Locale, Page, Site

from cms.models import HomePage
from training.services import framework_load

FRAMEWORK = Path(settings.BASE_DIR) / "training" / "data" / "jyt0646-2022.json"


def ensure_base_content() -> None:
    # The flush recreated content types under new ids; forget the cached ones.
    ContentType.objects.clear_cache()
    if not Site.objects.exists():
        Locale.objects.get_or_create(language_code="zh-hans")
        root = Page.get_first_root_node() or Page.add_root(title="Root", slug="root")
        home = root.add_child(instance=HomePage(title="教师数字素养平台", slug="home"))
        Site.objects.create(
            hostname="localhost",
            port=80,
            root_page=home,
            is_default_site=True,
            site_name="教师数字素养平台",
        )
    framework_load(data=json.loads(FRAMEWORK.read_text(encoding="utf-8")))
