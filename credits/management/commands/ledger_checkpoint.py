"""Write a signed checkpoint of the ledger head to LEDGER_CHECKPOINT_DIR (celery
beat does this on a schedule; run it by hand before and after maintenance)."""

from django.core.management.base import BaseCommand

from credits.checkpoints import checkpoint_location, checkpoint_write


class Command(BaseCommand):
    help = "Write a signed checkpoint of the credit ledger's head."

    def handle(self, *args, **options):
        path = checkpoint_write()
        if path is None:
            self.stdout.write(
                f"ledger_checkpoint: the head has not moved since the last "
                f"checkpoint in {checkpoint_location()}; nothing written."
            )
        else:
            self.stdout.write(self.style.SUCCESS(f"ledger_checkpoint: wrote {path}"))
