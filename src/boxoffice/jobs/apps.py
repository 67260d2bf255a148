from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "boxoffice.jobs"
    label = "jobs"
