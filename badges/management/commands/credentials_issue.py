"""Issue the credentials of ledger records that have none yet (a backfill after
an outage, or when credentials are switched on for an existing ledger)."""

from django.core.management.base import BaseCommand

from credits.selectors import ledger_records


class Command(BaseCommand):
    help = "Queue credential issuing for every ledger record without a credential."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=200)
        parser.add_argument(
            "--now", action="store_true", help="sign here instead of queueing"
        )

    def handle(self, *args, batch, now, **options):
        from badges.services import credentials_issue
        from badges.tasks import credentials_issue_task

        ids = list(
            ledger_records()
            .filter(credential__isnull=True, reverses__isnull=True, hours__gt=0)
            .order_by("seq")
            .values_list("pk", flat=True)
        )
        made = 0
        for start in range(0, len(ids), batch):
            chunk = ids[start : start + batch]
            if now:
                made += credentials_issue(chunk)
            else:
                credentials_issue_task.delay(chunk)
        verb = "Issued" if now else "Queued"
        self.stdout.write(f"{verb} {made if now else len(ids)} credentials.")
