"""Order pages, mounted at /orders/."""

from django.urls import path

from orders.views import checkout, disputes, money, orders, reviews

app_name = "orders"

urlpatterns = [
    path("", orders.buyer_orders, name="mine"),
    path("selling/", orders.seller_orders, name="selling"),
    path("checkout/<int:listing_id>/", checkout.checkout, name="checkout"),
    path("money/", money.balance, name="money"),
    path("money/payout/", money.payout_request, name="payout"),
    path("money/tax/<int:year>.csv", money.tax_summary, name="tax_summary"),
    path("evidence/<int:pk>/", disputes.evidence, name="evidence"),
    path("<uuid:reference>/", orders.order_detail, name="detail"),
    path("<uuid:reference>/receipt/", orders.receipt, name="receipt"),
    path("<uuid:reference>/statement/", money.statement, name="statement"),
    path("<uuid:reference>/pay/", checkout.pay, name="pay"),
    path("<uuid:reference>/pay/return/", checkout.pay_return, name="pay_return"),
    path("<uuid:reference>/authenticate/", checkout.authenticate, name="authenticate"),
    path("<uuid:reference>/accept/", orders.accept, name="accept"),
    path("<uuid:reference>/decline/", orders.decline, name="decline"),
    path("<uuid:reference>/fulfil/", orders.fulfil, name="fulfil"),
    path("<uuid:reference>/confirm/", orders.confirm, name="confirm"),
    path("<uuid:reference>/cancel/", orders.cancel, name="cancel"),
    path("<uuid:reference>/refund/", orders.refund, name="refund"),
    path("<uuid:reference>/review/", reviews.review_create, name="review"),
    path("<uuid:reference>/reviews/<int:pk>/reply/", reviews.review_reply, name="review_reply"),
    path("<uuid:reference>/dispute/", disputes.dispute_open, name="dispute"),
    path("<uuid:reference>/dispute/message/", disputes.dispute_message, name="dispute_message"),
    path("<uuid:reference>/dispute/propose/", disputes.proposal_create, name="dispute_propose"),
    path("<uuid:reference>/dispute/escalate/", disputes.dispute_escalate, name="dispute_escalate"),
    path(
        "<uuid:reference>/dispute/proposals/<int:pk>/accept/", disputes.proposal_accept, name="dispute_proposal_accept"
    ),
    path(
        "<uuid:reference>/dispute/proposals/<int:pk>/decline/",
        disputes.proposal_decline,
        name="dispute_proposal_decline",
    ),
]
