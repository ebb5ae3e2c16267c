from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "retainops.messaging"
    label = "messaging"
    verbose_name = "Messages"
