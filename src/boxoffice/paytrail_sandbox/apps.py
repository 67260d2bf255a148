from django.apps import AppConfig


class PaytrailSandboxConfig(AppConfig):
    """A fake Paytrail server (spec §6) that the demo and the tests pay and refund against."""

    name = "boxoffice.paytrail_sandbox"
    label = "paytrail_sandbox"
    verbose_name = "Paytrail sandbox"
