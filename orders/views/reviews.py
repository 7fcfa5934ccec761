"""Reviews from the order page: write one, reply once to one about you."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from orders import reviews, selectors
from orders.forms import ReplyForm, ReviewForm, apply_service_errors
from orders.models import Review


@login_required
@require_POST
def review_create(request: HttpRequest, reference: str) -> HttpResponse:
    order = selectors.order_for_member(reference=reference, member=request.user)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            reviews.review_create(
                order_id=order.pk,
                author=request.user,
                rating=form.cleaned_data["rating"],
                text=form.cleaned_data["text"],
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            mine = selectors.order_reviews(order=order, member=request.user)
            if mine.theirs is not None:
                messages.success(request, _("Thank you. Both reviews are in, so both are now published."))
            else:
                messages.success(
                    request,
                    _("Thank you. Your review is published once the other party has written theirs, or in 14 days."),
                )
            return redirect("orders:detail", reference=order.reference)
    return render(
        request,
        "orders/review_form.html",
        {"order": order, "form": form, "role": selectors.order_role(order=order, member=request.user)},
        status=400,
    )


@login_required
@require_POST
def review_reply(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    order = selectors.order_for_member(reference=reference, member=request.user)
    review = Review.objects.filter(pk=pk, order=order).first()
    if review is None:
        raise Http404
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            reviews.review_reply(review_id=review.pk, member=request.user, text=form.cleaned_data["reply"])
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Reply published."))
    else:
        for message in form.errors.get("reply", []):
            messages.error(request, message)
    return redirect("orders:detail", reference=order.reference)
