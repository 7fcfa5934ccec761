"""Private messaging in the REST API.

Reads go through `community.messaging.selectors`, writes through `community.messaging.services`; errors use the
format of `hub.api` (400 `{"errors": {"body": [...]}}`, 404 `{"detail": ...}` for a conversation the member is not
in, 429 `{"detail": ...}` when a messaging rate limit is reached). Every sent message is answered with its body as
delivered, whether contact details were masked, and the warning the sender is shown (null when nothing was hidden).
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from community.messaging import selectors, services
from community.messaging.services import BODY_MAX_CHARS, MAX_ATTACHMENTS
from community.models import Member
from community.moderation import SanctionActive

WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}


class MessageWriteThrottle(UserRateThrottle):
    """Sending, per member, on top of the global throttles and the services' own limits."""

    scope = "message_write"
    rate = "60/min"


class MessageWriteThrottleMixin:
    def get_throttles(self):
        throttles = super().get_throttles()
        if self.request.method in WRITE_METHODS:
            throttles = [*throttles, MessageWriteThrottle()]
        return throttles


def _send(call, **kwargs) -> services.MessageDelivery:
    """Runs a send service; its rate limit becomes a 429, its other errors a 400."""
    try:
        return call(**kwargs)
    except services.RateLimited as error:
        raise exceptions.Throttled(detail=" ".join(error.messages)) from error
    except SanctionActive as error:  # silenced or suspended: 403 with the reason and the end
        raise exceptions.PermissionDenied(detail=str(error)) from error


# --- Serializers ---------------------------------------------------------------------------------------------------


class MemberRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField()


class ListingRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    url = serializers.SerializerMethodField()

    def get_url(self, listing) -> str:
        return self.context["request"].build_absolute_uri(listing.get_absolute_url())


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    size = serializers.IntegerField(help_text="Bytes.")
    is_image = serializers.BooleanField()
    url = serializers.SerializerMethodField(help_text="Only the conversation's members can download it.")

    def get_url(self, attachment) -> str:
        return self.context["request"].build_absolute_uri(reverse("messaging:attachment", args=[attachment.pk]))


class MessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    conversation = serializers.IntegerField(source="conversation_id")
    sender = serializers.IntegerField(source="sender_id")
    body = serializers.CharField(help_text="As delivered: contact details masked before a paid order.")
    masked = serializers.BooleanField(help_text="Whether contact or payment details were hidden.")
    created_at = serializers.DateTimeField()
    attachments = AttachmentSerializer(many=True)


class SentMessageSerializer(MessageSerializer):
    warning = serializers.CharField(allow_null=True, help_text="What the sender is told when details were hidden.")


class ConversationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    other = MemberRefSerializer(help_text="The other member of the conversation.")
    listing = ListingRefSerializer(allow_null=True)
    order = serializers.IntegerField(source="order_ref", allow_null=True)
    last_message = MessageSerializer(allow_null=True)
    last_message_at = serializers.DateTimeField(allow_null=True)
    unread = serializers.IntegerField()
    muted = serializers.BooleanField()


class ConversationStartedSerializer(ConversationSerializer):
    message = SentMessageSerializer()


class ConversationStartSerializer(serializers.Serializer):
    recipient = serializers.IntegerField(
        min_value=1, required=False, help_text="A member's id; may be left out with `listing` (its seller)."
    )
    listing = serializers.IntegerField(min_value=1, required=False, help_text="The listing the thread is about.")
    order = serializers.IntegerField(min_value=1, required=False, help_text="The order the thread is about.")
    body = serializers.CharField(max_length=BODY_MAX_CHARS)

    def validate(self, attrs):
        if "listing" in attrs and "order" in attrs:
            raise serializers.ValidationError({"order": "Give a listing or an order, not both."})
        if "recipient" not in attrs and "listing" not in attrs and "order" not in attrs:
            raise serializers.ValidationError({"recipient": "This field is required."})
        return attrs


class MessageSendSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=BODY_MAX_CHARS, allow_blank=True, required=False, default="")
    attachments = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, max_length=MAX_ATTACHMENTS
    )


def _paginated(name: str, item) -> serializers.Serializer:
    return inline_serializer(
        name,
        {
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item(many=True),
        },
    )


def _conversation_data(conversation, *, member: Member, unread: int, muted: bool) -> dict:
    return {
        "id": conversation.pk,
        "other": conversation.other_member(member.pk),
        "listing": conversation.listing,
        "order_ref": conversation.order_ref,
        "last_message": conversation.last_message,
        "last_message_at": conversation.last_message_at,
        "unread": unread,
        "muted": muted,
    }


def _sent_message(delivery: services.MessageDelivery):
    message = selectors.messages_of(conversation=delivery.message.conversation).get(pk=delivery.message.pk)
    message.warning = delivery.warning
    return message


# --- Views ---------------------------------------------------------------------------------------------------------


class ConversationListView(MessageWriteThrottleMixin, APIView):
    """The member's conversations, latest activity first; start one (or add to the existing thread) with a first
    message."""

    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="conversations_list", responses=_paginated("PaginatedConversations", ConversationSerializer)
    )
    def get(self, request):
        paginator = api_settings.DEFAULT_PAGINATION_CLASS()
        memberships = paginator.paginate_queryset(selectors.inbox(member=request.user), request, view=self)
        data = [
            _conversation_data(row.conversation, member=request.user, unread=row.unread, muted=row.muted)
            for row in selectors.inbox_rows(memberships)
        ]
        return paginator.get_paginated_response(
            ConversationSerializer(data, many=True, context={"request": request}).data
        )

    @extend_schema(
        operation_id="conversations_start",
        request=ConversationStartSerializer,
        responses={201: ConversationStartedSerializer},
    )
    def post(self, request):
        serializer = ConversationStartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        listing = self._listing(request, data.get("listing"))
        recipient = self._recipient(request, data, listing)
        delivery = _send(
            services.conversation_start,
            sender=request.user,
            recipient=recipient,
            body=data["body"],
            listing=listing,
            order_ref=data.get("order"),
        )
        conversation = selectors.conversation_for_member(
            conversation_id=delivery.message.conversation_id, member=request.user
        )
        membership = selectors.conversation_membership(conversation=conversation, member=request.user)
        # The sender has just read the thread by writing to it.
        payload = _conversation_data(conversation, member=request.user, unread=0, muted=membership.muted)
        payload["message"] = _sent_message(delivery)
        return Response(
            ConversationStartedSerializer(payload, context={"request": request}).data, status=status.HTTP_201_CREATED
        )

    @staticmethod
    def _listing(request, listing_id: int | None):
        if listing_id is None:
            return None
        from listings.models import Listing
        from listings.services import listing_visible_to

        listing = Listing.objects.filter(pk=listing_id).first()
        if listing is None or not listing_visible_to(listing, request.user):
            raise exceptions.ValidationError({"listing": ["This listing is not available."]})
        return listing

    @staticmethod
    def _recipient(request, data: dict, listing) -> Member:
        recipient_id = data.get("recipient")
        if recipient_id is None and listing is not None:
            recipient_id = listing.seller_id
        if recipient_id is None and data.get("order") is not None:
            parties = selectors.order_parties(order_ref=data["order"]) or ()
            others = [member_id for member_id in parties if member_id != request.user.pk]
            if request.user.pk not in parties or not others:
                raise exceptions.ValidationError({"order": ["This order was not found."]})
            recipient_id = others[0]
        recipient = Member.objects.filter(pk=recipient_id).first()
        if recipient is None:
            raise exceptions.ValidationError({"recipient": ["There is no such member."]})
        return recipient


class ConversationMessagesView(MessageWriteThrottleMixin, APIView):
    """A conversation's messages, newest first; send one (JSON `body`, or multipart with `attachments`)."""

    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        operation_id="conversation_messages_list", responses=_paginated("PaginatedMessages", MessageSerializer)
    )
    def get(self, request, pk: int):
        conversation = selectors.conversation_for_member(conversation_id=pk, member=request.user)
        paginator = api_settings.DEFAULT_PAGINATION_CLASS()
        queryset = selectors.messages_of(conversation=conversation).order_by("-created_at", "-id")
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(MessageSerializer(page, many=True, context={"request": request}).data)

    @extend_schema(
        operation_id="conversation_messages_send", request=MessageSendSerializer, responses={201: SentMessageSerializer}
    )
    def post(self, request, pk: int):
        conversation = selectors.conversation_for_member(conversation_id=pk, member=request.user)
        serializer = MessageSendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        delivery = _send(
            services.message_send,
            conversation=conversation,
            sender=request.user,
            body=serializer.validated_data["body"],
            attachments=serializer.validated_data["attachments"],
        )
        return Response(
            SentMessageSerializer(_sent_message(delivery), context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class ConversationReadView(APIView):
    """Marks the conversation read for the member (the other side sees it live)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="conversation_read", request=None, responses={204: None})
    def post(self, request, pk: int):
        conversation = selectors.conversation_for_member(conversation_id=pk, member=request.user)
        services.conversation_read(conversation=conversation, member=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
