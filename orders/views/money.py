"""The seller's money: what is held, available and paid out, payouts, a statement per order and the yearly tax
summary as CSV."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from orders import selectors, services
from orders.pricing import money_display

PAYOUTS_PAGE_SIZE = 20


@login_required
@require_GET
def balance(request: HttpRequest) -> HttpResponse:
    seller = request.user
    payouts = Paginator(selectors.payouts_of_seller(seller=seller), PAYOUTS_PAGE_SIZE).get_page(request.GET.get("page"))
    years = selectors.seller_tax_years(seller=seller)
    return render(
        request,
        "orders/money.html",
        {
            "balances": selectors.seller_money(seller=seller),
            "payouts": payouts,
            "minimum": services.payout_minimum(),
            "years": years or [timezone.now().year],
        },
    )


@login_required
@require_POST
def payout_request(request: HttpRequest) -> HttpResponse:
    try:
        payouts = services.payout_create(seller=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        amounts = ", ".join(money_display(payout.amount, payout.currency) for payout in payouts)
        messages.success(
            request,
            ngettext("Payout of %(amounts)s requested.", "Payouts of %(amounts)s requested.", len(payouts))
            % {"amounts": amounts},
        )
    return redirect("orders:money")


@login_required
@require_GET
def statement(request: HttpRequest, reference: str) -> HttpResponse:
    order = selectors.order_for_member(reference=reference, member=request.user)
    if order.seller_id != request.user.pk:
        raise Http404
    return render(
        request,
        "orders/statement.html",
        {"order": order, "statement": selectors.order_statement(order=order, member=request.user)},
    )


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def _decimal(amount: int) -> str:
    sign = "-" if amount < 0 else ""
    major, minor = divmod(abs(amount), 100)
    return f"{sign}{major}.{minor:02d}"


def _tax_lines(seller: Any, year: int) -> Iterator[list[str]]:
    yield [
        _("Released on"),
        _("Order reference"),
        _("Listing"),
        _("Currency"),
        _("Gross"),
        _("Fees"),
        _("Refunded to buyer"),
        _("Net"),
    ]
    totals: dict[str, list[int]] = {}
    for row in selectors.seller_tax_rows(seller=seller, year=year):
        total = totals.setdefault(row.currency, [0, 0, 0, 0, 0])
        for index, value in enumerate((1, row.gross, row.fees, row.refunded, row.net)):
            total[index] += value
        yield [
            row.released_on.isoformat(),
            row.reference,
            row.listing,
            row.currency,
            _decimal(row.gross),
            _decimal(row.fees),
            _decimal(row.refunded),
            _decimal(row.net),
        ]
    yield []
    yield [_("Summary"), _("Orders"), "", _("Currency"), _("Gross volume"), _("Fees"), _("Refunded"), _("Net")]
    for currency, (count, gross, fees, refunded, net) in sorted(totals.items()):
        yield [
            str(year),
            str(count),
            "",
            currency,
            _decimal(gross),
            _decimal(fees),
            _decimal(refunded),
            _decimal(net),
        ]


def _csv_safe(value: str) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas: a listing's title must stay text."""
    formula = value[:1] in ("=", "+", "@", "\t", "\r") or (value[:1] == "-" and not _is_number(value))
    return "'" + value if formula else value


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


@login_required
@require_GET
def tax_summary(request: HttpRequest, year: int) -> StreamingHttpResponse:
    if not 2000 <= year <= timezone.now().year + 1:
        raise Http404
    writer = csv.writer(_Echo())
    lines = (writer.writerow([_csv_safe(str(cell)) for cell in line]) for line in _tax_lines(request.user, year))
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="guildhall-sales-{year}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response
