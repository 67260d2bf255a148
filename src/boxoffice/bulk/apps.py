from django.apps import AppConfig


class BulkConfig(AppConfig):
    name = "boxoffice.bulk"
    label = "bulk"

    def ready(self) -> None:
        # The bulk actions' job handler registers itself with the runner.
        from boxoffice.bulk import services  # noqa: F401
