"""Orders in the REST API: checkout in two steps (create, then pay), the order state machine, reviews and the
seller's balance.

Reads go through `orders.selectors`, writes through `orders.services` and `orders.reviews`. Errors use the format
of `hub.api`: 400 `{"errors": {"field": [...]}}`; 404 `{"detail": ...}` for an order the member is not a party
to; 403 `{"detail": reason}` for a transition that belongs to the other party; 409 `{"detail": reason}` for one
the order's state does not allow. Money is `{"amount": <minor units>, "currency": "GBP"}`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from community.models import Member
from orders import reviews, selectors, services
from orders.models import DisputeCategory, Order, OrderState, Review
from orders.pricing import MAX_QUANTITY

WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}
# Service field names → the API's.
SERVICE_FIELD_NAMES = {"note": "reason"}


class OrderWriteThrottle(UserRateThrottle):
    """Checkout, payments and transitions, per member, on top of the global throttles."""

    scope = "order_write"
    rate = "60/min"


class OrderWriteThrottleMixin:
    def get_throttles(self):
        throttles = super().get_throttles()
        if self.request.method in WRITE_METHODS:
            throttles = [*throttles, OrderWriteThrottle()]
        return throttles


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The order's state does not allow this."
    default_code = "conflict"


def _call(service, *, field_names: dict[str, str] | None = None, **kwargs):
    """Runs a service: not the member's move → 403 with the reason; not allowed in the order's state → 409 with
    the reason; bad input → 400 field errors."""
    try:
        return service(**kwargs)
    except DjangoPermissionDenied as error:
        raise exceptions.PermissionDenied(detail=str(error) or None) from error
    except DjangoValidationError as error:
        if hasattr(error, "error_dict") and set(error.message_dict) == {"state"}:
            raise Conflict(detail=" ".join(error.message_dict["state"])) from error
        if not hasattr(error, "error_dict"):
            raise
        names = {**SERVICE_FIELD_NAMES, **(field_names or {})}
        renamed: dict[str, list[str]] = {}
        for field, messages in error.message_dict.items():
            renamed.setdefault(names.get(field, field), []).extend(messages)
        raise DjangoValidationError(renamed) from error


# --- Serializers ----------------------------------------------------------------------------------------------


class MoneySerializer(serializers.Serializer):
    amount = serializers.IntegerField(help_text="Minor units (pence, cents).")
    currency = serializers.CharField()


def money(amount: int | None, currency: str) -> dict[str, Any] | None:
    return None if amount is None else {"amount": amount, "currency": currency}


class OrderPartySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField()


class OrderListingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    url = serializers.URLField()


class PriceSerializer(serializers.Serializer):
    unit_price = MoneySerializer()
    units = serializers.IntegerField(help_text="Billable hours, days or nights; 1 for items.")
    quantity = serializers.IntegerField()
    subtotal = MoneySerializer()
    buyer_fee = MoneySerializer(help_text="The buyer's service fee.")
    total = MoneySerializer(help_text="What the buyer pays.")
    commission = MoneySerializer(allow_null=True, help_text="The seller only: Guildhall's commission.")
    seller_net = MoneySerializer(allow_null=True, help_text="The seller only: what the seller receives.")


class DisputeSerializer(serializers.Serializer):
    status = serializers.CharField()
    category = serializers.CharField()
    reason = serializers.CharField()
    respond_by = serializers.DateTimeField()
    outcome = serializers.CharField(allow_blank=True)
    refund = MoneySerializer(allow_null=True)
    decision = serializers.CharField(allow_blank=True, help_text="A moderator's written reasons.")


class NextActionSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["authenticate"])
    client_secret = serializers.CharField()
    url = serializers.URLField(help_text="The page where the buyer confirms the payment.")


class OrderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.UUIDField()
    url = serializers.URLField(help_text="The order's page.")
    status = serializers.ChoiceField(choices=OrderState.choices)
    status_label = serializers.CharField()
    kind = serializers.CharField()
    role = serializers.ChoiceField(choices=["buyer", "seller"], help_text="The caller's part in the order.")
    listing = OrderListingSerializer()
    buyer = OrderPartySerializer()
    seller = OrderPartySerializer()
    start = serializers.DateTimeField(allow_null=True)
    end = serializers.DateTimeField(allow_null=True)
    instant_book = serializers.BooleanField()
    price = PriceSerializer()
    actions = serializers.ListField(
        child=serializers.CharField(), help_text="What the caller can do now: pay, accept, decline, fulfil, ..."
    )
    next_action = NextActionSerializer(allow_null=True)
    dispute = DisputeSerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    paid_at = serializers.DateTimeField(allow_null=True)
    respond_by = serializers.DateTimeField(allow_null=True)
    fulfilled_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)


def order_payload(request, order: Order) -> dict[str, Any]:
    member: Member = request.user
    role = selectors.order_role(order=order, member=member)
    currency = order.currency
    seller_side = role == "seller"
    dispute = getattr(order, "dispute", None)
    next_action = None
    if not seller_side and order.state == OrderState.PENDING_PAYMENT and order.charge_reference:
        next_action = {
            "type": "authenticate",
            "client_secret": order.payment_client_secret,
            "url": request.build_absolute_uri(reverse("orders:authenticate", kwargs={"reference": order.reference})),
        }
    return {
        "id": order.pk,
        "reference": order.reference,
        "url": request.build_absolute_uri(reverse("orders:detail", kwargs={"reference": order.reference})),
        "status": order.state,
        "status_label": order.get_state_display(),
        "kind": order.kind,
        "role": role,
        "listing": {
            "id": order.listing_id,
            "title": order.listing.title,
            "url": request.build_absolute_uri(order.listing.get_absolute_url()),
        },
        "buyer": {"id": order.buyer_id, "display_name": order.buyer.display_name},
        "seller": {"id": order.seller_id, "display_name": order.seller.display_name},
        "start": order.starts_at,
        "end": order.ends_at,
        "instant_book": order.instant_book,
        "price": {
            "unit_price": money(order.unit_price, currency),
            "units": order.units,
            "quantity": order.quantity,
            "subtotal": money(order.subtotal, currency),
            "buyer_fee": money(order.buyer_fee, currency),
            "total": money(order.total, currency),
            "commission": money(order.commission, currency) if seller_side else None,
            "seller_net": money(order.seller_net, currency) if seller_side else None,
        },
        "actions": selectors.order_actions(order=order, member=member),
        "next_action": next_action,
        "dispute": None
        if dispute is None
        else {
            "status": dispute.status,
            "category": dispute.category,
            "reason": dispute.description,
            "respond_by": dispute.respond_by,
            "outcome": dispute.outcome,
            "refund": money(dispute.refund_amount, currency),
            "decision": dispute.decision_note,
        },
        "created_at": order.created_at,
        "paid_at": order.paid_at,
        "respond_by": order.respond_by,
        "fulfilled_at": order.fulfilled_at,
        "completed_at": order.completed_at,
        "cancelled_at": order.cancelled_at,
    }


def _order_response(request, order_id: int, *, status_code: int = status.HTTP_200_OK) -> Response:
    order = _order_get(request, order_id)
    return Response(OrderSerializer(order_payload(request, order)).data, status=status_code)


def _with_reviews(queryset):
    return queryset.prefetch_related(Prefetch("reviews", queryset=Review.objects.only("pk", "order_id", "author_role")))


def _order_get(request, order_id: int) -> Order:
    selectors.order_for_party(order_id=order_id, member=request.user)  # strangers: 404
    return _with_reviews(selectors.order_list_queryset(Order.objects.filter(pk=order_id))).get()


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer, nothing else: "2", 2.5 and true are refused rather than coerced."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class OrderCreateSerializer(serializers.Serializer):
    listing = StrictIntegerField(help_text="The listing's id.")
    quantity = StrictIntegerField(
        min_value=1, max_value=MAX_QUANTITY, required=False, help_text="Items: how many; bookings: places (1)."
    )
    start = serializers.DateTimeField(required=False, help_text="Bookings: ISO 8601 with a timezone.")
    end = serializers.DateTimeField(required=False, help_text="Bookings: ISO 8601 with a timezone.")


class PaySerializer(serializers.Serializer):
    payment_method = serializers.CharField(
        max_length=100,
        help_text="A payment method; offline: pm_card_visa, pm_card_chargeDeclined, pm_card_authenticationRequired.",
    )


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True)


class DisputeOpenSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=services.DISPUTE_TEXT_MAX_CHARS, help_text="What went wrong.")
    category = serializers.ChoiceField(choices=DisputeCategory.choices, required=False)


class ReviewCreateSerializer(serializers.Serializer):
    rating = StrictIntegerField(min_value=1, max_value=5)
    text = serializers.CharField(max_length=reviews.REVIEW_TEXT_MAX_CHARS, required=False, allow_blank=True)


class ReviewSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    author_role = serializers.ChoiceField(choices=["buyer", "seller"])
    author = OrderPartySerializer()
    rating = serializers.IntegerField(allow_null=True, help_text="Null when a moderator hid the review.")
    text = serializers.CharField(allow_blank=True)
    visible = serializers.BooleanField(help_text="False until both reviews are in or the review window closes.")
    visible_from = serializers.DateTimeField()
    hidden_reason = serializers.CharField(allow_blank=True)
    reply = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()


def review_payload(review: Review, *, now) -> dict[str, Any]:
    hidden = review.hidden_at is not None
    return {
        "id": review.pk,
        "author_role": review.author_role,
        "author": {"id": review.author_id, "display_name": review.author.display_name},
        "rating": None if hidden else review.rating,
        "text": "" if hidden else review.text,
        "visible": review.visible_from <= now,
        "visible_from": review.visible_from,
        "hidden_reason": review.hidden_reason if hidden else "",
        "reply": review.reply,
        "created_at": review.created_at,
    }


# --- Views ----------------------------------------------------------------------------------------------------


class OrderListView(OrderWriteThrottleMixin, APIView):
    """The caller's orders, as buyer and as seller, newest first; POST creates an order awaiting payment."""

    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="orders_list",
        parameters=[
            OpenApiParameter("role", str, enum=["buyer", "seller"], description="Only orders where you are this."),
            OpenApiParameter("status", str, enum=list(OrderState.values)),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int),
        ],
        responses=OrderSerializer(many=True),
    )
    def get(self, request):
        role = request.query_params.get("role", "")
        if role == "buyer":
            queryset = Order.objects.filter(buyer=request.user)
        elif role == "seller":
            queryset = Order.objects.filter(seller=request.user)
        elif role:
            raise DjangoValidationError({"role": ["Choose buyer or seller."]})
        else:
            queryset = selectors.orders_of_member(member=request.user)
        state = request.query_params.get("status", "")
        if state:
            if state not in OrderState.values:
                raise DjangoValidationError({"status": ["Unknown status."]})
            queryset = queryset.filter(state=state)
        queryset = _with_reviews(selectors.order_list_queryset(queryset))
        paginator = api_settings.DEFAULT_PAGINATION_CLASS()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(
            OrderSerializer([order_payload(request, order) for order in page], many=True).data
        )

    @extend_schema(request=OrderCreateSerializer, responses={201: OrderSerializer})
    def post(self, request):
        serializer = OrderCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        order = _call(
            services.order_create,
            buyer=request.user,
            listing_id=data["listing"],
            quantity=data.get("quantity"),
            start=data.get("start"),
            end=data.get("end"),
        )
        return _order_response(request, order.pk, status_code=status.HTTP_201_CREATED)


class OrderDetailView(APIView):
    """An order the caller bought or sold."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=OrderSerializer)
    def get(self, request, pk: int):
        return _order_response(request, pk)


def _pay(request, order: Order, data: dict) -> None:
    _call(services.order_pay, order_id=order.pk, buyer=request.user, payment_method=data["payment_method"])


def _pay_confirm(request, order: Order, data: dict) -> None:
    _call(services.order_payment_confirm, order_id=order.pk, buyer=request.user)


def _accept(request, order: Order, data: dict) -> None:
    _call(services.order_accept, order_id=order.pk, seller=request.user)


def _decline(request, order: Order, data: dict) -> None:
    _call(services.order_decline, order_id=order.pk, seller=request.user, note=data.get("note", ""))


def _fulfil(request, order: Order, data: dict) -> None:
    _call(services.order_fulfil, order_id=order.pk, actor=request.user)


def _confirm(request, order: Order, data: dict) -> None:
    _call(services.order_complete, order_id=order.pk, actor=request.user)


def _cancel(request, order: Order, data: dict) -> None:
    _call(services.order_cancel, order_id=order.pk, actor=request.user, note=data.get("note", ""))


def _dispute(request, order: Order, data: dict) -> None:
    _call(
        services.order_dispute_open,
        order_id=order.pk,
        buyer=request.user,
        note=data["reason"],
        category=data.get("category", DisputeCategory.OTHER),
    )


TRANSITIONS = {
    "pay": (_pay, PaySerializer),
    "pay_confirm": (_pay_confirm, None),
    "accept": (_accept, None),
    "decline": (_decline, NoteSerializer),
    "fulfil": (_fulfil, None),
    "confirm": (_confirm, None),
    "cancel": (_cancel, NoteSerializer),
    "dispute": (_dispute, DisputeOpenSerializer),
}


class OrderTransitionView(OrderWriteThrottleMixin, APIView):
    """One move of the order state machine. `pay` (buyer, `payment_method`): paid, requested (a request to book,
    held until the seller answers) or still pending_payment with a `next_action` to authenticate (then
    `pay/confirm`); a declined card is a 400 on `payment_method` and cancels the order. `accept`/`decline`
    (seller, requests to book), `fulfil` (seller: an item delivered, a booking ended), `confirm` (buyer: all is
    well, the money is released), `cancel` (either party; the cancellation policy decides the refund), `dispute`
    (buyer, `reason`: the money stays frozen until the dispute is settled or decided)."""

    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]
    transition = "accept"

    def get_serializer_class(self):
        return TRANSITIONS[self.transition][1]

    def post(self, request, pk: int):
        order = selectors.order_for_party(order_id=pk, member=request.user)  # strangers: 404 before anything
        action, serializer_class = TRANSITIONS[self.transition]
        data: dict = {}
        if serializer_class is not None:
            serializer = serializer_class(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
        action(request, order, data)
        return _order_response(request, order.pk)


def transition_view(name: str):
    """A view class per transition, so that each is documented with its own request body."""

    @extend_schema(operation_id=f"orders_{name}", request=TRANSITIONS[name][1], responses={200: OrderSerializer})
    def post(self, request, pk: int):
        return OrderTransitionView.post(self, request, pk)

    view_class = type(
        "Order" + name.title().replace("_", "") + "View", (OrderTransitionView,), {"transition": name, "post": post}
    )
    return view_class.as_view()


class OrderReviewsView(OrderWriteThrottleMixin, APIView):
    """The order's reviews the caller may read (their own, and the other party's once visible); POST writes the
    caller's review of the other party (completed orders, within 14 days, once)."""

    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]

    @extend_schema(operation_id="orders_reviews_list", responses=ReviewSerializer(many=True))
    def get(self, request, pk: int):
        order = selectors.order_for_party(order_id=pk, member=request.user)
        found = selectors.order_reviews(order=order, member=request.user)
        now = timezone.now()
        rows = [review_payload(review, now=now) for review in (found.mine, found.theirs) if review is not None]
        return Response(ReviewSerializer(rows, many=True).data)

    @extend_schema(request=ReviewCreateSerializer, responses={201: ReviewSerializer})
    def post(self, request, pk: int):
        order = selectors.order_for_party(order_id=pk, member=request.user)
        serializer = ReviewCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = _call(
            reviews.review_create,
            order_id=order.pk,
            author=request.user,
            rating=serializer.validated_data["rating"],
            text=serializer.validated_data.get("text", ""),
        )
        return Response(
            ReviewSerializer(review_payload(review, now=timezone.now())).data, status=status.HTTP_201_CREATED
        )


class BalanceView(APIView):
    """The caller's money as a seller, per currency: the share of escrow held for their open orders, the balance
    available to pay out, and what has been paid out."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses=inline_serializer(
            "Balance",
            {
                "balances": inline_serializer(
                    "CurrencyBalance",
                    {
                        "currency": serializers.CharField(),
                        "held": MoneySerializer(),
                        "available": MoneySerializer(),
                        "paid_out": MoneySerializer(),
                    },
                    many=True,
                ),
                "payout_minimum": serializers.IntegerField(help_text="Minor units, in each currency."),
            },
        )
    )
    def get(self, request):
        return Response(
            {
                "balances": [
                    {
                        "currency": row.currency,
                        "held": money(row.held, row.currency),
                        "available": money(row.available, row.currency),
                        "paid_out": money(row.paid_out, row.currency),
                    }
                    for row in selectors.seller_money(seller=request.user)
                ],
                "payout_minimum": services.payout_minimum(),
            }
        )
