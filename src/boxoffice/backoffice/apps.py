from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackofficeConfig(AppConfig):
    name = "boxoffice.backoffice"
    verbose_name = _("Back office")

    def ready(self) -> None:
        # A login starts the idle clock (middleware.py).
        from boxoffice.backoffice import middleware  # noqa: F401
