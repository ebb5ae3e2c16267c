"""In-app notifications: the bell in the header, beside the e-mails."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class NotificationKind(models.TextChoices):
    ASSIGNED = "assigned", "Assigned to me"
    NOTICE = "notice", "Notice"  # a copy of an e-mail the agency sent me


class Notification(models.Model):
    """Something for one person to see: a task given to them, or a notice (a reminder,
    an escalation, a clock alert...) the outbox is sending them by e-mail. Written in the
    transaction of what caused it, so it exists exactly when that does."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=10, choices=NotificationKind.choices)
    title = models.CharField(max_length=300)
    url = models.CharField(max_length=300, help_text="A path inside RetainOps.")
    message_id = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"])]
        constraints = [
            # One copy of a message per person, however its recipients were resolved.
            models.UniqueConstraint(
                fields=["user", "message_id"],
                condition=models.Q(message_id__isnull=False),
                name="one_notification_per_message",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
