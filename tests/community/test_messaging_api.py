"""The messaging API: conversations and their messages, each sent message answered with its delivered body,
`masked` and `warning`; 404 for non-members, 400 with field errors, 429 at the rate limits."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from community import leakage
from community.messaging import services
from community.models import Conversation, Member
from tests.community.factories import MemberFactory
from tests.community.test_messaging_support import (
    ORDERS,
    PAID,
    buyer_and_seller,
    orders_app_stand_in,
    png_file,
    published_listing,
    start,
)

pytestmark = pytest.mark.django_db

CONVERSATIONS = "/api/v1/conversations"
LEAKY = "mail me at jo dot smith at gmail dot com"
TOO_LONG = "Ensure this field has no more than 5000 characters."
CLOSED = "This member's account is closed; they cannot receive messages."


def bearer(member: Member) -> dict:
    token, _created = Token.objects.get_or_create(user=member)
    return {"HTTP_AUTHORIZATION": f"Bearer {token.key}"}


def messages_url(conversation_id: int) -> str:
    return f"{CONVERSATIONS}/{conversation_id}/messages"


@pytest.fixture(autouse=True)
def _orders_app(settings):
    orders_app_stand_in(settings)


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def pair():
    return buyer_and_seller()


def test_start_a_conversation_about_a_listing_masked_with_a_warning(api, pair):
    buyer, seller = pair
    listing = published_listing(seller, title="Teal stoneware mug")
    # when the buyer writes to the listing's seller (the recipient follows from the listing)
    response = api.post(CONVERSATIONS, {"listing": listing.pk, "body": LEAKY}, format="json", **bearer(buyer))
    # then the answer has the thread and the message as delivered, masked, with the warning
    assert response.status_code == 201, response.json()
    data = response.json()
    conversation = Conversation.objects.get()
    assert data["id"] == conversation.pk
    assert data["other"] == {"id": seller.pk, "display_name": "Sol Seller"}
    assert data["listing"]["id"] == listing.pk and data["listing"]["title"] == "Teal stoneware mug"
    assert data["order"] is None
    assert data["unread"] == 0
    message = data["message"]
    assert message["body"] == "mail me at [contact details hidden]"
    assert message["masked"] is True
    assert message["warning"] == leakage.warning_for(leakage.scan(LEAKY))
    assert "original_body" not in message
    assert message["sender"] == buyer.pk and message["conversation"] == conversation.pk


def test_send_after_a_paid_order_is_unmasked_without_warning(api, pair):
    buyer, seller = pair
    conversation = start(buyer, seller).message.conversation
    PAID.add((buyer.pk, seller.pk))
    response = api.post(messages_url(conversation.pk), {"body": LEAKY}, format="json", **bearer(seller))
    assert response.status_code == 201
    assert {key: response.json()[key] for key in ("body", "masked", "warning")} == {
        "body": LEAKY,
        "masked": False,
        "warning": None,
    }


def test_start_by_recipient_and_by_order(api, pair):
    buyer, seller = pair
    response = api.post(CONVERSATIONS, {"recipient": seller.pk, "body": "Hello"}, format="json", **bearer(buyer))
    assert response.status_code == 201
    assert response.json()["listing"] is None
    ORDERS[41] = (buyer.pk, seller.pk)
    response = api.post(CONVERSATIONS, {"order": 41, "body": "About my order"}, format="json", **bearer(seller))
    assert response.status_code == 201
    assert response.json()["order"] == 41 and response.json()["other"]["id"] == buyer.pk


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({"body": "Hi"}, {"recipient": ["This field is required."]}),
        ({"recipient": "me", "body": "Hi"}, {"recipient": ["A valid integer is required."]}),
        ({"recipient": 999_999, "body": "Hi"}, {"recipient": ["There is no such member."]}),
        ({"recipient": "SELF", "body": "Hi"}, {"recipient": ["You cannot send a message to yourself."]}),
        ({"recipient": "SELLER"}, {"body": ["This field is required."]}),
        ({"recipient": "SELLER", "body": "   "}, {"body": ["This field may not be blank."]}),
        ({"recipient": "SELLER", "body": "x" * 5_001}, {"body": [TOO_LONG]}),
        ({"listing": 999_999, "body": "Hi"}, {"listing": ["This listing is not available."]}),
        ({"order": 5, "body": "Hi"}, {"order": ["This order was not found."]}),
        ({"recipient": "SELLER", "order": 5, "body": "Hi"}, {"order": ["This order was not found."]}),
        ({"recipient": "CLOSED", "body": "Hi"}, {"recipient": [CLOSED]}),
    ],
    ids=["no-recipient", "not-a-number", "unknown", "self", "no-body", "blank", "too-long", "listing", "order",
         "stranger-order", "closed"],
)  # fmt: skip
def test_start_answers_400_with_field_errors(api, pair, payload, errors):
    buyer, seller = pair
    closed = MemberFactory(is_active=False)
    names = {"SELF": buyer.pk, "SELLER": seller.pk, "CLOSED": closed.pk}
    payload = {key: names.get(value, value) if isinstance(value, str) else value for key, value in payload.items()}
    response = api.post(CONVERSATIONS, payload, format="json", **bearer(buyer))
    assert response.status_code == 400
    assert response.json() == {"errors": errors}
    assert not Conversation.objects.exists()


def test_non_members_get_404_and_visitors_401(api, pair):
    buyer, seller = pair
    conversation = start(buyer, seller).message.conversation
    stranger = MemberFactory()
    assert api.get(messages_url(conversation.pk), **bearer(stranger)).status_code == 404
    response = api.post(messages_url(conversation.pk), {"body": "Hi"}, format="json", **bearer(stranger))
    assert (response.status_code, response.json()) == (404, {"detail": "Not found."})
    assert api.post(f"{CONVERSATIONS}/{conversation.pk}/read", **bearer(stranger)).status_code == 404
    assert api.get(messages_url(conversation.pk)).status_code == 401
    assert api.get(CONVERSATIONS, **bearer(stranger)).json()["results"] == []


def test_messages_are_paginated_newest_first(api, pair):
    buyer, seller = pair
    conversation = start(buyer, seller, "Message 0").message.conversation
    for n in range(1, 25):
        services.message_send(conversation=conversation, sender=buyer if n % 2 else seller, body=f"Message {n}")
    first = api.get(messages_url(conversation.pk), **bearer(seller)).json()
    assert first["count"] == 25
    assert [m["body"] for m in first["results"][:2]] == ["Message 24", "Message 23"]
    assert len(first["results"]) == 20 and first["next"]
    second = api.get(first["next"], **bearer(seller)).json()
    assert [m["body"] for m in second["results"]] == [f"Message {n}" for n in range(4, -1, -1)]
    assert "original_body" not in first["results"][0] and "warning" not in first["results"][0]


def test_send_with_an_attachment_and_read(api, pair):
    buyer, seller = pair
    conversation = start(buyer, seller).message.conversation
    response = api.post(
        messages_url(conversation.pk),
        {"body": "Photo", "attachments": [png_file()]},
        format="multipart",
        **bearer(seller),
    )
    assert response.status_code == 201
    attachment = response.json()["attachments"][0]
    assert attachment["is_image"] is True and attachment["name"] == "photo.png"
    assert attachment["url"].endswith(f"/messages/attachments/{attachment['id']}/")
    assert api.get(CONVERSATIONS, **bearer(buyer)).json()["results"][0]["unread"] == 1
    assert api.post(f"{CONVERSATIONS}/{conversation.pk}/read", **bearer(buyer)).status_code == 204
    assert api.get(CONVERSATIONS, **bearer(buyer)).json()["results"][0]["unread"] == 0


def test_the_rate_limit_answers_429(api, pair):
    buyer, seller = pair
    conversation = start(buyer, seller).message.conversation
    for n in range(services.MESSAGES_PER_WINDOW - 1):
        services.message_send(conversation=conversation, sender=buyer, body=f"Message {n}")
    response = api.post(messages_url(conversation.pk), {"body": "More"}, format="json", **bearer(buyer))
    assert response.status_code == 429
    assert "30 messages in 10 minutes" in response.json()["detail"]


def test_conversation_list_queries_do_not_grow_with_the_page(api, pair):
    _buyer, seller = pair

    def conversations(count: int) -> int:
        for n in range(count):
            start(MemberFactory(display_name=f"Buyer {n}"), seller, f"Question {n}")
        with CaptureQueriesContext(connection) as queries:
            response = api.get(CONVERSATIONS, **bearer(seller))
        assert response.status_code == 200
        return len(queries)

    api.get(CONVERSATIONS, **bearer(seller))
    few = conversations(2)
    many = conversations(6)
    assert many == few
    assert api.get(CONVERSATIONS, **bearer(seller)).json()["count"] == 8


def test_the_schema_documents_the_endpoints(api, pair):
    buyer, _seller = pair
    schema = api.get("/api/v1/schema/", {"format": "json"}).json()
    assert {"/api/v1/conversations", "/api/v1/conversations/{id}/messages"} <= set(schema["paths"])
    sent = schema["components"]["schemas"]["SentMessage"]["properties"]
    assert {"body", "masked", "warning"} <= set(sent)
