from django.conf import settings
from django.db import models


class Notification(models.Model):
    """Something a member should know about; pushed live over the notifications websocket after commit."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["member", "read_at"])]

    def __str__(self) -> str:
        return self.text
