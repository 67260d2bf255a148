from django.urls import path

from boxoffice.payments import views

app_name = "payments"
urlpatterns = [
    path(
        "paytrail/refund/<str:outcome>/",
        views.paytrail_refund_callback,
        name="paytrail_refund_callback",
    ),
    path(
        "paytrail/payment/<str:outcome>/",
        views.paytrail_payment_callback,
        name="paytrail_payment_callback",
    ),
    path("paytrail/return/<str:outcome>/", views.paytrail_return, name="paytrail_return"),
]
