from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "boxoffice.exports"
    label = "exports"
