"""How long each party has before Guildhall moves an order on by itself, and when it reminds them first."""

from datetime import timedelta

# A request to book waits this long for the seller (never past the booking's start), then expires and refunds.
REQUEST_RESPONSE_WINDOW = timedelta(hours=24)
REQUEST_REMINDER_BEFORE = timedelta(hours=4)
# A payment left waiting for authentication (3-D Secure) is abandoned after this, giving the stock or slot back.
PAYMENT_ABANDON_AFTER = timedelta(hours=1)
# An item marked delivered completes (and pays the seller) this long after, unless the buyer disputes.
ITEM_AUTO_COMPLETE_AFTER = timedelta(days=14)
ITEM_REMINDER_BEFORE = timedelta(days=2)
# A booking is fulfilled when it ends and completes this long after its end.
BOOKING_AUTO_COMPLETE_AFTER = timedelta(hours=24)
BOOKING_REMINDER_BEFORE = timedelta(hours=12)
# A refund or payout still pending this long after it was booked is sent again (same idempotency key).
GATEWAY_RETRY_AFTER = timedelta(minutes=10)
