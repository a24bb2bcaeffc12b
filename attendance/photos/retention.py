"""Check-in photos are kept PHOTO_RETENTION_DAYS, then deleted (the django-q2 schedule, hourly)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from .. import clock, storage
from ..models import AttendanceRecord

CHECKINS = "checkins"  # check-in photos live in checkins/<session id>/ (checkin.write)


def delete_old_photos(now=None) -> int:
    """Delete the photos of check-ins older than the retention period; keep what they showed.

    The record keeps its photo result and distance; only the picture goes.
    Returns how many photos were deleted.
    """
    now = now or clock.now_datetime()
    cutoff = now - timedelta(days=settings.PHOTO_RETENTION_DAYS)
    old = AttendanceRecord.objects.exclude(photo="").filter(attendance__starts_at__lt=cutoff)
    deleted = 0
    for pk, name in old.values_list("pk", "photo").iterator(chunk_size=500):
        storage.delete(name)
        deleted += AttendanceRecord.objects.filter(pk=pk, photo=name).update(photo="")
    return deleted + _delete_unreferenced(cutoff)


def _delete_unreferenced(cutoff) -> int:
    """Check-in photos no record names (a retried selfie, a session never saved), by the file's age."""
    files, deleted = storage.private(), 0
    if not files.exists(CHECKINS):
        return 0
    sessions, _ = files.listdir(CHECKINS)
    for sid in sessions:
        folder = f"{CHECKINS}/{sid}"
        for name in files.listdir(folder)[1]:
            path = f"{folder}/{name}"
            if files.get_modified_time(path) < cutoff:
                files.delete(path)
                deleted += 1
    return deleted
