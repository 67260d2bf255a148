from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "boxoffice.exports"
    label = "exports"

    def ready(self) -> None:
        # The background export registers its job handler with the runner.
        from boxoffice.exports import background  # noqa: F401
