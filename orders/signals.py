"""What orders tells other apps, without importing them (mentoring milestones, later dashboards)."""

from django.dispatch import Signal

# Sent after commit when an order completes and its money is released: kwargs `order` (an orders.Order).
order_completed = Signal()

# Sent after commit when reviews are published (counted in the ratings): kwargs `reviews` (a list of
# orders.Review). Sellers' ratings may have changed: mentoring re-checks their review milestones.
review_published = Signal()
