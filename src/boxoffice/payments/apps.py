from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "boxoffice.payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        # Attention follows every ledger change (orders.signals); the deploy check registers;
        # so does the event cancellation's job handler; held rows follow every save.
        from boxoffice.payments import attention, checks, event_cancel, held_rows  # noqa: F401
