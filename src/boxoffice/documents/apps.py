from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "boxoffice.documents"
    verbose_name = _("Documents")

    def ready(self) -> None:
        # Receipts are numbered when the order history says the order was paid.
        from boxoffice.documents import subscribers  # noqa: F401
