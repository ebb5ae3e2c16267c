"""What message templates may say about the task a message concerns, its run and its
subject (`{{ task.title }}`, `{{ run.url }}`, the subject type's own variables)."""

from typing import Any

from django.urls import reverse
from django.utils import timezone

from retainops.core.site import absolute
from retainops.playbooks.models import Run, Task
from retainops.playbooks.subjects import load_subject, subject_type


def task_url(task: Task) -> str:
    return absolute(reverse("playbooks:task", args=[task.pk]))


def task_variables(task: Task) -> dict[str, Any]:
    run = task.run
    due = timezone.localtime(task.due_at).strftime("%A %d %B %Y, %H:%M") if task.due_at else ""
    run_url = absolute(reverse("playbooks:run", args=[run.pk]))
    return {
        "task": {
            "title": task.title,
            "due_at": due,
            "url": task_url(task),
            "owner": task.owner_label,
            "step": task.step_key,
        },
        "run": {"playbook": run.version.playbook.name, "url": run_url},
        "link": task_url(task),
        **subject_variables(run),
    }


def subject_variables(run: Run) -> dict[str, Any]:
    kind = subject_type(run.subject_type)
    return kind.variables(load_subject(run.subject_type, run.subject_id))
