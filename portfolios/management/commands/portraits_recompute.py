import time

from django.core.management.base import BaseCommand

from portfolios.compute import portraits_recompute


class Command(BaseCommand):
    help = "Recompute every teacher's portrait (what the nightly task does)."

    def handle(self, *args, **options):
        started = time.perf_counter()
        count = portraits_recompute()
        self.stdout.write(f"{count} portraits in {time.perf_counter() - started:.1f} s")
