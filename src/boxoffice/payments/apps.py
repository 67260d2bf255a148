from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "boxoffice.payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from boxoffice.orders.signals import order_event_recorded
        from boxoffice.payments import attention, checks  # noqa: F401  (registers the check)

        # Every ledger change refreshes the order's attention items, in its transaction.
        order_event_recorded.connect(attention.on_order_event, dispatch_uid="payments.attention")
