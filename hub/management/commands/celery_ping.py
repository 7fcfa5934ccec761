from django.core.management.base import BaseCommand, CommandError

from hub.tasks import ping


class Command(BaseCommand):
    help = "Sends a task through the broker and waits for a worker's answer."

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=30)

    def handle(self, *args, timeout: float, **options):
        result = ping.delay()
        try:
            answer = result.get(timeout=timeout)
        except Exception as exc:
            raise CommandError(f"No worker answered within {timeout}s: {exc!r}") from exc
        self.stdout.write(answer)
