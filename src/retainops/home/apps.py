from django.apps import AppConfig


class HomeConfig(AppConfig):
    name = "retainops.home"
    label = "home"
    verbose_name = "Home"
