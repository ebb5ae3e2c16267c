from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "retainops.core"
    label = "core"
    verbose_name = "Core"
