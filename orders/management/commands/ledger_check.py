from django.core.management.base import BaseCommand, CommandError

from orders.ledger_check import ledger_problems


class Command(BaseCommand):
    help = "Checks every ledger invariant over the whole ledger; exits non-zero, naming the rows, when one fails."

    def handle(self, *args, **options):
        problems = ledger_problems()
        if problems:
            for problem in problems:
                self.stderr.write(str(problem))
            raise CommandError(f"{len(problems)} ledger invariant violation(s).")
        self.stdout.write(
            self.style.SUCCESS(
                "Ledger OK: every transaction balances, no balance went negative, closed orders hold no escrow."
            )
        )
