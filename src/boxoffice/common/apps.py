from django.apps import AppConfig
from django.db.backends.signals import connection_created


class CommonConfig(AppConfig):
    name = "boxoffice.common"

    def ready(self) -> None:
        from boxoffice.common import lookups

        connection_created.connect(lookups.register_sqlite_functions)
