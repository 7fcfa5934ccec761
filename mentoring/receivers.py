"""Milestones that other apps' events reach (mentoring uses orders; orders never imports mentoring)."""

from django.dispatch import receiver

from mentoring.models import MilestoneKind
from mentoring.services import milestone_achieve
from orders.signals import order_completed


@receiver(order_completed, dispatch_uid="mentoring.first_sale")
def first_sale_reached(sender, order, **kwargs) -> None:
    """A seller's completed order reaches their `first_sale` milestones (once: milestone_achieve is idempotent)."""
    milestone_achieve(member=order.seller, kind=MilestoneKind.FIRST_SALE)
