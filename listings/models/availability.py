from django.db import models
from django.utils.translation import gettext_lazy as _


class AvailabilityRule(models.Model):
    """One weekly window when a booking listing can be booked (weekday 0 is Monday)."""

    listing = models.ForeignKey("listings.Listing", on_delete=models.CASCADE, related_name="availability_rules")
    weekday = models.PositiveSmallIntegerField(
        choices=[
            (i, d)
            for i, d in enumerate(
                [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday")]
            )
        ]
    )
    start_time = models.TimeField()
    end_time = models.TimeField()

    class Meta:
        ordering = ["weekday", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_time__gt=models.F("start_time")), name="rule_ends_after_start"
            ),
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="rule_weekday_range"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class AvailabilityException(models.Model):
    """A date that departs from the weekly plan: blocked all day, or open with its own hours."""

    listing = models.ForeignKey("listings.Listing", on_delete=models.CASCADE, related_name="availability_exceptions")
    date = models.DateField()
    blocked = models.BooleanField(default=True)
    start_time = models.TimeField(null=True, blank=True)
    end_time = models.TimeField(null=True, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["listing", "date"], name="one_exception_per_day")]

    def __str__(self) -> str:
        return f"{self.date} {'blocked' if self.blocked else 'open'}"
