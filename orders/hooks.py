"""What other apps ask of orders through settings, without importing orders' internals (community must not
depend on orders): the messaging app's "is there a paid order between these two?" and "who are an order's
parties?" (settings MESSAGING_PAID_ORDER_CHECK and MESSAGING_ORDER_PARTIES point here)."""

from __future__ import annotations

from django.db.models import Q

from orders.models import Order, OrderState

# Money has been taken and the seller has taken the order on: fulfilment may need a phone number or an address.
PAID_STATES = frozenset(
    {
        OrderState.ACCEPTED,
        OrderState.PAID,
        OrderState.FULFILLED,
        OrderState.COMPLETED,
        OrderState.RELEASED,
        OrderState.DISPUTED,
        OrderState.RESOLVED,
    }
)


def paid_order_exists(*, buyer_id: int, seller_id: int) -> bool:
    """Whether the two members have a paid order between them, in either direction."""
    pair = Q(buyer_id=buyer_id, seller_id=seller_id) | Q(buyer_id=seller_id, seller_id=buyer_id)
    return Order.objects.filter(pair, state__in=PAID_STATES).exists()


def order_parties(*, order_ref: int) -> tuple[int, int] | None:
    """(buyer id, seller id) of an order, or None when there is no such order."""
    return Order.objects.filter(pk=order_ref).values_list("buyer_id", "seller_id").first()
