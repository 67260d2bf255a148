from django.urls import path
from django.views.generic import RedirectView

from boxoffice.backoffice import (
    attention_views,
    bulk_views,
    cancel_views,
    checkin_views,
    comment_views,
    document_views,
    door_list_views,
    event_views,
    export_views,
    job_views,
    message_views,
    order_list_views,
    paytrail_account_views,
    refund_views,
    return_views,
    saved_filters,
    token_views,
    views,
)

app_name = "backoffice"
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="backoffice:order_list"), name="home"),
    path("orders/", order_list_views.order_list, name="order_list"),
    path("orders/export/", export_views.order_export, name="order_export"),
    path("orders/bulk/", bulk_views.order_bulk, name="order_bulk"),
    path("exports/", export_views.export_list, name="export_list"),
    path("events/", event_views.event_list, name="event_list"),
    path("events/<int:event_id>/cancel/", event_views.event_cancel, name="event_cancel"),
    path("jobs/<int:job_id>/", job_views.job_detail, name="job_detail"),
    path("jobs/<int:job_id>/pause/", job_views.job_pause_view, name="job_pause"),
    path("jobs/<int:job_id>/resume/", job_views.job_resume_view, name="job_resume"),
    path("jobs/<int:job_id>/retry/", job_views.job_retry_view, name="job_retry"),
    path("jobs/<int:job_id>/results.csv", job_views.job_results_csv, name="job_results_csv"),
    path("exports/<int:export_id>/download/", export_views.export_download, name="export_download"),
    path("messages/", message_views.message_list, name="message_list"),
    path("messages/new/", message_views.message_new, name="message_new"),
    path("orders/saved-filters/", saved_filters.save, name="saved_filter_save"),
    path("orders/saved-filters/delete/", saved_filters.delete, name="saved_filter_delete"),
    path("api-tokens/", token_views.api_tokens, name="api_tokens"),
    path("payment-account/", paytrail_account_views.paytrail_account, name="paytrail_account"),
    path(
        "api-tokens/<int:token_id>/revoke/",
        token_views.api_token_revoke_view,
        name="api_token_revoke",
    ),
    path("orders/<str:code>/", views.order_detail, name="order_detail"),
    path("orders/<str:code>/customer/", views.order_customer_update, name="order_customer"),
    path(
        "orders/<str:code>/tickets/<int:ticket_id>/",
        views.ticket_participant,
        name="ticket_participant",
    ),
    path("orders/<str:code>/mark-paid/", views.order_mark_paid, name="order_mark_paid"),
    path("orders/<str:code>/cancel/", cancel_views.order_cancel, name="order_cancel"),
    path("orders/<str:code>/mark-refunded/", views.order_mark_refunded, name="order_mark_refunded"),
    path("orders/<str:code>/refund/", refund_views.order_refund, name="order_refund"),
    path(
        "orders/<str:code>/cancel-and-refund/",
        cancel_views.order_cancel_and_refund,
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
    path(
        "orders/<str:code>/accept-return/",
        return_views.order_accept_return_view,
        name="order_accept_return",
    ),
    path(
        "orders/<str:code>/decline-return/",
        return_views.order_decline_return_view,
        name="order_decline_return",
    ),
    path(
        "orders/<str:code>/attention/<int:item_id>/dismiss/",
        attention_views.attention_dismiss_view,
        name="attention_dismiss",
    ),
    path("orders/<str:code>/comments/", comment_views.order_comment_add, name="order_comment_add"),
    path(
        "orders/<str:code>/comments/<int:comment_id>/",
        comment_views.order_comment_edit,
        name="order_comment_edit",
    ),
    path("orders/<str:code>/resend/", document_views.order_resend_tickets, name="order_resend"),
    path("checkin/", checkin_views.checkin_events, name="checkin_events"),
    path("events/<int:event_id>/checkin/", checkin_views.checkin_event, name="checkin_event"),
    path(
        "events/<int:event_id>/checkin/devices/",
        checkin_views.checkin_device_create,
        name="checkin_device_create",
    ),
    path(
        "events/<int:event_id>/checkin/devices/<int:device_id>/revoke/",
        checkin_views.checkin_device_revoke,
        name="checkin_device_revoke",
    ),
    path(
        "events/<int:event_id>/door-list.pdf", door_list_views.door_list_pdf, name="door_list_pdf"
    ),
    path(
        "events/<int:event_id>/door-list.csv", door_list_views.door_list_csv, name="door_list_csv"
    ),
    path("platform/refunds/", refund_views.platform_refunds, name="platform_refunds"),
    path(
        "platform/refunds/<int:refund_id>/complete/",
        refund_views.platform_refund_complete,
        name="platform_refund_complete",
    ),
]
