"""Order emails: plain text from templates/orders/email/<name>.txt, subjects here. Sent by a Celery task after
the transaction that caused them has committed (orders.services._notify), which also leaves the same news as an
in-site notification (`notification_text`)."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from orders.models import Order
from orders.pricing import money_display
from orders.services import completion_due_at

SUBJECTS = {
    "order_placed": _("Your order for “%(title)s”"),
    "order_received": _("New order for “%(title)s”"),
    "request_sent": _("Your request for “%(title)s” is with the seller"),
    "request_received": _("New request to book “%(title)s”: please answer"),
    "request_accepted": _("Your booking of “%(title)s” is confirmed"),
    "request_declined": _("Your request for “%(title)s” was declined"),
    "request_expired": _("Your request for “%(title)s” expired"),
    "request_expiring": _("Reminder: answer the request for “%(title)s”"),
    "order_cancelled": _("Order for “%(title)s” cancelled"),
    "order_refunded": _("You have a refund for “%(title)s”"),
    "order_delivered": _("“%(title)s” is on its way: let us know when it arrives"),
    "booking_ended": _("How was “%(title)s”?"),
    "item_auto_complete": _("Reminder: is all well with “%(title)s”?"),
    "booking_auto_complete": _("Reminder: is all well with “%(title)s”?"),
    "order_released": _("You have been paid for “%(title)s”"),
    "dispute_opened": _("A problem was reported with “%(title)s”"),
    "dispute_resolved": _("The problem with “%(title)s” was resolved"),
    "dispute_message": _("New message about the problem with “%(title)s”"),
    "dispute_proposal": _("A settlement was proposed for “%(title)s”"),
    "dispute_proposal_declined": _("Your settlement proposal for “%(title)s” was declined"),
    "dispute_settled": _("The problem with “%(title)s” was settled by agreement"),
    "dispute_escalated": _("A moderator will decide the problem with “%(title)s”"),
    "review_received": _("You have a new review for “%(title)s”"),
}


def notification_text(*, order: Order, email: str) -> str:
    """The in-site notification that goes with an email: its subject."""
    subject = SUBJECTS.get(email)
    return str(subject % {"title": order.listing.title}) if subject else order.listing.title


def _order_url(order: Order) -> str:
    try:
        return reverse("orders:detail", kwargs={"reference": order.reference})
    except NoReverseMatch:
        return order.listing.get_absolute_url()


def order_email_send(*, order_id: int, email: str, recipient: str) -> bool:
    """Sends one order email to the buyer or the seller; returns whether it was sent."""
    order = Order.objects.select_related("buyer", "seller", "listing").filter(pk=order_id).first()
    if order is None or email not in SUBJECTS:
        return False
    member = order.buyer if recipient == "buyer" else order.seller
    if not member.is_active or not member.email:
        return False
    site = settings.SITE_URL.rstrip("/")
    context = {
        "order": order,
        "recipient": member,
        "recipient_role": recipient,
        "title": order.listing.title,
        "total": money_display(order.total, order.currency),
        "seller_net": money_display(order.seller_net, order.currency),
        "completes_at": completion_due_at(order),
        "listing_url": site + order.listing.get_absolute_url(),
        "order_url": site + _order_url(order),
        "dispute": getattr(order, "dispute", None) if email.startswith("dispute_") else None,
        "site_url": site,
    }
    from community.notifications.services import notification_email

    # The member's email choice for order news applies (default: immediately); the link to stop them is added.
    return notification_email(
        member=member,
        kind="orders",
        subject=str(SUBJECTS[email] % {"title": order.listing.title}),
        body=render_to_string(f"orders/email/{email}.txt", context),
    )
