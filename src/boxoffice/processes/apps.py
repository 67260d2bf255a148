from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProcessesConfig(AppConfig):
    """The process entry points: `boxoffice worker` and `boxoffice serve`.

    They sit on top of every app (they start the periodic jobs of orders, payments, emails and
    webhooks), so they live here rather than in common, which imports no other app.
    """

    name = "boxoffice.processes"
    verbose_name = _("Processes")
