from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "boxoffice.webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        # Deliveries follow the order history (orders.signals).
        from boxoffice.webhooks import outbox  # noqa: F401
