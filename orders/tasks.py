"""Background work for orders (Celery): emails, gateway calls that wait for commit, and the timeouts.

Every task is idempotent: the timeouts pick orders that are due from selectors and call one service each, which
locks the order and checks its state again, so a task run twice (or two workers at once) moves each order once.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.exceptions import ValidationError

from orders import selectors, services
from orders.gateways import GatewayError
from orders.notifications import order_email_send

logger = logging.getLogger(__name__)


@shared_task(name="orders.email_send", acks_late=True, ignore_result=True)
def email_send(order_id: int, email: str, recipient: str) -> bool:
    return order_email_send(order_id=order_id, email=email, recipient=recipient)


@shared_task(name="orders.refund_send", acks_late=True, ignore_result=True)
def refund_send(refund_id: int) -> None:
    try:
        services.refund_send(refund_id=refund_id)
    except GatewayError:
        logger.warning("Refund %s not sent; the retry task will send it again", refund_id, exc_info=True)


@shared_task(name="orders.payout_send", acks_late=True, ignore_result=True)
def payout_send(payout_id: int) -> None:
    try:
        services.payout_send(payout_id=payout_id)
    except GatewayError:
        logger.warning("Payout %s not sent; the retry task will send it again", payout_id, exc_info=True)


def _each(order_ids: list[int], service, **kwargs) -> int:
    done = 0
    for order_id in order_ids:
        try:
            service(order_id=order_id, **kwargs)
        except ValidationError:
            continue  # the order moved on since it was selected
        done += 1
    return done


@shared_task(name="orders.payouts_scheduled")
def payouts_scheduled() -> int:
    """Weekly: pays every seller whose available balance reaches the minimum (services.payouts_scheduled)."""
    return len(services.payouts_scheduled())


@shared_task(name="orders.requests_expire")
def requests_expire() -> int:
    """Requests to book the seller did not answer in time: expired, the buyer refunded."""
    return _each(selectors.orders_requests_due_to_expire(), services.order_expire)


@shared_task(name="orders.payments_abandon")
def payments_abandon() -> int:
    """Payments never completed (authentication abandoned): cancelled, stock or slot given back."""
    return _each(selectors.orders_payments_abandoned(), services.order_payment_abandon)


@shared_task(name="orders.bookings_fulfil")
def bookings_fulfil() -> int:
    """Bookings that have ended are fulfilled."""
    return _each(selectors.orders_bookings_due_to_fulfil(), services.order_fulfil)


@shared_task(name="orders.orders_complete")
def orders_complete() -> int:
    """Fulfilled orders past their confirmation window complete and release (a disputed order is not fulfilled)."""
    return _each(selectors.orders_due_to_complete(), services.order_complete)


@shared_task(name="orders.reminders_send")
def reminders_send() -> int:
    """Reminders before each timeout, once each."""
    due = selectors.reminders_due()
    return sum(services.order_reminder_send(order_id=order_id, kind=kind) for order_id, kind in due)


@shared_task(name="orders.gateway_calls_retry")
def gateway_calls_retry() -> int:
    """Refunds and payouts still pending after a while are sent again, with their original idempotency keys."""
    sent = 0
    for refund_id in selectors.refunds_to_retry():
        refund_send(refund_id)
        sent += 1
    for payout_id in selectors.payouts_to_retry():
        payout_send(payout_id)
        sent += 1
    return sent


@shared_task(name="orders.disputes_escalate")
def disputes_escalate() -> int:
    """Disputes the seller did not answer in time, or the parties did not settle: handed to the moderators."""
    return _each(selectors.disputes_due_to_escalate(), services.dispute_escalate)


@shared_task(name="orders.reviews_publish")
def reviews_publish() -> int:
    """Reviews whose window closed without the other side's: counted in the ratings."""
    from orders.reviews import reviews_publish_due

    return reviews_publish_due()
