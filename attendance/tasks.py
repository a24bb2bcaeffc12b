"""django-q2 tasks: each takes ids and calls one service."""

from django.conf import settings
from django_q.tasks import async_task

from . import sweep
from .events import announce
from .photos import external, references, retention, verify
from .timetables import service as timetable
from .warnings import changes
from .warnings import service as warnings


def sweep_due(trigger: str = "schedule") -> str:
    """Scheduled every SWEEP_INTERVAL (and asked for from the operations page): persist every due session."""
    return _after_sweep(sweep.run(trigger=trigger))


def sweep_session(session_id: str) -> str:
    """Enqueued by "Finish now": persist one session straight away."""
    return _after_sweep(sweep.run(session_id=session_id, trigger="finish"))


def _after_sweep(result) -> str:
    """The courses whose sessions were saved may have students to warn: a task of its own, so a slow
    mail server never holds up the sweep; and whoever listens hears that their attendance changed."""
    if result.courses:
        async_task("attendance.tasks.send_warnings", sorted(result.courses))
        announce(result.courses)
    return result.summary


def open_timetable_sessions() -> str:
    """Scheduled every minute: open the sessions of the timetable slots that are due (once per slot and day)."""
    return f"{timetable.open_due_sessions()} sessions opened"


def send_warnings(course_ids=None) -> str:
    """Enqueued after each sweep that saved sessions of courses: low-attendance warnings, once per crossing."""
    return f"{warnings.send_warnings(course_ids)} students warned"


def verify_photo(session_id: str, school_number: str, photo_name: str) -> str:
    """Enqueued by a photo check-in: match the selfie with the reference (or the external verifier)."""
    send = external.request_verification if settings.PHOTO_VERIFIER_URL else None
    return verify.verify_check_in(session_id, school_number, photo_name, send=send)


def requeue_lost_photos() -> str:
    """Scheduled every minute: hand again to the worker the photos whose verification was lost."""
    return f"{verify.requeue_lost()} photo verifications asked again"


def encode_reference(reference_id: int) -> str:
    """Enqueued by an administrator's upload: the reference photo's face encoding, computed once."""
    return verify.encode_reference(reference_id)


def import_references(upload_id: int) -> str:
    """Enqueued by a ZIP upload in the admin: one reference photo per <school number>.jpg."""
    return references.import_zip(upload_id)


def delete_old_photos() -> str:
    """Scheduled hourly: check-in photos older than PHOTO_RETENTION_DAYS are deleted."""
    return f"Deleted {retention.delete_old_photos()} photos"


def tell_student_of_change(change_id: int) -> str:
    """Enqueued by an audited correction: e-mail the student about it (when their course sends e-mails)."""
    return changes.tell_student(change_id)
