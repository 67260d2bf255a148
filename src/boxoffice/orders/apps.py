from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "boxoffice.orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        # The locked order row an action holds follows every save (transitions.lock).
        from boxoffice.orders import transitions  # noqa: F401
