"""The Stripe webhook endpoint and the processing of its events: signatures, storage by event id, redeliveries,
any order of arrival, retries through Celery, and a live delivery by the fake server."""

import json
import time
from datetime import timedelta
from itertools import permutations

import pytest
from django.db import transaction
from django.utils import timezone

from hub.celery import app as celery_app
from orders import connect, ledger, services
from orders.gateways import GatewayError
from orders.ledger_check import ledger_problems
from orders.models import (
    GatewayCallStatus,
    LedgerTransaction,
    Order,
    OrderState,
    Payout,
    Refund,
    StripeAccount,
    StripeConnectedPayout,
    StripeEvent,
    StripeEventStatus,
    StripePayment,
    StripeTransfer,
)
from orders.webhooks import stripe_events_retry
from tests.orders.factories import MemberFactory, item_listing
from tests.orders.stripe_fake import (
    CONNECT_WEBHOOK_SECRET,
    WEBHOOK_SECRET,
    deliver,
    event_body,
    onboarded_seller,
    signature_header,
    use_stripe,
)

pytestmark = pytest.mark.django_db

URL = "/webhooks/stripe/"


@pytest.fixture
def fake(stripe_server, settings, monkeypatch):
    return use_stripe(stripe_server, settings, monkeypatch)


def paid_event(fake):
    """A real payment_intent.succeeded event from the fake server (nobody's order)."""
    fake.post(
        "/v1/payment_intents",
        amount=1000,
        currency="gbp",
        payment_method="pm_card_visa",
        confirm="true",
        transfer_group="order-elsewhere",
    )
    [event] = fake.events("payment_intent.succeeded")
    return event


def snapshot(order: Order) -> str:
    """Everything a Stripe event can change, without the times of our own writes."""
    order.refresh_from_db()
    state = {
        "order": [order.state, order.charge_reference, order.paid_at is not None],
        "escrow": ledger.escrow_balance(order=order),
        "ledger": sorted(LedgerTransaction.objects.values_list("idempotency_key", "kind")),
        "refunds": sorted(Refund.objects.values_list("idempotency_key", "status", "gateway_reference", "amount")),
        "payouts": sorted(Payout.objects.values_list("idempotency_key", "status", "gateway_reference", "amount")),
        "accounts": list(
            StripeAccount.objects.values_list(
                "account_id", "charges_enabled", "payouts_enabled", "details_submitted", "requirements_due", "synced_at"
            )
        ),
        "payments": list(
            StripePayment.objects.values_list(
                "payment_intent_id", "order_id", "charge_id", "status", "amount", "amount_refunded", "synced_at"
            )
        ),
        "transfers": list(
            StripeTransfer.objects.values_list(
                "transfer_id", "destination", "amount", "amount_reversed", "transfer_group", "guildhall_key"
            )
        ),
        "events": sorted(StripeEvent.objects.values_list("event_id", "status")),
    }
    return json.dumps(state, default=str, sort_keys=True)


def outcome_of(deliveries, client, order) -> str:
    """Delivers, snapshots, and rolls the database back to before the deliveries."""
    savepoint = transaction.savepoint()
    for event in deliveries:
        assert deliver(client, event).status_code == 200
    result = snapshot(order)
    transaction.savepoint_rollback(savepoint)
    return result


# --- Receiving --------------------------------------------------------------------------------------------


def test_a_signed_event_is_stored_by_id_and_processed(fake, client):
    event = paid_event(fake)
    response = deliver(client, event)
    assert response.status_code == 200
    assert response.json() == {"received": True, "duplicate": False}
    stored = StripeEvent.objects.get()
    assert (stored.event_id, stored.type, stored.payload) == (event["id"], event["type"], event)
    assert stored.created.timestamp() == event["created"]
    assert stored.status == StripeEventStatus.IGNORED  # not one of our orders
    assert stored.processed_at is not None


@pytest.mark.parametrize(
    "case",
    ["wrong secret", "tampered payload", "no signature", "older than 300 s", "garbled header"],
)
def test_a_bad_or_stale_signature_is_refused(fake, client, case):
    event = paid_event(fake)
    body = event_body(event)
    header = signature_header(body, WEBHOOK_SECRET)
    if case == "wrong secret":
        header = signature_header(body, "whsec_someone_else")
    elif case == "tampered payload":
        body = body.replace(b'"amount": 1000', b'"amount": 1')
    elif case == "no signature":
        header = ""
    elif case == "older than 300 s":
        header = signature_header(body, WEBHOOK_SECRET, timestamp=int(time.time()) - 301)
    elif case == "garbled header":
        header = "v1=abc"
    response = client.post(URL, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)
    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


def test_a_signature_within_300_s_and_either_endpoint_secret_is_accepted(fake, client):
    event = paid_event(fake)
    assert deliver(client, event, timestamp=int(time.time()) - 290).status_code == 200
    other = {**event, "id": event["id"] + "b"}
    assert deliver(client, other, secret=CONNECT_WEBHOOK_SECRET).status_code == 200
    assert StripeEvent.objects.count() == 2


def test_the_endpoint_needs_no_session_or_csrf_token(fake):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert deliver(strict, paid_event(fake)).status_code == 200
    assert strict.get(URL).status_code == 405


def test_a_redelivered_event_is_stored_once_and_answered_200(fake, client):
    event = paid_event(fake)
    responses = [deliver(client, event) for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert [r.json()["duplicate"] for r in responses] == [False, True, True]
    stored = StripeEvent.objects.get()
    assert stored.attempts == 1


# --- One order's lifecycle, in any order and any number of times -------------------------------------------


@pytest.fixture
def waiting_order(fake):
    """A 3-D Secure order still waiting for payment after the buyer authenticated (the page never confirmed), a
    seller whose onboarding Stripe finished, and an operator's partial refund made in Stripe's dashboard: four
    events about one order that Guildhall has not seen yet."""
    seller = MemberFactory()
    account = connect.stripe_account_get_or_create(member=seller)
    fake.restrict(account.account_id)
    fake.onboard(account.account_id)
    restricted, enabled = fake.events("account.updated")
    restricted["created"] = enabled["created"] - 5  # Stripe restricted the account, then it was fixed
    StripeAccount.objects.filter(pk=account.pk).update(synced_at=timezone.now() - timedelta(minutes=1))

    listing = item_listing(seller=seller, quantity=1)
    order = services.order_create(
        buyer=MemberFactory(), listing_id=listing.pk, payment_method="pm_card_authenticationRequired"
    )
    fake.authenticate(order.charge_reference)
    fake.post("/v1/refunds", payment_intent=order.charge_reference, amount=300)
    [paid] = fake.events("payment_intent.succeeded")
    [refunded] = fake.events("charge.refunded")
    return order, [restricted, enabled, paid, refunded]


def test_every_order_of_one_orders_events_ends_the_same(fake, client, waiting_order):
    # given
    order, events = waiting_order
    # when the four events arrive in each of the 24 orders
    outcomes = {outcome_of(ordering, client, order) for ordering in permutations(events)}
    # then
    assert len(outcomes) == 1
    final = json.loads(outcomes.pop())
    assert final["order"][0] == OrderState.PAID
    assert final["escrow"] == order.total
    [[_account, charges, payouts, details, due, _synced]] = final["accounts"]
    assert (payouts, details, due) == (True, True, [])
    [[intent, order_id, charge, status, amount, refunded, _synced]] = final["payments"]
    assert (intent, order_id, status, amount, refunded) == (
        order.charge_reference,
        order.pk,
        "succeeded",
        order.total,
        300,
    )
    assert charge.startswith("ch_")
    assert {status for _id, status in final["events"]} == {StripeEventStatus.PROCESSED}


def test_each_event_delivered_three_times_ends_as_delivered_once(fake, client, waiting_order):
    order, events = waiting_order
    once = outcome_of(events, client, order)
    thrice_in_a_row = outcome_of([event for event in events for _ in range(3)], client, order)
    thrice_in_turn = outcome_of(events * 3, client, order)
    assert once == thrice_in_a_row == thrice_in_turn


@pytest.fixture
def lost_answers(fake, django_capture_on_commit_callbacks):
    """A paid order whose refund and release transfer reached Stripe but whose answers were lost (our rows still
    pending), and an operator's partial reversal of the transfer: the events must settle our rows."""
    seller = onboarded_seller(fake)
    listing = item_listing(seller=seller, quantity=1)
    buyer = MemberFactory()
    order = services.order_create(buyer=buyer, listing_id=listing.pk, payment_method="pm_card_visa")
    fake.fail_next("POST /v1/refunds$", after=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.order_refund(order_id=order.pk, seller=seller, amount=400, idempotency_key="form-1")
    services.order_fulfil(order_id=order.pk, actor=seller)
    services.order_complete(order_id=order.pk, actor=buyer)
    fake.fail_next("POST /v1/transfers$", after=True)
    with pytest.raises(GatewayError, match="Stripe did not answer"):
        connect.order_transfers_send(order_id=order.pk)
    assert Refund.objects.get().status == Payout.objects.get().status == GatewayCallStatus.PENDING
    [transfer] = fake.objects("transfer")
    fake.post(f"/v1/transfers/{transfer['id']}/reversals", amount=100)
    events = [
        *fake.events("payment_intent.succeeded"),
        *fake.events("charge.refunded"),
        *fake.events("transfer.created"),
        *fake.events("transfer.reversed"),
    ]
    assert len(events) == 4
    return order, events, transfer


def test_lost_answers_are_settled_by_the_events_in_any_order(fake, client, lost_answers):
    # given
    order, events, transfer = lost_answers
    # when
    outcomes = {outcome_of(ordering, client, order) for ordering in permutations(events)}
    # then
    assert len(outcomes) == 1
    final = json.loads(outcomes.pop())
    [[_key, refund_status, refund_reference, amount]] = final["refunds"]
    assert (refund_status, amount) == (GatewayCallStatus.SUCCEEDED, 400)
    assert refund_reference == fake.objects("refund")[0]["id"]
    [[_key, payout_status, payout_reference, _amount]] = final["payouts"]
    assert (payout_status, payout_reference) == (GatewayCallStatus.SUCCEEDED, transfer["id"])
    [[transfer_id, destination, amount, reversed_amount, group, _key]] = final["transfers"]
    assert (transfer_id, amount, reversed_amount, group) == (
        transfer["id"],
        transfer["amount"],
        100,
        order.transfer_group,
    )
    assert final["payments"][0][5] == 400  # refunded


@pytest.fixture
def whole_lifecycle(fake, client, django_capture_on_commit_callbacks):
    """One order's whole life through Stripe, with every answer Guildhall could miss missed: paid in the Payment
    Element (the browser came back), partly refunded (the refund's answer lost), released and transferred (the
    transfer's answer lost), then Stripe restricted the seller's account. Its lifecycle events, as Stripe sent them:
    payment_intent.succeeded, charge.refunded, transfer.created and account.updated."""
    seller = onboarded_seller(fake)
    account = seller.stripe_account
    listing = item_listing(seller=seller, quantity=1)
    order = services.order_create(buyer=MemberFactory(), listing_id=listing.pk)
    order = services.order_payment_intent_prepare(order_id=order.pk, buyer=order.buyer)
    fake.confirm_in_browser(order.charge_reference, "pm_card_visa", client_secret=order.payment_client_secret)
    order, _result = services.order_payment_intent_settle(
        order_id=order.pk, buyer=order.buyer, payment_intent=order.charge_reference
    )
    assert order.state == OrderState.PAID
    fake.fail_next("POST /v1/refunds$", after=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.order_refund(order_id=order.pk, seller=seller, amount=400, idempotency_key="form-1")
    services.order_fulfil(order_id=order.pk, actor=seller)
    fake.fail_next("POST /v1/transfers$", after=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.order_complete(order_id=order.pk, actor=order.buyer)  # queues the transfer, whose answer is lost
    assert Refund.objects.get().status == Payout.objects.get().status == GatewayCallStatus.PENDING
    fake.restrict(account.account_id)
    StripeAccount.objects.filter(pk=account.pk).update(synced_at=timezone.now() - timedelta(minutes=1))
    events = [
        *fake.events("payment_intent.succeeded"),
        *fake.events("charge.refunded"),
        *fake.events("transfer.created"),
        *fake.events("account.updated")[-1:],
    ]
    assert [event["type"] for event in events] == [
        "payment_intent.succeeded",
        "charge.refunded",
        "transfer.created",
        "account.updated",
    ]
    return order, events


def lifecycle_outcome(deliveries, client, order, capture) -> str:
    """Delivers (running what each delivery queues after commit), snapshots with the ledger check's verdict, and
    rolls the database back."""
    savepoint = transaction.savepoint()
    for event in deliveries:
        with capture(execute=True):
            assert deliver(client, event).status_code == 200
    result = json.loads(snapshot(order))
    result["ledger_check"] = [str(problem) for problem in ledger_problems()]
    transaction.savepoint_rollback(savepoint)
    return json.dumps(result, sort_keys=True)


def test_every_ordering_of_a_lifecycle_each_delivered_three_times_ends_the_same(
    fake, client, whole_lifecycle, django_capture_on_commit_callbacks
):
    # given
    order, events = whole_lifecycle
    capture = django_capture_on_commit_callbacks
    once = lifecycle_outcome(events, client, order, capture)
    # when the four events arrive in each of the 24 orders, each three times (in turn), and three times in a row
    outcomes = {lifecycle_outcome(list(ordering) * 3, client, order, capture) for ordering in permutations(events)}
    outcomes.add(lifecycle_outcome([event for event in events for _ in range(3)], client, order, capture))
    # then every one ends as the events delivered once, in the order Stripe sent them
    assert outcomes == {once}
    final = json.loads(once)
    assert final["ledger_check"] == []
    assert final["order"][0] == OrderState.RELEASED
    assert final["escrow"] == 0
    [[_key, refund_status, refund_reference, refunded]] = final["refunds"]
    assert (refund_status, refund_reference, refunded) == (
        GatewayCallStatus.SUCCEEDED,
        fake.objects("refund")[0]["id"],
        400,
    )
    [transfer] = fake.objects("transfer")
    [[_key, payout_status, payout_reference, amount]] = final["payouts"]
    assert (payout_status, payout_reference, amount) == (
        GatewayCallStatus.SUCCEEDED,
        transfer["id"],
        transfer["amount"],
    )
    [[_account, charges, payouts, _details, due, _synced]] = final["accounts"]
    assert (payouts, due) == (False, ["individual.verification.document"])
    [[_intent, order_id, _charge, status, _amount, amount_refunded, _synced]] = final["payments"]
    assert (order_id, status, amount_refunded) == (order.pk, "succeeded", 400)
    assert {status for _id, status in final["events"]} == {StripeEventStatus.PROCESSED}
    assert len(final["events"]) == 4


def test_a_payout_of_a_connected_account_is_recorded(fake, client):
    seller = onboarded_seller(fake)
    account_id = seller.stripe_account.account_id
    fake.pay_out(account_id, 2500)
    for event in fake.events("payout.paid", "payout.created")[::-1]:  # paid first: created must not undo it
        assert deliver(client, event).status_code == 200
    payout = StripeConnectedPayout.objects.get()
    assert (payout.account, payout.amount, payout.currency, payout.status) == (account_id, 2500, "GBP", "paid")
    assert payout.arrival_date is not None


# --- Retries ----------------------------------------------------------------------------------------------


@pytest.fixture
def celery_retries():
    """Eager tasks retry inline as a worker would, instead of raising Retry at the caller (the orders conftest makes
    eager tasks propagate errors; it restores the setting after the test)."""
    celery_app.conf.task_eager_propagates = False


def test_processing_that_fails_once_is_retried_through_celery(fake, client, celery_retries):
    # given an order waiting for its 3-D Secure payment, which the buyer completed
    order = services.order_create(
        buyer=MemberFactory(), listing_id=item_listing().pk, payment_method="pm_card_authenticationRequired"
    )
    fake.authenticate(order.charge_reference)
    [event] = fake.events("payment_intent.succeeded")
    # when Stripe's API fails once while the event is processed
    fake.fail_next("GET /v1/payment_intents/")
    response = deliver(client, event)
    # then Celery retried it and the second attempt recorded the payment
    assert response.status_code == 200
    stored = StripeEvent.objects.get()
    assert (stored.status, stored.attempts, stored.last_error) == (StripeEventStatus.PROCESSED, 2, "")
    order.refresh_from_db()
    assert order.state == OrderState.PAID


def test_an_event_that_keeps_failing_stays_stored_and_the_sweep_processes_it_later(fake, client, celery_retries):
    # given Stripe's API is down for longer than the retries last
    order = services.order_create(
        buyer=MemberFactory(), listing_id=item_listing().pk, payment_method="pm_card_authenticationRequired"
    )
    fake.authenticate(order.charge_reference)
    [event] = fake.events("payment_intent.succeeded")
    fake.fail_next("GET /v1/payment_intents/", times=100)
    # when
    assert deliver(client, event).status_code == 200
    # then it is kept, failed, with the reason
    stored = StripeEvent.objects.get()
    assert stored.status == StripeEventStatus.FAILED
    assert stored.attempts == 9  # the first try and 8 retries
    assert "Stripe did not answer" in stored.last_error
    # when Stripe is back and the sweep runs after a while
    fake.reset_faults()
    StripeEvent.objects.update(received_at=timezone.now() - timedelta(minutes=11))
    assert stripe_events_retry() == 1
    # then
    stored.refresh_from_db()
    assert stored.status == StripeEventStatus.PROCESSED
    order.refresh_from_db()
    assert order.state == OrderState.PAID


# --- A live delivery --------------------------------------------------------------------------------------


# serialized_rollback: the flush after the test then leaves the migrated rows (content types, the Wagtail home) to
# the restore of the next serialized test (the e2e journeys) instead of recreating them with new ids.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_fake_server_delivers_signed_events_to_the_live_endpoint(stripe_server, settings, monkeypatch, live_server):
    # given the fake server sends the platform's events and the Connect events to our endpoint, as Stripe does
    fake = use_stripe(stripe_server, settings, monkeypatch)
    url = f"{live_server.url}{URL}"
    fake.register_webhook("platform", url, WEBHOOK_SECRET, ["payment_intent.succeeded", "transfer.created"])
    fake.register_webhook("connect", url, CONNECT_WEBHOOK_SECRET, ["account.updated"])
    seller = MemberFactory()
    account = connect.stripe_account_get_or_create(member=seller)
    listing = item_listing(seller=seller, quantity=1)
    # when the seller onboards and a buyer pays
    fake.onboard(account.account_id)
    order = services.order_create(buyer=MemberFactory(), listing_id=listing.pk, payment_method="pm_card_visa")
    # then both events arrive, signed, and are processed
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        done = set(StripeEvent.objects.filter(status=StripeEventStatus.PROCESSED).values_list("type", flat=True))
        if done >= {"account.updated", "payment_intent.succeeded"}:
            break
        time.sleep(0.2)
    assert done >= {"account.updated", "payment_intent.succeeded"}
    account.refresh_from_db()
    assert account.payouts_enabled is True
    assert StripePayment.objects.get().order_id == order.pk
