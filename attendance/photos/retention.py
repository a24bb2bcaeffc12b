"""Check-in photos are kept PHOTO_RETENTION_DAYS, then deleted (the django-q2 schedule, hourly)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from ..models import AttendanceRecord
from . import images


def delete_old_photos(now=None) -> int:
    """Delete the photos of check-ins older than the retention period; keep what they showed.

    The record keeps its photo result and distance; only the picture goes.
    Returns how many photos were deleted.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.PHOTO_RETENTION_DAYS)
    old = AttendanceRecord.objects.exclude(photo="").filter(attendance__starts_at__lt=cutoff)
    deleted = 0
    for pk, name in old.values_list("pk", "photo").iterator(chunk_size=500):
        images.delete(name)
        deleted += AttendanceRecord.objects.filter(pk=pk, photo=name).update(photo="")
    return deleted
