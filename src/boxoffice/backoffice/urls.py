from django.urls import path
from django.views.generic import RedirectView

from boxoffice.backoffice import document_views, refund_views, views

app_name = "backoffice"
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="backoffice:order_list"), name="home"),
    path("orders/", views.order_list, name="order_list"),
    path("orders/<str:code>/", views.order_detail, name="order_detail"),
    path("orders/<str:code>/customer/", views.order_customer_update, name="order_customer"),
    path(
        "orders/<str:code>/tickets/<int:ticket_id>/",
        views.ticket_participant,
        name="ticket_participant",
    ),
    path("orders/<str:code>/mark-paid/", views.order_mark_paid, name="order_mark_paid"),
    path("orders/<str:code>/cancel/", views.order_cancel, name="order_cancel"),
    path("orders/<str:code>/mark-refunded/", views.order_mark_refunded, name="order_mark_refunded"),
    path("orders/<str:code>/refund/", refund_views.order_refund, name="order_refund"),
    path(
        "orders/<str:code>/cancel-and-refund/",
        refund_views.order_cancel_and_refund,
        name="order_cancel_and_refund",
    ),
    path(
        "orders/<str:code>/tickets.pdf",
        document_views.order_tickets_download,
        name="order_tickets_pdf",
    ),
    path(
        "orders/<str:code>/tickets/<int:ticket_id>.pdf",
        document_views.ticket_download,
        name="ticket_pdf",
    ),
    path(
        "orders/<str:code>/receipt.pdf", document_views.receipt_download, name="order_receipt_pdf"
    ),
    path("orders/<str:code>/resend/", document_views.order_resend_tickets, name="order_resend"),
    path("platform/refunds/", refund_views.platform_refunds, name="platform_refunds"),
    path(
        "platform/refunds/<int:refund_id>/complete/",
        refund_views.platform_refund_complete,
        name="platform_refund_complete",
    ),
]
