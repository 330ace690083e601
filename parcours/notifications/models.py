"""Notifications: rows first (durable, replayable), then pushed live and sent by e-mail.

The row is the outbox (healthchecks' Flip): ``emailed_at`` stays NULL until the worker has
sent the e-mail, so nothing is lost when the mail server is down.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    referral = models.ForeignKey(
        "referrals.Referral",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    kind = models.CharField(max_length=30)
    title = models.CharField(_("titre"), max_length=200)
    body = models.TextField(_("texte"), blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # E-mail outbox.
    email_wanted = models.BooleanField(default=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_error = models.TextField(blank=True)
    email_next_attempt_at = models.DateTimeField(null=True, blank=True)  # NULL: at once
    email_failed_at = models.DateTimeField(null=True, blank=True)  # given up (admins told)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-id"]
        indexes = [
            # Replay after reconnect and the unread badge: a user's rows by id.
            models.Index(fields=["user", "id"], name="notification_user_id"),
            models.Index(fields=["user", "read_at"], name="notification_unread"),
            models.Index(fields=["email_wanted", "emailed_at"], name="notification_outbox"),
        ]

    def __str__(self) -> str:
        return self.title
