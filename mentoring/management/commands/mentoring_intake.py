"""Runs the intake solver for every mentee without a mentor and proposes the mentorships it finds."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from mentoring import selectors, services


class Command(BaseCommand):
    help = (
        "Assigns every mentee without a mentor (no request waiting either) to the mentors with places left, "
        "maximising the total match score, and proposes those mentorships. Prints the total score."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Solve and print, but propose nothing.")

    def handle(self, *args, dry_run: bool = False, **options):
        with transaction.atomic():
            result = services.intake_run(
                mentees=selectors.mentees_without_mentor(), mentors=selectors.mentors_for_matching()
            )
            if dry_run:
                transaction.set_rollback(True)
        assignment = result.assignment
        for match in assignment.matches:
            self.stdout.write(f"mentee {match.mentee_id} -> mentor {match.mentor_id}: {match.score}")
        self.stdout.write(
            f"Assigned {len(assignment.matches)} mentees, {len(assignment.unassigned_mentee_ids)} left unassigned."
        )
        verb = "would be proposed" if dry_run else "proposed"
        self.stdout.write(
            self.style.SUCCESS(f"Total score: {assignment.total_score} ({len(result.mentorships)} {verb}).")
        )
