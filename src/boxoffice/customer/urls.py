from django.urls import path

from boxoffice.customer import link_views, views

app_name = "customer"
urlpatterns = [
    path("", link_views.links, name="links"),
    path("<str:code>/<str:secret>/", views.order_page, name="order"),
    path("<str:code>/<str:secret>/pay", views.order_pay, name="pay"),
    path("<str:code>/<str:secret>/tickets.pdf", views.tickets_download, name="tickets_pdf"),
    path(
        "<str:code>/<str:secret>/tickets/<int:ticket_id>.pdf",
        views.ticket_download,
        name="ticket_pdf",
    ),
    path("<str:code>/<str:secret>/receipt.pdf", views.receipt_download, name="receipt_pdf"),
    path(
        "<str:code>/<str:secret>/tickets/<int:ticket_id>/",
        views.participant_edit,
        name="participant",
    ),
    path("<str:code>/<str:secret>/return", views.return_request, name="return"),
]
