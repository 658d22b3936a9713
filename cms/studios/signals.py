"""Keep the studio directory, its workflow and leaders' memberships in place
however studios are created (migrate, the Wagtail admin, seed commands)."""

from django.db.models.signals import post_migrate, post_save
from django.dispatch import receiver
from django.utils import timezone


def ensure_directory(sender, **kwargs):
    from wagtail.models import Site

    from .services import ensure_index

    if Site.objects.filter(is_default_site=True).exists():
        ensure_index()


@receiver(post_save, dispatch_uid="studios_leader_membership")
def leader_membership(sender, instance, **kwargs):
    from .models import Membership, StudioPage

    if not isinstance(instance, StudioPage) or kwargs.get("raw"):
        return
    profile = getattr(instance.leader, "teacher_profile", None)
    if profile is None:
        return
    Membership.objects.get_or_create(
        studio=instance,
        teacher=profile,
        role=Membership.Role.LEADER,
        status=Membership.Status.ACTIVE,
        defaults={"starts_on": timezone.localdate(), "decided_at": timezone.now()},
    )


def connect(app_config):
    post_migrate.connect(
        ensure_directory, sender=app_config, dispatch_uid="studios_directory"
    )
