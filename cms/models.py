"""The Wagtail home page. Studio pages join it here when that issue lands."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page


class HomePage(Page):
    hero_title = models.CharField(_("主标题"), max_length=120, blank=True)
    hero_text = models.TextField(_("导语"), blank=True)
    body = RichTextField(_("正文"), blank=True)

    content_panels = Page.content_panels + [
        FieldPanel("hero_title"),
        FieldPanel("hero_text"),
        FieldPanel("body"),
    ]
    max_count = 1

    class Meta:
        verbose_name = _("首页")
