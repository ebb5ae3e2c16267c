from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "retainops.clients"
    label = "clients"
    verbose_name = "Clients"
