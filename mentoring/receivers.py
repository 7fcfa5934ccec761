"""Milestones that other apps' events reach (mentoring uses orders; orders never imports mentoring).

Each receiver re-checks the seller's milestones from marketplace data (`milestones_refresh`), so one rule decides
them whichever event came first. The signals are sent after commit, so the data read is the committed data."""

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from community.models import Member
from mentoring.services import milestones_refresh
from orders.hooks import order_parties
from orders.models import OrderEvent, OrderState, ReviewRole
from orders.signals import order_completed, review_published


def _refresh(member_ids: set[int]) -> None:
    for member in Member.objects.filter(pk__in=sorted(member_ids), is_active=True):
        milestones_refresh(member=member)


@receiver(order_completed, dispatch_uid="mentoring.first_sale")
def first_sale_reached(sender, order, **kwargs) -> None:
    """A seller's completed order may reach their `first_sale` (and defect-rate) milestones."""
    _refresh({order.seller_id})


@receiver(review_published, dispatch_uid="mentoring.reviews")
def reviews_published(sender, reviews, **kwargs) -> None:
    """Buyers' reviews of sellers, once published, may reach the sellers' review milestones."""
    _refresh({review.subject_id for review in reviews if review.author_role == ReviewRole.BUYER})


@receiver(post_save, sender=OrderEvent, dispatch_uid="mentoring.order_resolved")
def order_resolved(sender, instance: OrderEvent, created: bool, **kwargs) -> None:
    """A dispute resolved changes the seller's defect rate. Orders sends no signal for it, so this listens for the
    audit event of the move to `resolved`, and re-checks after the resolution commits."""
    if created and instance.to_state == OrderState.RESOLVED:
        order_id = instance.order_id
        transaction.on_commit(lambda: _refresh_order_seller(order_id), robust=True)


def _refresh_order_seller(order_id: int) -> None:
    parties = order_parties(order_ref=order_id)
    if parties is not None:
        _refresh({parties[1]})
