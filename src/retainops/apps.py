"""The top package as an app, so the commands that span every app have a home."""

from django.apps import AppConfig


class RetainOpsConfig(AppConfig):
    """Owns `seed_demo`, `worker` and `tick`: each runs what the apps registered or
    offer (demo stories, due-work sources) without any app knowing the others."""

    name = "retainops"
    label = "retainops"
    verbose_name = "RetainOps"
