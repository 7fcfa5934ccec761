"""What orders tells other apps, without importing them (mentoring milestones, later dashboards)."""

from django.dispatch import Signal

# Sent after commit when an order completes and its money is released: kwargs `order` (an orders.Order).
order_completed = Signal()
