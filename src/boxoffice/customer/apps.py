from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomerConfig(AppConfig):
    name = "boxoffice.customer"
    verbose_name = _("Customer pages")
