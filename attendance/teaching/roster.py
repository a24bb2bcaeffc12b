"""The teacher's corrections on the live roster: accept, reject, excuse, remove, add, approve a photo, and
the spot check (draw students counted present, then "here" or "not here").

Each is written with the record by one script (``live.set_record``), which
also logs it for the saved session's change log (who, when, from → to, why).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from .. import clock, live
from ..access import recording_refused
from ..models import ATTENDED, Course, ReferencePhoto, Source, Status
from ..photos import verify
from ..reasons import SPOT_CHECK_DRAWN, SPOT_CHECK_FAILED, SPOT_CHECK_FLAGS, SPOT_CHECK_PASSED

User = get_user_model()

# The teacher's corrections, by the name in the URL.
ROSTER_ACTIONS = {
    "accept": Status.PRESENT,
    "reject": Status.REJECTED,
    "excuse": Status.EXCUSED,
}
SESSION_OVER = _("The session has ended; correct it from its history page.")


@dataclass
class RosterChange:
    """What a roster action did: ``error`` is empty when it worked (the page reads the roster after it)."""

    error: str = ""
    message: str = ""
    not_found: bool = False


# The change log's reason for a correction the teacher gives none for (stored in English, shown translated).
ACCEPTED = gettext_noop("Accepted by the teacher on the live roster.")
REMOVED = gettext_noop("Check-in removed by the teacher on the live roster.")


def _set_status(
    session: live.LiveSession, *, by, school_number: str, full_name: str, status: str, reason: str, record=None
) -> bool:
    """Write the teacher's correction; it goes into the saved session's change log with ``reason``."""
    record = record or live.get_record(session.id, school_number)
    if record is None:
        record = live.LiveRecord(school_number=school_number, full_name=full_name, status=status)
    marked = replace(record, status=status, source=record.source or Source.TEACHER, reason=reason, by_teacher=True)
    logged = reason or ACCEPTED
    return live.set_record(session, marked, by=by.school_number, now=clock.now(), reason=logged)


def _account(school_number: str) -> tuple[str, str] | None:
    """The account's (full name, role), or None."""
    return User.objects.filter(school_number=school_number).values_list("full_name", "role").first()


def roster_mark(*, session: live.LiveSession, by, school_number: str, action: str, reason: str = "") -> RosterChange:
    """Accept, reject or excuse a student (checked in or not) while the session is live."""
    record = live.get_record(session.id, school_number)
    account = None if record else _account(school_number)
    if record is None and account is None:
        return RosterChange(error=_("No such student in this session."), not_found=True)
    if record is None:  # marking one who has not checked in: the same rule as adding them
        course = Course.objects.filter(pk=session.course_id).first() if session.course_id else None
        refused = recording_refused(school_number=school_number, role=account[1], course=course, add_anyway=False)
        if refused:
            return RosterChange(error=refused)
    name = record.full_name if record else account[0]
    status = ROSTER_ACTIONS[action]
    ok = _set_status(
        session, by=by, school_number=school_number, full_name=name, status=status, reason=reason, record=record
    )
    return RosterChange(error="" if ok else SESSION_OVER)


def roster_approve_photo(*, session: live.LiveSession, school_number: str, by) -> RosterChange:
    """Make the photo a student offered at this check-in their reference, and accept the check-in."""
    record = live.get_record(session.id, school_number)
    offered = (
        ReferencePhoto.objects.filter(student__school_number=school_number, state=ReferencePhoto.State.PROPOSED)
        .order_by("-created_at")
        .first()
    )
    if record is None or offered is None:
        error = _("This student has no photo waiting for approval.")
        return RosterChange(error=error, not_found=True)
    verify.make_ready(offered, by=by)
    for older in ReferencePhoto.objects.filter(student_id=offered.student_id, state=ReferencePhoto.State.PROPOSED):
        older.delete()  # other offers are moot now (their files go with them)
    status = record.on_match or Status.PRESENT
    ok = _set_status(
        session,
        by=by,
        school_number=school_number,
        full_name=record.full_name,
        status=status,
        reason=gettext_noop("Reference photo approved by the teacher."),
        record=replace(record, photo_result="match"),
    )
    message = gettext("%(name)s's photo is now their reference.") % {"name": record.full_name}
    return RosterChange(error="" if ok else SESSION_OVER, message=message)


def roster_remove(*, session: live.LiveSession, by, school_number: str) -> RosterChange:
    """Take a student's record out of a live session (saved as absent if they are enrolled; logged)."""
    ok = live.remove_record(session, school_number, by=by.school_number, now=clock.now(), reason=REMOVED)
    return RosterChange(error="" if ok else SESSION_OVER)


def roster_add(
    *, session: live.LiveSession, by, school_number: str, full_name: str, add_anyway: bool = False
) -> RosterChange:
    """Add a student as present; one without an account needs a full name (the sweep creates them).
    Who may be added is ``access.recording_refused``'s rule."""
    account = _account(school_number)
    course = Course.objects.filter(pk=session.course_id).first() if session.course_id else None
    refused = recording_refused(
        school_number=school_number, role=account[1] if account else None, course=course, add_anyway=add_anyway
    )
    if refused:
        return RosterChange(error=refused)
    name = (account[0] if account else "") or full_name.strip()
    if not name:
        error = _("No account has this school number: give the student's full name.")
        return RosterChange(error=error)
    ok = _set_status(
        session,
        by=by,
        school_number=school_number,
        full_name=name,
        status=Status.PRESENT,
        reason=gettext_noop("Added by the teacher."),
    )
    if not ok:
        return RosterChange(error=SESSION_OVER)
    return RosterChange(
        message=gettext("%(name)s (%(number)s) added as present.") % {"name": name, "number": school_number}
    )


# The reason a "not here" writes on the record and in the change log (stored in English, shown translated).
NOT_IN_THE_ROOM = gettext_noop("Not in the room at the spot check")


def roster_spot_check(*, session: live.LiveSession, size: int | None = None) -> RosterChange:
    """Draw up to ``size`` students at random among those counted present (in the room or remote) for the
    teacher to call out; nobody is drawn twice in a session.  The draw is a flag on each record (no change
    of status: nothing for the change log until the teacher answers)."""
    size = settings.SPOT_CHECK_SIZE if size is None else size
    eligible = [
        r for r in live.get_records(session.id).values() if r.status in ATTENDED and not SPOT_CHECK_FLAGS & {*r.flags}
    ]
    if not eligible:
        return RosterChange(error=_("Nobody counted present is left to draw for a spot check."))
    drawn = random.SystemRandom().sample(eligible, min(size, len(eligible)))
    for record in drawn:
        if not live.set_record(session, replace(record, flags=[*record.flags, SPOT_CHECK_DRAWN])):
            return RosterChange(error=SESSION_OVER)
    names = ", ".join(r.full_name for r in sorted(drawn, key=lambda r: r.full_name))
    return RosterChange(message=gettext("Spot check: call out %(names)s.") % {"names": names})


def roster_spot_answer(*, session: live.LiveSession, by, school_number: str, here: bool) -> RosterChange:
    """The teacher's answer for a drawn student: "here" keeps the record (flagged as passed); "not here"
    rejects it with its reason and a flag, logged like every live correction."""
    record = live.get_record(session.id, school_number)
    if record is None or SPOT_CHECK_DRAWN not in record.flags:
        return RosterChange(error=_("This student is not waiting for a spot check answer."), not_found=True)
    flags = [f for f in record.flags if f != SPOT_CHECK_DRAWN]
    if here:
        ok = live.set_record(session, replace(record, flags=[*flags, SPOT_CHECK_PASSED]))
        return RosterChange(error="" if ok else SESSION_OVER)
    failed = replace(record, flags=[*flags, SPOT_CHECK_FAILED])
    ok = _set_status(
        session,
        by=by,
        school_number=school_number,
        full_name=record.full_name,
        status=Status.REJECTED,
        reason=NOT_IN_THE_ROOM,
        record=failed,
    )
    return RosterChange(error="" if ok else SESSION_OVER)


def roster_bulk(
    *, session: live.LiveSession, by, numbers=(), everyone_missing: bool = False, action: str, reason: str
) -> RosterChange:
    """Mark the ticked students (or everyone enrolled who has not checked in) at once with one reason: each is
    the same logged correction as one row's button ("remove" takes a check-in out: absent)."""
    done = 0
    if everyone_missing and session.course_id:
        seen = live.get_records(session.id)
        missing = User.objects.enrolled_in(session.course_id).exclude(school_number__in=list(seen))
        status = ROSTER_ACTIONS.get(action)  # "remove" has nothing to take out of those not checked in
        for number, name in missing.values_list("school_number", "full_name") if status else ():
            done += _set_status(session, by=by, school_number=number, full_name=name, status=status, reason=reason)
    for number in numbers:
        if action == "remove":
            change = roster_remove(session=session, by=by, school_number=number)
        else:
            change = roster_mark(session=session, by=by, school_number=number, action=action, reason=reason)
        done += not change.error
    return RosterChange(message=gettext("%(n)s students marked.") % {"n": done})
