from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "boxoffice.notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # Lifecycle emails follow the order history (orders.signals); the messages to
        # customers register their job's handler.
        from boxoffice.notifications import message_job, subscribers  # noqa: F401
