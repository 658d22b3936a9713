"""Keep the course catalogue's index page in place however the site is set up
(migrate, seed commands), and look at completions again when an author
publishes a changed course."""

from django.db.models.signals import post_migrate


def ensure_catalogue(sender, **kwargs):
    from wagtail.models import Site

    from .services import catalogue_ensure

    if Site.objects.filter(is_default_site=True).exists():
        catalogue_ensure()


def course_published(sender, instance, **kwargs):
    """A published revision may have dropped a lesson or relaxed the rule:
    enrolments that now meet it are completed in the background."""
    from cms.shared.reliability import enqueue

    from .tasks import course_completions_recheck_task

    # Queued after the publish commits; a broker outage is logged rather than
    # turning the (already committed) publish into an error page.
    enqueue(course_completions_recheck_task, instance.pk)


def connect(app_config):
    from wagtail.signals import page_published

    from .models import CoursePage

    post_migrate.connect(
        ensure_catalogue, sender=app_config, dispatch_uid="courses_catalogue"
    )
    page_published.connect(
        course_published, sender=CoursePage, dispatch_uid="courses_recheck"
    )
