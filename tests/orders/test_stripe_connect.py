"""Seller onboarding to Stripe Connect Express, the account's status following Stripe, and no money to a seller
before Stripe enables their payouts."""

import pytest
from django.urls import reverse

from orders import connect, ledger, services
from orders.models import AccountKind, GatewayCallStatus, Payout, StripeAccount
from tests.orders.factories import MemberFactory, item_listing
from tests.orders.stripe_fake import deliver, onboarded_seller, use_stripe

pytestmark = pytest.mark.django_db

STATUS = reverse("stripe_connect:status")


@pytest.fixture
def fake(stripe_server, settings, monkeypatch):
    return use_stripe(stripe_server, settings, monkeypatch)


@pytest.fixture
def seller(client):
    member = MemberFactory()
    client.force_login(member)
    return member


def account_updates(fake, account_id):
    return [event for event in fake.events("account.updated") if event["data"]["object"]["id"] == account_id]


# --- Onboarding -------------------------------------------------------------------------------------------


def test_a_seller_without_an_account_is_offered_to_set_up_payouts(fake, client, seller):
    response = client.get(STATUS)
    assert response.status_code == 200
    assert "Set up payouts" in response.content.decode()


def test_setting_up_creates_an_express_account_and_sends_the_seller_to_stripe(fake, client, seller):
    # when
    response = client.post(reverse("stripe_connect:start"))
    # then an Express account that can receive transfers
    [account] = fake.objects("account")
    assert account["type"] == "express"
    assert account["email"] == seller.email
    assert account["capabilities"] == {"transfers": "inactive"}
    assert account["metadata"] == {"guildhall_member": str(seller.pk)}
    # and a link to Stripe's onboarding that comes back to our pages
    [link] = fake.account_links
    assert (link["account"], link["type"]) == (account["id"], "account_onboarding")
    assert link["refresh_url"] == "http://testserver/payouts/stripe/refresh/"
    assert link["return_url"] == "http://testserver/payouts/stripe/return/"
    assert response.status_code == 302
    assert response["Location"].endswith(f"/onboarding/{account['id']}/{link['token']}")
    # and we keep the account, not yet able to receive money
    stored = StripeAccount.objects.get(member=seller)
    assert stored.account_id == account["id"]
    assert (stored.details_submitted, stored.charges_enabled, stored.payouts_enabled) == (False, False, False)
    assert "external_account" in stored.requirements_due


def test_continuing_reuses_the_account_with_a_new_link(fake, client, seller):
    client.post(reverse("stripe_connect:start"))
    client.post(reverse("stripe_connect:start"))
    response = client.get(reverse("stripe_connect:refresh"))
    assert len(fake.objects("account")) == 1
    assert len(fake.account_links) == 3
    assert response.status_code == 302
    assert response["Location"].endswith(fake.account_links[-1]["token"])


def test_coming_back_from_stripe_reads_the_accounts_state(fake, client, seller):
    # given the seller finished onboarding on Stripe (the webhook has not arrived)
    client.post(reverse("stripe_connect:start"))
    account_id = StripeAccount.objects.get(member=seller).account_id
    fake.onboard(account_id)
    # when Stripe sends them back
    response = client.get(reverse("stripe_connect:return"), follow=True)
    # then
    account = StripeAccount.objects.get(member=seller)
    assert (account.details_submitted, account.payouts_enabled, account.requirements_due) == (True, True, [])
    page = response.content.decode()
    assert "You are set up to get paid." in page
    assert "Open your Stripe dashboard" in page


def test_coming_back_unfinished_says_what_is_left(fake, client, seller):
    client.post(reverse("stripe_connect:start"))
    response = client.get(reverse("stripe_connect:return"), follow=True)
    page = response.content.decode()
    assert "Stripe still needs a few details before you can get paid." in page
    assert "Continue on Stripe" in page


def test_an_onboarded_seller_opens_their_express_dashboard(fake, client, seller):
    onboarded_seller(fake, seller)
    response = client.post(reverse("stripe_connect:dashboard"))
    assert response.status_code == 302
    assert response["Location"] == f"https://connect.example/{seller.stripe_account.account_id}"


def test_the_pages_need_a_member_and_the_stripe_gateway(fake, client, settings):
    assert client.get(STATUS).status_code == 302  # to the login page
    client.force_login(MemberFactory())
    settings.PAYMENT_GATEWAY = "offline"
    assert client.get(STATUS).status_code == 404
    assert client.post(reverse("stripe_connect:start")).status_code == 404


# --- Status follows account.updated -------------------------------------------------------------------------


def test_the_status_follows_the_account_updated_webhook(fake, client, seller):
    # given
    account = connect.stripe_account_get_or_create(member=seller)
    # when Stripe enables the account
    fake.onboard(account.account_id)
    assert deliver(client, account_updates(fake, account.account_id)[-1]).status_code == 200
    # then
    account.refresh_from_db()
    assert (account.payouts_enabled, account.details_submitted) == (True, True)
    # when Stripe restricts it
    fake.restrict(account.account_id)
    assert deliver(client, account_updates(fake, account.account_id)[-1]).status_code == 200
    # then
    account.refresh_from_db()
    assert (account.payouts_enabled, account.requirements_due) == (False, ["individual.verification.document"])
    assert account.disabled_reason == "requirements.past_due"


def test_a_newer_account_updated_is_applied_as_sent(fake, client, seller):
    # given our copy is from a second ago
    account = connect.stripe_account_get_or_create(member=seller)
    fake.onboard(account.account_id)
    [event] = account_updates(fake, account.account_id)
    StripeAccount.objects.filter(pk=account.pk).update(synced_at=account.synced_at.replace(year=2020))
    # when
    deliver(client, event)
    # then the event's snapshot and time are kept
    account.refresh_from_db()
    assert account.payouts_enabled is True
    assert account.synced_at.timestamp() == event["created"]


def test_an_older_account_updated_does_not_undo_a_newer_one(fake, client, seller):
    # given Stripe restricted the account, then the seller fixed it
    account = connect.stripe_account_get_or_create(member=seller)
    fake.restrict(account.account_id)
    fake.onboard(account.account_id)
    restricted, enabled = account_updates(fake, account.account_id)
    restricted["created"] = enabled["created"] - 5
    # when the events arrive newest first
    deliver(client, enabled)
    deliver(client, restricted)
    # then the newest state stays
    account.refresh_from_db()
    assert account.payouts_enabled is True
    assert account.synced_at.timestamp() == enabled["created"]


def test_two_changes_in_one_second_are_settled_by_asking_stripe(fake, client, seller):
    account = connect.stripe_account_get_or_create(member=seller)
    fake.restrict(account.account_id)
    fake.onboard(account.account_id)
    restricted, enabled = account_updates(fake, account.account_id)
    restricted["created"] = enabled["created"]
    deliver(client, enabled)
    deliver(client, restricted)  # same second: which came last? Stripe's account says
    account.refresh_from_db()
    assert account.payouts_enabled is True


def test_an_account_that_is_not_ours_is_ignored(fake, client):
    other = fake.post("/v1/accounts", type="express")
    fake.onboard(other["id"])
    [event] = fake.events("account.updated")
    assert deliver(client, event).status_code == 200
    assert not StripeAccount.objects.exists()


# --- No money before payouts are enabled ------------------------------------------------------------------


def released_order_for(seller):
    """A paid, delivered and released order: the seller's share is in their payable balance."""
    listing = item_listing(seller=seller, price_amount=2400, quantity=3)
    buyer = MemberFactory()
    order = services.order_create(buyer=buyer, listing_id=listing.pk, quantity=1, payment_method="pm_card_visa")
    services.order_fulfil(order_id=order.pk, actor=seller)
    return services.order_complete(order_id=order.pk, actor=buyer)


def payable(seller) -> int:
    return ledger.member_balance(member=seller, kind=AccountKind.SELLER_PAYABLE, currency="GBP")


def test_a_payout_is_refused_before_payouts_are_enabled_and_the_money_stays_payable(
    fake, seller, django_capture_on_commit_callbacks
):
    # given a seller with money owed who started onboarding but has not finished
    order = released_order_for(seller)
    connect.stripe_account_get_or_create(member=seller)
    owed = payable(seller)
    assert owed == order.seller_net
    # when they ask for a payout
    with django_capture_on_commit_callbacks(execute=True):
        [payout] = services.payout_create(seller=seller)
    # then nothing reached Stripe, the payout failed with the reason, and the money is still theirs
    payout.refresh_from_db()
    assert payout.status == GatewayCallStatus.FAILED
    assert "has not enabled payouts" in payout.message
    assert fake.objects("transfer") == []
    assert payable(seller) == owed
    # when Stripe enables payouts and they ask again
    onboarded_seller(fake, seller)
    with django_capture_on_commit_callbacks(execute=True):
        [payout] = services.payout_create(seller=seller)
    # then one transfer to their connected account carries it all
    payout.refresh_from_db()
    assert payout.status == GatewayCallStatus.SUCCEEDED
    [transfer] = fake.objects("transfer")
    assert (transfer["id"], transfer["amount"]) == (payout.gateway_reference, owed)
    assert transfer["destination"] == seller.stripe_account.account_id
    assert payable(seller) == 0
    assert ledger.member_balance(member=seller, kind=AccountKind.SELLER_PAID_OUT, currency="GBP") == owed


def test_release_transfers_wait_for_payouts_enabled(fake, seller):
    # given
    order = released_order_for(seller)
    # when the release is transferred before the seller has onboarded
    assert connect.order_transfers_send(order_id=order.pk) == []
    # then nothing went, nothing was booked, and the share is still in their balance
    assert fake.objects("transfer") == []
    assert not Payout.objects.exists()
    assert payable(seller) == order.seller_net
    # and sending again does not book it either
    assert connect.order_transfers_send(order_id=order.pk) == []
    assert payable(seller) == order.seller_net
    # when Stripe enables their payouts
    onboarded_seller(fake, seller)
    # then the waiting share goes, once
    assert connect.stripe_transfers_resume(member_id=seller.pk) == 1
    [transfer] = fake.objects("transfer")
    assert (transfer["amount"], transfer["transfer_group"]) == (order.seller_net, order.transfer_group)
    assert payable(seller) == 0
    assert connect.stripe_transfers_resume(member_id=seller.pk) == 0
