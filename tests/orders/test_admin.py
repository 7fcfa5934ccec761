import pytest
from django.urls import reverse

from orders import services
from orders.models import CommissionConfig
from tests.orders.factories import MemberFactory, category, item_listing

pytestmark = pytest.mark.django_db


def test_operators_edit_the_commission_in_the_admin(admin_client):
    # when an operator sets 12 % and a category override
    response = admin_client.post(
        reverse("admin:orders_commissionconfig_add"),
        {"seller_bps": "1200", "buyer_fee_bps": "400", "minimum_commission": "30"},
    )
    assert response.status_code == 302
    cat = category()
    response = admin_client.post(
        reverse("admin:orders_categorycommission_add"),
        {"category": cat.pk, "seller_bps": "800", "buyer_fee_bps": "", "minimum_commission": ""},
    )
    assert response.status_code == 302
    # then new quotes follow them, and a second configuration cannot be added
    order = services.order_create(
        buyer=MemberFactory(), listing_id=item_listing(cat=cat, price_amount=10_000).pk, payment_method="pm_card_visa"
    )
    assert (order.commission, order.buyer_fee) == (800, 400)
    assert CommissionConfig.objects.count() == 1
    assert admin_client.get(reverse("admin:orders_commissionconfig_add")).status_code == 403


def test_orders_and_the_ledger_are_read_only_in_the_admin(admin_client):
    order = services.order_create(buyer=MemberFactory(), listing_id=item_listing().pk, payment_method="pm_card_visa")
    assert admin_client.get(reverse("admin:orders_order_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:orders_order_change", args=[order.pk])).status_code == 200
    assert admin_client.get(reverse("admin:orders_account_changelist")).status_code == 200
    transaction = order.ledger_transactions.get()
    page = admin_client.get(reverse("admin:orders_ledgertransaction_change", args=[transaction.pk]))
    assert page.status_code == 200
    deleted = admin_client.post(reverse("admin:orders_order_delete", args=[order.pk]), {"post": "yes"})
    assert deleted.status_code == 403
