from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "boxoffice.common"

    def ready(self) -> None:
        # The deployment check of FIELD_ENCRYPTION_KEY registers.
        from boxoffice.common import checks  # noqa: F401
