"""Build the demo site: a believable district and what its people have done.
Running it again changes nothing."""

from django.core.management.base import BaseCommand
from django.test import override_settings

from cms.accounts.demo import DEMO_PASSWORD, DemoPeople
from cms.studios.demo import seed_studios
from credits.demo import seed_credits
from portfolios.compute import portraits_recompute
from training.courses.demo import seed_courses
from training.demo import seed_training


class Command(BaseCommand):
    help = (
        "Create the demo district (one city, two districts, six schools, 300 teachers)."
    )

    def handle(self, *args, **options):
        logins = DemoPeople(self.stdout).build()
        self.stdout.write(seed_training())
        self.stdout.write(seed_courses())
        self.stdout.write(seed_credits())
        # Moderation emails of the demo content are not worth printing.
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"
        ):
            self.stdout.write(seed_studios())
        self.stdout.write(f"教师画像已计算 {portraits_recompute()} 份。")
        self.stdout.write(self.style.SUCCESS(f"演示账号（密码均为 {DEMO_PASSWORD}）："))
        for label, email in logins:
            self.stdout.write(f"  {label}：{email}")
