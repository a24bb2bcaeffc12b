"""What the app announces to whoever listens (the LMS's grade column): saved attendance changed."""

from django.dispatch import Signal

# Sent after the commit, with ``course_ids``: a sweep saved sessions of these courses, or a correction (or a
# policy change) changed what their records count for.
course_attendance_changed = Signal()


def announce(course_ids) -> None:
    """Send ``course_attendance_changed`` once the current transaction commits (at once outside one)."""
    from django.db import transaction

    ids = sorted({pk for pk in course_ids if pk is not None})
    if ids:
        transaction.on_commit(lambda: course_attendance_changed.send(sender=None, course_ids=ids))
