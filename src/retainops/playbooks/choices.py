"""States of runs, tasks and timers, step kinds, and the colours of their badges."""

from django.db import models


class StepKind(models.TextChoices):
    TASK = "task", "Task"
    APPROVAL = "approval", "Approval"
    MESSAGE = "message", "Message"
    MEETING = "meeting", "Meeting"
    WAIT = "wait", "Wait"
    JOIN = "join", "Join"


class RunState(models.TextChoices):
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    REJECTED = "rejected", "Ended by a rejection"
    CANCELLED = "cancelled", "Cancelled"


RUN_STATE_COLOURS: dict[str, str] = {
    RunState.RUNNING: "blue",
    RunState.COMPLETED: "green",
    RunState.REJECTED: "red",
    RunState.CANCELLED: "grey",
}


class TaskState(models.TextChoices):
    WAITING = "waiting", "Waiting for earlier steps"
    OPEN = "open", "Open"
    DONE = "done", "Done"
    SKIPPED = "skipped", "Skipped"
    CANCELLED = "cancelled", "Cancelled"


TASK_STATE_COLOURS: dict[str, str] = {
    TaskState.WAITING: "grey",
    TaskState.OPEN: "blue",
    TaskState.DONE: "green",
    TaskState.SKIPPED: "amber",
    TaskState.CANCELLED: "grey",
}

CLOSED_TASK_STATES = (TaskState.DONE, TaskState.SKIPPED, TaskState.CANCELLED)


class Decision(models.TextChoices):
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class TimerKind(models.TextChoices):
    REMIND = "remind", "Reminder"
    ESCALATE = "escalate", "Escalation"
    WAIT = "wait", "End of a wait"
    MISSED = "missed", "Due time passed"


class EventKind(models.TextChoices):
    """What the timeline records of a process (messages and record changes have their own
    rows), and what apps above record there through playbooks.services.note_on_timeline."""

    RUN_STARTED = "run_started", "Process started"
    RUN_COMPLETED = "run_completed", "Process completed"
    RUN_REJECTED = "run_rejected", "Process ended by a rejection"
    RUN_CANCELLED = "run_cancelled", "Process cancelled"
    TASK_OPENED = "task_opened", "Task opened"
    TASK_DONE = "task_done", "Task done"
    TASK_SKIPPED = "task_skipped", "Step skipped"
    TASK_OVERRIDDEN = "task_overridden", "Completed with items missing"
    TASK_MISSED = "task_missed", "Task missed its due time"
    REMINDER_MISSED = "reminder_missed", "Reminder not sent (too late)"
    TASK_REASSIGNED = "task_reassigned", "Task reassigned"
    TASK_COMMENTED = "task_commented", "Comment"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    ANCHOR_MOVED = "anchor_moved", "Date moved"
    MEETING_SCHEDULED = "meeting_scheduled", "Meeting scheduled"
    OBSERVATION = "observation", "Service-team observation"
