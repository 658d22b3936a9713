"""Keep the course catalogue's index page in place however the site is set up
(migrate, seed commands)."""

from django.db.models.signals import post_migrate


def ensure_catalogue(sender, **kwargs):
    from wagtail.models import Site

    from .services import catalogue_ensure

    if Site.objects.filter(is_default_site=True).exists():
        catalogue_ensure()


def connect(app_config):
    post_migrate.connect(
        ensure_catalogue, sender=app_config, dispatch_uid="courses_catalogue"
    )
