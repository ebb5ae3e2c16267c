from django.apps import AppConfig


class HomeConfig(AppConfig):
    name = "retainops.home"
    label = "home"
    verbose_name = "Home"

    def ready(self) -> None:
        from retainops.core.navigation import register_badge
        from retainops.home import notifications

        # The bell: tasks given to me and copies of the notices e-mailed to me.
        notifications.register()
        register_badge("notifications", notifications.unread_count)
