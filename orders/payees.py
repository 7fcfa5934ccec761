"""Who shares a listing's revenue, and how an amount is split between them exactly.

By default the seller gets everything. Co-created listings (cohorts) register a resolver that returns the
co-creators' shares in basis points; the split is fixed on the order at checkout (orders.models.OrderPayee).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from community.models import Member
from listings.models import Listing
from orders.models import BPS_DENOMINATOR

PayeeResolver = Callable[[Listing], Sequence[tuple[Member, int]] | None]
_resolvers: list[PayeeResolver] = []


def payee_resolver_register(resolver: PayeeResolver) -> PayeeResolver:
    """Registers a callable listing -> [(member, basis points), ...] summing to 10 000, or None to pass. The
    first resolver that answers wins. Usable as a decorator."""
    if resolver not in _resolvers:
        _resolvers.append(resolver)
    return resolver


def payee_resolver_unregister(resolver: PayeeResolver) -> None:
    if resolver in _resolvers:
        _resolvers.remove(resolver)


def listing_payees(*, listing: Listing) -> list[tuple[Member, int]]:
    for resolver in _resolvers:
        shares = resolver(listing)
        if shares:
            shares = list(shares)
            members = [member.pk for member, _bps in shares]
            if len(set(members)) != len(members):
                raise ValueError("A payee appears twice in a revenue split.")
            if any(bps <= 0 for _member, bps in shares) or sum(bps for _member, bps in shares) != BPS_DENOMINATOR:
                raise ValueError("A revenue split is positive shares summing to 10 000 basis points.")
            return shares
    return [(listing.seller, BPS_DENOMINATOR)]


def amount_split(*, amount: int, weights: Sequence[int]) -> list[int]:
    """Splits a non-negative integer `amount` in proportion to `weights`, exactly (the parts sum to `amount`).
    Largest remainder: everyone gets the floor of their share, and the minor units left over go one each to the
    largest fractional remainders, earlier payees first on ties."""
    if amount < 0 or not weights or any(w < 0 for w in weights) or sum(weights) <= 0:
        raise ValueError("amount_split takes a non-negative amount and non-negative weights with a positive sum")
    whole = sum(weights)
    parts = [amount * weight // whole for weight in weights]
    remainders = [amount * weight % whole for weight in weights]
    leftover = amount - sum(parts)
    for index in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:leftover]:
        parts[index] += 1
    return parts
