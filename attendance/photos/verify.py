"""The worker's side of the photo check: match a selfie, write the result, keep references.

Runs in the django-q2 worker (``attendance.tasks``), never in a web request.
A result lands on the live record only while it is still the pending record
of that very photo (compare-and-set): a teacher's correction made meanwhile
wins.  A result for a session already persisted goes on its database row,
which keeps the status the sweep gave it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from django_q.tasks import async_task

from .. import clock, live
from ..models import AttendanceRecord, ReferencePhoto, Status
from . import faces, images, liveness, same_face

logger = logging.getLogger(__name__)
User = get_user_model()

MATCH = "match"
MISMATCH = "mismatch"
NO_REFERENCE = "no_reference"
OTHER_REFERENCE = "other_reference"  # a first selfie showing another student's reference face
TIMEOUT = "timeout"

# What the student and the teacher read for each result (the record's reason).
REASONS = {
    MISMATCH: gettext_noop("The photo did not match the reference photo."),
    faces.NONE: gettext_noop("No face was found in the photo."),
    faces.SEVERAL: gettext_noop("Several faces were found in the photo."),
    faces.UNREADABLE: gettext_noop("The photo could not be read."),
    NO_REFERENCE: gettext_noop("There is no reference photo yet: the teacher checks this photo and can accept it."),
    OTHER_REFERENCE: gettext_noop(
        "The face in the photo is another student's reference face: it was not kept as your reference, and the "
        "teacher checks this photo."
    ),
}
RESULTS = (MATCH, *REASONS)

# What the roster and the session page say about a photo.
PHOTO_TEXT = {
    "checking": _("checking photo…"),
    MATCH: _("photo matched"),
    MISMATCH: _("photo did not match"),
    faces.NONE: _("no face in photo"),
    faces.SEVERAL: _("several faces in photo"),
    faces.UNREADABLE: _("photo unreadable"),
    NO_REFERENCE: _("no reference photo yet"),
    OTHER_REFERENCE: _("another student's reference face"),
    TIMEOUT: _("photo not verified in time"),
}


def photo_text(result: str, distance: float | None) -> str:
    text = str(PHOTO_TEXT.get(result, result))
    return f"{text} ({distance:.2f})" if distance is not None else text


BUSY_RETRIES = 20  # a sweeper holds the session for well under a second per group
BUSY_PAUSE = 0.5


@dataclass(frozen=True)
class Verdict:
    result: str  # MATCH or one of REASONS
    distance: float | None = None
    same_as: tuple[str, ...] = ()  # other students whose selfie (or reference) shows this face
    live: str = ""  # the live selfie's result (``liveness``), "" when the check-in had no challenge


def reference_of(student) -> ReferencePhoto | None:
    return ReferencePhoto.objects.filter(student=student, state=ReferencePhoto.State.READY).first()


def judge(photo: bytes, reference_encoding) -> Verdict:
    """Compare a check-in photo with a reference encoding: the face distance against PHOTO_TOLERANCE."""
    return judge_face(faces.encode(photo), reference_encoding)


def judge_face(face: faces.Face, reference_encoding) -> Verdict:
    if face.found != faces.ONE:
        return Verdict(face.found)
    distance = round(faces.distance(face.encoding, reference_encoding), 4)
    return Verdict(MATCH if distance <= settings.PHOTO_TOLERANCE else MISMATCH, distance)


def photo_cluster() -> str:
    """The django-q2 cluster whose queue photo tasks go on: the photo cluster, or the main one (PHOTO_WORKERS=0)."""
    return settings.PHOTO_CLUSTER if settings.PHOTO_WORKERS > 0 else main_cluster()


def main_cluster() -> str:
    """The main cluster's queue, named outright: a task enqueued inside the photo cluster goes to its own
    queue unless told otherwise (behind the photos)."""
    return settings.Q_CLUSTER["name"]


def enqueue_photo_task(func: str, *args, **options) -> None:
    """Put a photo task (a selfie, a reference photo, a ZIP of them) on the photo cluster's queue."""
    async_task(func, *args, cluster=photo_cluster(), **options)


def ask(sid: str, school_number: str, photo_name: str) -> None:
    """Hand a pending check-in's photo to the worker (``tasks.verify_photo``)."""
    task_name = f"photo-{sid}-{school_number}"
    enqueue_photo_task("attendance.tasks.verify_photo", sid, school_number, photo_name, task_name=task_name)


def requeue_lost(now: float | None = None) -> int:
    """Ask again for each photo still "checking" PHOTO_REQUEUE_SECONDS after it was last asked for: its task
    was lost (the worker that held it was killed). Scheduled every minute; how many were asked again.

    Each ask is marked on the record by compare-and-set first, so two runs
    never ask twice; a verdict lands once whichever task comes first (the
    other finds the record no longer pending and stops before judging).
    """
    now = clock.now() if now is None else now
    sessions = [s.id for s in live.unswept_sessions() if s.photo_check]
    asked = 0
    for sid, records in live.get_records_of(sessions).items():
        for number, record in records.items():
            if _lost(record, now):
                raw = live.get_record_raw(sid, number)  # as stored, for the compare-and-set
                record = live.LiveRecord.from_json(raw) if raw else None
                marked = replace(record, photo_asked_at=now) if record and _lost(record, now) else None
                if marked and live.replace_record(sid, number, raw, marked) == "ok":
                    ask(sid, number, record.photo)
                    asked += 1
    if asked:
        logger.warning("Asked again for %d photo verifications that were lost", asked)
    return asked


def _lost(record: live.LiveRecord, now: float) -> bool:
    last = record.photo_asked_at or record.checked_in_at or 0
    checking = record.status == Status.PENDING and record.photo_result == "checking" and record.photo
    return bool(checking) and now - last >= settings.PHOTO_REQUEUE_SECONDS


def verify_check_in(sid: str, school_number: str, photo_name: str, *, send=None) -> str:
    """The worker's task for one check-in photo: match it, then write the result.

    ``send`` (the external verifier's ``request_verification``) judges a photo
    that has a reference to compare with; a first photo is offered as the
    reference here in either mode.
    """
    started = time.perf_counter()
    raw = live.get_record_raw(sid, school_number)
    pending = live.LiveRecord.from_json(raw) if raw is not None else None
    if pending is not None and not _waits_for(pending, photo_name):
        return "stale: the record changed before the photo was judged"  # judged already (a task asked again)
    challenged = pending is not None and bool(pending.challenge and pending.photo_turned)
    student = User.objects.filter(school_number=school_number).first()
    reference = reference_of(student) if student else None
    photo = images.read(photo_name)
    if reference is not None and send is not None:
        return send(sid, school_number, photo_name, photo, reference)
    reading = time.perf_counter()
    face = faces.encode(photo, pose=challenged)
    read = time.perf_counter()
    # One face on two accounts: this selfie against the session's others (both records get the flag).
    same = same_face.session_matches(sid, school_number, face.encoding) if face.found == faces.ONE else []
    if reference is None:
        verdict = _propose_reference(student, face, photo, sid) if student else Verdict(NO_REFERENCE)
    else:
        verdict = judge_face(face, reference.encoding)
    verdict = replace(
        verdict, same_as=(*verdict.same_as, *same), live=_live_verdict(pending, face) if challenged else ""
    )
    result = apply(sid, school_number, photo_name, verdict)
    same_face.flag_others(sid, school_number, same)
    # What a verification costs (bench/photos.py reads these lines with LOG_LEVEL=DEBUG).
    logger.debug(
        "Photo judged in %.1f ms (the face %.1f ms): %s %s %s",
        (time.perf_counter() - started) * 1000,
        (read - reading) * 1000,
        sid,
        school_number,
        result,
    )
    return result


def _live_verdict(record: live.LiveRecord, face: faces.Face) -> str:
    """The live selfie's result: the second frame against the first and the direction asked."""
    turned = faces.encode(images.read(record.photo_turned), pose=True)
    seconds = record.checked_in_at - record.challenge_at if record.checked_in_at and record.challenge_at else None
    verdict = liveness.judge(face, turned, record.challenge, seconds=seconds)
    logger.info(
        "Live check of %s: asked %s, %s (turn %s)", record.school_number, record.challenge, verdict.result, verdict.turn
    )
    return verdict.result


def _propose_reference(student, face: faces.Face, photo: bytes, sid: str) -> Verdict:
    """No reference yet: the check-in photo is offered as one, for a teacher to approve — unless it shows
    another student's reference face (a friend's selfie offered as this student's reference)."""
    if face.found != faces.ONE:
        return Verdict(face.found)
    session = live.get_session(sid)
    owner = same_face.reference_owner(face.encoding, course_id=session and session.course_id, student=student)
    if owner is not None:
        return Verdict(OTHER_REFERENCE, same_as=(owner,))
    waiting = ReferencePhoto.objects.filter(student=student, state=ReferencePhoto.State.PROPOSED).exists()
    if not waiting:
        ReferencePhoto.objects.create(
            student=student,
            image=images.save("references", student.school_number, photo),
            encoding=list(face.encoding),
            state=ReferencePhoto.State.PROPOSED,
            origin=ReferencePhoto.Origin.STUDENT,
        )
    return Verdict(NO_REFERENCE)


def updated_record(record: live.LiveRecord, verdict: Verdict) -> live.LiveRecord:
    """The live record once its photo was judged: present/late on a match, else rejected with why."""
    judged = replace(record, photo_result=verdict.result, photo_distance=verdict.distance)
    judged = same_face.flag(judged, verdict.same_as)
    if verdict.live:
        judged = replace(judged, live_result=verdict.live, flags=[*judged.flags, liveness.FLAGS[verdict.live]])
    if verdict.result == MATCH and verdict.live in liveness.FAILED:
        return replace(judged, status=Status.REJECTED, reason=liveness.REASONS[verdict.live])
    if verdict.result == MATCH:
        return replace(judged, status=record.on_match or Status.PRESENT)
    flags = [*judged.flags, f"photo_{verdict.result}"]
    return replace(judged, status=Status.REJECTED, reason=REASONS[verdict.result], flags=flags)


def apply(sid: str, school_number: str, photo_name: str, verdict: Verdict) -> str:
    """Write a verdict on the pending record of this photo; return what happened (for the task's result)."""
    for _attempt in range(BUSY_RETRIES):
        raw = live.get_record_raw(sid, school_number)
        if raw is None:
            return _apply_persisted(sid, school_number, photo_name, verdict)
        record = live.LiveRecord.from_json(raw)
        if not _waits_for(record, photo_name):
            return "stale: the record changed before the photo was judged"
        outcome = live.replace_record(sid, school_number, raw, updated_record(record, verdict))
        if outcome == "ok":
            _sweep_if_finished(sid)
            return verdict.result
        if outcome == "gone":
            return _apply_persisted(sid, school_number, photo_name, verdict)
        if outcome == "busy":
            time.sleep(BUSY_PAUSE)
    return "busy: a sweeper held the session throughout"


def _waits_for(record: live.LiveRecord, photo_name: str) -> bool:
    return record.status == Status.PENDING and record.photo == photo_name


def _apply_persisted(sid: str, school_number: str, photo_name: str, verdict: Verdict) -> str:
    """The session was persisted first: the row keeps its status, the teacher sees what the photo showed."""
    updated = AttendanceRecord.objects.filter(
        attendance_id=sid, student__school_number=school_number, photo=photo_name
    ).update(photo_result=verdict.result, photo_distance=verdict.distance)
    return f"{verdict.result} (after the session was saved)" if updated else "gone: no such record"


def _sweep_if_finished(sid: str) -> None:
    """A finished session waiting for its photos is swept as soon as they are in (the sweep skips it otherwise)."""
    session = live.get_session(sid)
    if session is not None and session.state != live.OPEN:
        async_task("attendance.tasks.sweep_session", sid, task_name=f"sweep-{sid}", cluster=main_cluster())


# --- references ---------------------------------------------------------------


def encode_reference(reference_id: int) -> str:
    """The worker's task for an uploaded reference photo: find its one face and keep the encoding."""
    reference = ReferencePhoto.objects.filter(pk=reference_id).select_related("student").first()
    if reference is None or reference.state != ReferencePhoto.State.PROCESSING:
        return "nothing to do"
    face = faces.encode(images.read(reference.image))
    if face.found != faces.ONE:
        reference.state = face.found
        reference.save(update_fields=["state"])
        return face.found
    reference.encoding = list(face.encoding)
    make_ready(reference, by=None)
    return "ready"


def make_ready(reference: ReferencePhoto, *, by) -> None:
    """Make this photo the student's reference; an earlier one is kept as replaced."""
    with transaction.atomic():
        ReferencePhoto.objects.filter(student_id=reference.student_id, state=ReferencePhoto.State.READY).exclude(
            pk=reference.pk
        ).update(state=ReferencePhoto.State.REPLACED)
        reference.state = ReferencePhoto.State.READY
        reference.decided_by, reference.decided_at = by, clock.now_datetime() if by else None
        reference.save(update_fields=["state", "encoding", "decided_by", "decided_at"])


def reference_status(student) -> str:
    """What "my attendance" says about the student's reference photo."""
    states = set(ReferencePhoto.objects.filter(student=student).values_list("state", flat=True))
    if ReferencePhoto.State.READY in states:
        return "ready"
    if ReferencePhoto.State.PROPOSED in states or ReferencePhoto.State.PROCESSING in states:
        return "waiting"
    return "none"
