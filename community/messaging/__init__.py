"""Private messaging between members, with contact details masked until an order is paid (community.leakage)."""
