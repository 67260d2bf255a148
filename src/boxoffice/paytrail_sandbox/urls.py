"""Mounted at /paytrail-sandbox/ only while settings.PAYTRAIL_SANDBOX is on (boxoffice/urls.py).

The API paths mirror Paytrail's (``PAYTRAIL_API_URL`` points at this root), without trailing
slashes, exactly as a client builds them.
"""

from django.urls import path

from boxoffice.paytrail_sandbox import api, control_views, hosted

app_name = "paytrail_sandbox"

urlpatterns = [
    path("payments", api.create_payment, name="payments"),
    path("payments/<str:transaction_id>", api.payment_status, name="payment"),
    path("payments/<str:transaction_id>/refund", api.refund, name="refund"),
    path("payments/<str:transaction_id>/refund/email", api.refund_email, name="refund_email"),
    path("pay/<str:transaction_id>", hosted.pay, name="pay"),
    path("_control", control_views.control_page, name="control"),
]
