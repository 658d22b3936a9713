"""Recompute the per-teacher yearly totals from the ledger (derived data)."""

from django.core.management.base import BaseCommand

from credits.services import credit_totals_rebuild


class Command(BaseCommand):
    help = "Rebuild CreditYearTotal from the credit ledger."

    def handle(self, *args, **options):
        count = credit_totals_rebuild()
        self.stdout.write(self.style.SUCCESS(f"已重建 {count} 行年度学时合计。"))
