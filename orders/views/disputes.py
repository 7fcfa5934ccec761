"""Disputes on the order page: the buyer opens one, the parties write, add evidence, propose and accept a
settlement or hand it to a moderator (who decides in the Django admin). Evidence files are streamed only to the
two parties and to moderators."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from orders import selectors, services
from orders.forms import DisputeMessageForm, DisputeOpenForm, ProposalForm, apply_service_errors
from orders.models import Order, SettlementProposal
from orders.pricing import money_display


def _back(order: Order) -> HttpResponse:
    return redirect("orders:detail", reference=order.reference)


def _refused(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@login_required
@require_http_methods(["GET", "POST"])
def dispute_open(request: HttpRequest, reference: str) -> HttpResponse:
    order = selectors.order_for_member(reference=reference, member=request.user)
    if "dispute" not in selectors.order_actions(order=order, member=request.user):
        messages.error(request, _("A problem can be reported only while Guildhall holds the payment."))
        return _back(order)
    form = DisputeOpenForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.order_dispute_open(
                    order_id=order.pk,
                    buyer=request.user,
                    note=form.cleaned_data["note"],
                    category=form.cleaned_data["category"],
                    evidence=form.cleaned_data["evidence"],
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(
                    request,
                    _(
                        "Problem reported. The payment is frozen; the seller has three days to answer, and you can "
                        "agree on a refund together or ask a moderator to decide."
                    ),
                )
                return _back(order)
    return render(request, "orders/dispute_open.html", {"order": order, "form": form}, status=status)


@login_required
@require_POST
def dispute_message(request: HttpRequest, reference: str) -> HttpResponse:
    order = selectors.order_for_member(reference=reference, member=request.user)
    form = DisputeMessageForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return _back(order)
    try:
        services.dispute_message_add(
            order_id=order.pk,
            author=request.user,
            body=form.cleaned_data["body"],
            evidence=form.cleaned_data["evidence"],
        )
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Sent."))
    return _back(order)


@login_required
@require_POST
def proposal_create(request: HttpRequest, reference: str) -> HttpResponse:
    order = selectors.order_for_member(reference=reference, member=request.user)
    form = ProposalForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return _back(order)
    try:
        proposal = services.dispute_proposal_create(
            order_id=order.pk,
            member=request.user,
            refund_amount=form.cleaned_data["refund_amount"],
            note=form.cleaned_data["note"],
        )
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(
            request,
            _("Proposal sent: a refund of %(amount)s. The other party can accept or decline it.")
            % {"amount": money_display(proposal.refund_amount, order.currency)},
        )
    return _back(order)


def _proposal_order(request: HttpRequest, reference: str, pk: int) -> tuple[Order, SettlementProposal]:
    order = selectors.order_for_member(reference=reference, member=request.user)
    proposal = SettlementProposal.objects.filter(pk=pk, dispute__order=order).first()
    if proposal is None:
        raise Http404
    return order, proposal


@login_required
@require_POST
def proposal_accept(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    order, proposal = _proposal_order(request, reference, pk)
    try:
        services.dispute_proposal_accept(proposal_id=proposal.pk, member=request.user)
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Settled. The refund and the payment to the seller are on their way."))
    return _back(order)


@login_required
@require_POST
def proposal_decline(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    order, proposal = _proposal_order(request, reference, pk)
    try:
        proposal = services.dispute_proposal_decline(proposal_id=proposal.pk, member=request.user)
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(
            request, _("Proposal withdrawn.") if proposal.status == "withdrawn" else _("Proposal declined.")
        )
    return _back(order)


@login_required
@require_POST
def dispute_escalate(request: HttpRequest, reference: str) -> HttpResponse:
    order = selectors.order_for_member(reference=reference, member=request.user)
    try:
        services.dispute_escalate(order_id=order.pk, actor=request.user)
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, _("A moderator will read the conversation and the evidence, then decide."))
    return _back(order)


@require_GET
def evidence(request: HttpRequest, pk: int) -> FileResponse:
    """Streams a dispute's file to its parties and moderators; anyone else is told it does not exist."""
    item = selectors.evidence_for_member(evidence_id=pk, member=request.user)
    response = FileResponse(item.file.open("rb"), as_attachment=not item.is_image, filename=item.name)
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    response["X-Content-Type-Options"] = "nosniff"
    return response
