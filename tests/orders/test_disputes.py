"""Disputes: opened with evidence while the money is held, answered within three days or escalated, settled by
the parties' agreement or decided by a moderator in the admin, every outcome ledgered and shown to both."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.test import Client
from django.urls import reverse
from PIL import Image

from community.models import Notification, RoleGrant
from orders import ledger, selectors, services
from orders.models import (
    AccountKind,
    CommissionConfig,
    Dispute,
    DisputeEvidence,
    DisputeStatus,
    OrderState,
    ProposalStatus,
)
from tests.orders.factories import MemberFactory, item_listing

pytestmark = pytest.mark.django_db

VISA = "pm_card_visa"


@pytest.fixture(autouse=True)
def _rates():
    CommissionConfig.objects.create(seller_bps=1000, buyer_fee_bps=500, minimum_commission=0)


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private")},
        },
    }


def png(name: str = "broken.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def pdf(name: str = "letter.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")


def delivered():
    """100.00 + 5.00 fee, delivered: 105.00 held."""
    order = services.order_create(
        buyer=MemberFactory(), listing_id=item_listing(price_amount=10_000).pk, payment_method=VISA
    )
    return services.order_fulfil(order_id=order.pk, actor=order.seller)


def disputed(**kwargs):
    order = delivered()
    services.order_dispute_open(order_id=order.pk, buyer=order.buyer, note="It arrived in pieces", **kwargs)
    return order


def moderator():
    member = MemberFactory()
    RoleGrant.objects.create(member=member, role="moderator")
    return member


def refunded(member) -> int:
    return ledger.member_balance(member=member, kind=AccountKind.REFUNDS, currency="GBP")


def payable(member) -> int:
    return ledger.member_balance(member=member, kind=AccountKind.SELLER_PAYABLE, currency="GBP")


# --- Opening ------------------------------------------------------------------------------------------------


def test_opening_a_dispute_freezes_the_money_and_keeps_the_evidence_private(clock, django_capture_on_commit_callbacks):
    # given
    order = delivered()
    # when the buyer reports it broken with a photo and a PDF
    with django_capture_on_commit_callbacks(execute=True):
        services.order_dispute_open(
            order_id=order.pk,
            buyer=order.buyer,
            note="It arrived in pieces",
            category="damaged",
            evidence=[png(), pdf()],
        )
    # then
    order.refresh_from_db()
    dispute = Dispute.objects.get(order=order)
    assert order.state == OrderState.DISPUTED
    assert (dispute.status, dispute.category, dispute.respond_by) == ("open", "damaged", clock.now + timedelta(days=3))
    files = list(DisputeEvidence.objects.filter(dispute=dispute))
    assert [(f.is_image, f.name) for f in files] == [(True, "broken.png"), (False, "letter.pdf")]
    assert all(f.file.name.startswith(f"disputes/{dispute.pk}/evidence-") for f in files)
    assert ledger.escrow_balance(order=order) == 10_500
    clock.advance(timedelta(days=30))
    with pytest.raises(ValidationError):
        services.order_complete(order_id=order.pk)
    assert any(m.to == [order.seller.email] and "problem" in m.subject for m in mail.outbox)
    assert Notification.objects.filter(member=order.seller, text__contains="problem").exists()


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("page.html", b"<script>alert(1)</script>", content_type="text/html"),
        SimpleUploadedFile("fake.png", b"not an image at all", content_type="image/png"),
    ],
)
def test_evidence_must_be_an_image_or_a_pdf(upload):
    order = delivered()
    with pytest.raises(ValidationError) as excinfo:
        services.order_dispute_open(order_id=order.pk, buyer=order.buyer, note="Bad", evidence=[upload])
    assert list(excinfo.value.message_dict) == ["evidence"]
    order.refresh_from_db()
    assert order.state == OrderState.FULFILLED  # nothing happened


def test_only_the_buyer_opens_one_and_only_while_the_money_is_held():
    order = delivered()
    with pytest.raises(PermissionDenied):
        services.order_dispute_open(order_id=order.pk, buyer=order.seller, note="Hm")
    with pytest.raises(Http404):
        services.order_dispute_open(order_id=order.pk, buyer=MemberFactory(), note="Hm")
    services.order_complete(order_id=order.pk, actor=order.buyer)
    with pytest.raises(ValidationError, match="cannot become"):
        services.order_dispute_open(order_id=order.pk, buyer=order.buyer, note="Too late")


def test_evidence_is_served_to_the_parties_and_staff_only(admin_client):
    order = disputed(evidence=[png()])
    evidence = DisputeEvidence.objects.get()
    url = reverse("orders:evidence", args=[evidence.pk])
    for member in (order.buyer, order.seller, moderator()):
        client = Client()
        client.force_login(member)
        response = client.get(url)
        assert response.status_code == 200
        assert response["Cache-Control"] == "private, no-store"
        assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert admin_client.get(url).status_code == 200
    stranger = Client()
    stranger.force_login(MemberFactory())
    assert stranger.get(url).status_code == 404
    assert Client().get(url).status_code == 404


# --- Talking, answering, escalating ---------------------------------------------------------------------


def test_the_seller_answers_within_three_days_or_a_moderator_takes_over(clock):
    quiet, answered = disputed(), disputed()
    services.dispute_message_add(order_id=answered.pk, author=answered.seller, body="Send it back, I'll refund")
    assert Dispute.objects.get(order=answered).seller_responded_at == clock.now
    with pytest.raises(ValidationError, match="still have time"):
        services.dispute_escalate(order_id=quiet.pk)
    clock.advance(timedelta(days=3, seconds=1))
    assert selectors.disputes_due_to_escalate() == [quiet.pk]
    for order_id in selectors.disputes_due_to_escalate():
        services.dispute_escalate(order_id=order_id)
    assert Dispute.objects.get(order=quiet).status == DisputeStatus.ESCALATED
    assert Dispute.objects.get(order=answered).status == DisputeStatus.OPEN
    # the parties who talk get a week to settle before a moderator takes over anyway
    clock.advance(timedelta(days=4))
    assert selectors.disputes_due_to_escalate() == [answered.pk]


def test_escalation_tells_the_moderators():
    mod = moderator()
    order = disputed()
    services.dispute_escalate(order_id=order.pk, actor=order.buyer)
    note = Notification.objects.get(member=mod)
    assert "needs a decision" in note.text
    assert note.url == reverse("admin:orders_dispute_change", args=[order.dispute.pk])
    with pytest.raises(ValidationError):
        services.dispute_escalate(order_id=order.pk, actor=order.seller)


def test_strangers_cannot_write_in_a_dispute():
    order = disputed()
    with pytest.raises(Http404):
        services.dispute_message_add(order_id=order.pk, author=MemberFactory(), body="Hello")
    services.dispute_message_add(order_id=order.pk, author=moderator(), body="I'm looking at it")


# --- Settling between the parties ---------------------------------------------------------------------------


def test_the_parties_settle_on_a_partial_refund(django_capture_on_commit_callbacks):
    # given
    order = disputed()
    # when the seller offers 40.00 back, the buyer asks 60.00, and the seller accepts that
    offer = services.dispute_proposal_create(order_id=order.pk, member=order.seller, refund_amount=4000)
    counter = services.dispute_proposal_create(order_id=order.pk, member=order.buyer, refund_amount=6000)
    offer.refresh_from_db()
    assert offer.status == ProposalStatus.WITHDRAWN  # one open proposal at a time
    with pytest.raises(PermissionDenied):
        services.dispute_proposal_accept(proposal_id=counter.pk, member=order.buyer)
    with django_capture_on_commit_callbacks(execute=True):
        services.dispute_proposal_accept(proposal_id=counter.pk, member=order.seller)
    # then 60.00 goes back, the other 45.00 is released as usual, and escrow is empty
    order.refresh_from_db()
    dispute = Dispute.objects.get(order=order)
    assert order.state == OrderState.RESOLVED
    assert (dispute.status, dispute.outcome, dispute.refund_amount) == ("settled", "partial_refund", 6000)
    assert refunded(order.buyer) == 6000
    assert payable(order.seller) == 3857  # 45.00 less the platform's share 45.00 × 15.00 / 105.00, half-up
    assert ledger.escrow_balance(order=order) == 0
    assert order.refunds.get().amount == 6000
    subjects = [m.subject for m in mail.outbox]
    assert sum("settled by agreement" in s for s in subjects) == 2


def test_a_declined_proposal_leaves_the_dispute_open():
    order = disputed()
    proposal = services.dispute_proposal_create(order_id=order.pk, member=order.seller, refund_amount=0)
    services.dispute_proposal_decline(proposal_id=proposal.pk, member=order.buyer)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.DECLINED
    assert Dispute.objects.get(order=order).is_open
    with pytest.raises(ValidationError, match="no longer open"):
        services.dispute_proposal_accept(proposal_id=proposal.pk, member=order.buyer)


def test_a_proposal_cannot_ask_for_more_than_is_held():
    order = disputed()
    with pytest.raises(ValidationError) as excinfo:
        services.dispute_proposal_create(order_id=order.pk, member=order.buyer, refund_amount=10_501)
    assert list(excinfo.value.message_dict) == ["refund_amount"]


# --- A moderator decides ----------------------------------------------------------------------------------


def test_a_moderator_decides_with_written_reasons():
    order = disputed()
    mod = moderator()
    with pytest.raises(ValidationError) as no_reasons:
        services.order_dispute_resolve(order_id=order.pk, moderator=mod, refund_amount=0, note="")
    assert list(no_reasons.value.message_dict) == ["note"]
    services.order_dispute_resolve(order_id=order.pk, moderator=mod, refund_amount=0, note="Photos show it intact.")
    dispute = Dispute.objects.get(order=order)
    assert (dispute.status, dispute.outcome, dispute.decided_by) == ("decided", "release", mod)
    assert payable(order.seller) == 9000 and refunded(order.buyer) == 0


def test_a_full_refund_decision_returns_everything():
    order = disputed()
    services.order_dispute_resolve(order_id=order.pk, moderator=moderator(), refund_amount=10_500, note="Never sent")
    assert Dispute.objects.get(order=order).outcome == "full_refund"
    assert refunded(order.buyer) == 10_500 and payable(order.seller) == 0


def test_the_admin_decision_page_refunds_part_and_both_parties_see_why(admin_client):
    # given an escalated dispute
    order = disputed(evidence=[png()])
    services.dispute_message_add(order_id=order.pk, author=order.seller, body="It left here intact")
    services.dispute_escalate(order_id=order.pk, actor=order.buyer)
    dispute = Dispute.objects.get(order=order)
    change = admin_client.get(reverse("admin:orders_dispute_change", args=[dispute.pk]))
    assert change.status_code == 200 and "Decide this dispute" in change.content.decode()
    url = reverse("admin:orders_dispute_decide", args=[dispute.pk])
    page = admin_client.get(url).content.decode()
    assert "It left here intact" in page and "broken.png" in page and "£105.00" in page
    # when the moderator asks for a partial refund without an amount, the form says so
    assert admin_client.post(url, {"outcome": "partial_refund", "note": "Half"}).status_code == 200
    # when they refund 30.00 with reasons
    response = admin_client.post(
        url, {"outcome": "partial_refund", "refund_amount": "30.00", "note": "Damage in transit; shared loss."}
    )
    assert response.status_code == 302
    # then the money moved and both parties read the decision on the order page
    order.refresh_from_db()
    assert order.state == OrderState.RESOLVED
    assert refunded(order.buyer) == 3000
    assert ledger.escrow_balance(order=order) == 0
    for member in (order.buyer, order.seller):
        client = Client()
        client.force_login(member)
        page = client.get(reverse("orders:detail", kwargs={"reference": order.reference})).content.decode()
        assert "Damage in transit; shared loss." in page
        assert "Partly refunded" in page


def test_the_order_page_carries_the_whole_dispute():
    order = disputed(evidence=[pdf()])
    services.dispute_message_add(order_id=order.pk, author=order.seller, body="Can you send a photo?")
    services.dispute_proposal_create(order_id=order.pk, member=order.seller, refund_amount=2000)
    buyer = Client()
    buyer.force_login(order.buyer)
    page = buyer.get(reverse("orders:detail", kwargs={"reference": order.reference})).content.decode()
    for text in ("It arrived in pieces", "Can you send a photo?", "letter.pdf", "Accept and settle", "£20.00"):
        assert text in page, text
    proposal = order.dispute.proposals.get()
    buyer.post(reverse("orders:dispute_proposal_accept", args=[order.reference, proposal.pk]))
    order.refresh_from_db()
    assert order.state == OrderState.RESOLVED and refunded(order.buyer) == 2000


def test_the_buyer_opens_a_dispute_from_the_order_page():
    order = delivered()
    client = Client()
    client.force_login(order.buyer)
    url = reverse("orders:dispute", kwargs={"reference": order.reference})
    empty = client.post(url, {"category": "damaged", "note": ""})
    assert empty.status_code == 400
    client.post(url, {"category": "damaged", "note": "Cracked", "evidence": [png("a.png"), png("b.png")]})
    order.refresh_from_db()
    assert order.state == OrderState.DISPUTED
    assert DisputeEvidence.objects.filter(dispute__order=order).count() == 2


def test_a_moderator_who_is_not_a_superuser_decides_in_the_admin():
    from community.services import role_grant

    staff = MemberFactory(is_staff=True)
    mod = MemberFactory()
    role_grant(member=mod, role="moderator", granted_by=staff)
    order = disputed()
    dispute = Dispute.objects.get(order=order)
    client = Client()
    client.force_login(mod)
    assert client.get(reverse("admin:orders_dispute_changelist")).status_code == 200
    url = reverse("admin:orders_dispute_decide", args=[dispute.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"outcome": "full_refund", "note": "Never shipped."})
    order.refresh_from_db()
    assert order.state == OrderState.RESOLVED and refunded(order.buyer) == 10_500
    # a staff member who is not a moderator cannot decide
    other = disputed()
    staff_client = Client()
    staff_client.force_login(staff)
    response = staff_client.get(reverse("admin:orders_dispute_decide", args=[other.dispute.pk]))
    assert response.status_code in (302, 403, 404)
