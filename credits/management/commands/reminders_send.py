"""Send now what celery beat sends on a schedule (credit-hour reminders on
the first of October, November and December), for `make run`, which starts
no beat. Each teacher is reminded once a month, so running it again sends
nothing new."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from credits.services import compliance_reminders_send


class Command(BaseCommand):
    help = "Remind teachers under this year's minimum hours (email and on the site)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            help="the day to act as if it were (YYYY-MM-DD); default today",
        )

    def handle(self, *args, **options):
        on = None
        if options["date"]:
            try:
                on = datetime.date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError(
                    "日期格式应为 YYYY-MM-DD，例如 2026-10-01。"
                ) from exc
        sent = compliance_reminders_send(on=on)
        self.stdout.write(f"已发送学时提醒 {sent} 条（站内消息与邮件）。")
