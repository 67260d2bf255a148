from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "boxoffice.payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from boxoffice.payments import checks  # noqa: F401  (registers the Paytrail check)
