from django.apps import AppConfig


class DropsConfig(AppConfig):
    name = "retainops.drops"
    label = "drops"
    verbose_name = "Marketing drops and staffing"

    def ready(self) -> None:
        from retainops.core.due_work import register_source
        from retainops.core.navigation import register_badge
        from retainops.drops import subject, sweep
        from retainops.drops.badges import drops_with_open_gates

        subject.register()
        # Warnings as the drop nears with gates open.
        register_source(sweep.SOURCE)
        register_badge("drops", drops_with_open_gates)
