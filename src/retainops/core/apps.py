from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "retainops.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_login_failed

        from retainops.core import site  # noqa: F401 - registers the SITE_URL system check
        from retainops.core.security_log import on_locked_out, on_sign_in_failed

        user_login_failed.connect(on_sign_in_failed, dispatch_uid="security-log-sign-in")
        user_locked_out.connect(on_locked_out, dispatch_uid="security-log-lockout")
        from retainops.core import imports
        from retainops.core.due_work import register_source

        register_source(imports.SOURCE)
        from retainops.core.administration import AdminSection, register_section
        from retainops.core.capabilities import Capability
        from retainops.core.models import BusinessUnit, Role, Team, User

        # The people and access pages; the apps above add their own sections around them.
        for order, key, title, capability, model in (
            (30, "units", "Business units", Capability.MANAGE_UNITS, BusinessUnit),
            (40, "users", "Users", Capability.MANAGE_USERS, User),
            (50, "roles", "Roles", Capability.MANAGE_USERS, Role),
            (60, "teams", "Teams", Capability.MANAGE_USERS, Team),
        ):
            register_section(
                AdminSection(
                    key=key,
                    title=title,
                    url_name=f"administration:{key}",
                    capability=capability,
                    count=model.objects.count,
                    order=order,
                )
            )
