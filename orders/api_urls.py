"""Order endpoints under /api/v1/."""

from django.urls import path

from orders import api

urlpatterns = [
    path("orders", api.OrderListView.as_view(), name="orders"),
    path("orders/<int:pk>", api.OrderDetailView.as_view(), name="order"),
    path("orders/<int:pk>/pay", api.transition_view("pay"), name="order_pay"),
    path("orders/<int:pk>/pay/confirm", api.transition_view("pay_confirm"), name="order_pay_confirm"),
    path("orders/<int:pk>/accept", api.transition_view("accept"), name="order_accept"),
    path("orders/<int:pk>/decline", api.transition_view("decline"), name="order_decline"),
    path("orders/<int:pk>/fulfil", api.transition_view("fulfil"), name="order_fulfil"),
    path("orders/<int:pk>/confirm", api.transition_view("confirm"), name="order_confirm"),
    path("orders/<int:pk>/cancel", api.transition_view("cancel"), name="order_cancel"),
    path("orders/<int:pk>/dispute", api.transition_view("dispute"), name="order_dispute"),
    path("orders/<int:pk>/reviews", api.OrderReviewsView.as_view(), name="order_reviews"),
    path("balance", api.BalanceView.as_view(), name="balance"),
]
