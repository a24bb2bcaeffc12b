"""The teacher's live session: start it, read it, finish it (its roster's corrections: ``roster``)."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

import segno
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django_q.tasks import async_task

from accounts.collation import name_key, search_fold

from .. import clock, live
from ..checkin import proofs
from ..models import ATTENDED, Attendance, Course, ExcuseRequest, SlotOpening, Status
from ..photos import liveness, verify
from ..reasons import QUIET_FLAGS, SPOT_CHECK_DRAWN, earlier_attempts, flag_words

logger = logging.getLogger(__name__)
User = get_user_model()


class EndRefused(Exception):
    """The end cannot move there; the message says why, for the teacher."""


class SessionEnded(EndRefused):
    """The session is past its end: it can no longer be changed live."""


@dataclass
class StartResult:
    session: live.LiveSession | None
    other_open_id: str | None = None


@dataclass
class RosterRow:
    school_number: str
    full_name: str
    status: str | None
    checked_in_at: datetime | None = None
    reason: str = ""
    source: str = ""
    flags: tuple[str, ...] = ()
    enrolled: bool = True
    wrong_codes: int = 0  # wrong codes this student typed for this session
    photo: bool = False  # a selfie was stored with the check-in
    photo_result: str = ""  # "checking", then verify.MATCH or why not
    photo_distance: float | None = None
    challenge: str = ""  # the live selfie's direction ("" without one)
    live_result: str = ""
    excused_ahead: str = ""  # the reason of an approved excuse request for this day (not checked in)
    earlier: tuple[dict, ...] = ()  # rejected attempts this check-in replaced

    @property
    def earlier_attempts(self) -> list[str]:
        return earlier_attempts(self.earlier)

    @property
    def suspicious(self) -> bool:
        return any(flag not in QUIET_FLAGS for flag in self.flags)

    @property
    def spot_check_due(self) -> bool:
        """Drawn for a spot check: the teacher answers "here" or "not here"."""
        return SPOT_CHECK_DRAWN in self.flags

    @property
    def locked_out(self) -> bool:
        """Too many wrong codes, and not let in since (accepting or adding them ends it)."""
        let_in = self.status is not None and self.status != Status.REJECTED
        return self.wrong_codes >= settings.CHECKIN_MAX_WRONG_CODES and not let_in

    @property
    def flag_words(self) -> list[str]:
        """The record's flags as a teacher says them."""
        return flag_words(self.flags)

    @property
    def photo_text(self) -> str:
        """What the roster says about the photo check ("" without a photo)."""
        return verify.photo_text(self.photo_result, self.photo_distance) if self.photo else ""

    @property
    def live_text(self) -> str:
        """What the roster says about the live selfie ("asked to turn left: turned as asked", "no live check")."""
        return liveness.live_text(self.challenge, self.live_result) if self.photo else ""


@dataclass
class LiveRoster:
    """Everyone checked in, then the enrolled students not seen yet, and the counts."""

    session: live.LiveSession
    rows: list[RosterRow]
    counts: Counter
    spot_checks: list[RosterRow]  # drawn for a spot check, waiting for "here" or "not here" (whatever the search)


@dataclass
class StartPage:
    open_session: live.LiveSession | None
    recent: list[Attendance]


def session_start(
    *,
    teacher,
    course: Course | None,
    lesson_name: str,
    starts_at: datetime,
    ends_at: datetime,
    late_threshold_minutes: int,
    require_code: bool,
    network_mode: str,
    teacher_ip: str,
    location: tuple[float, float] | None = None,
    location_radius_m: int | None = None,
    one_device_per_student: bool = True,
    photo_check: bool = False,
    admits_remote: bool = False,
) -> StartResult:
    """Open a live session in Redis, unless the teacher already has one open."""
    session = live.LiveSession(
        id=live.new_session_id(teacher.school_number),
        lesson_name=lesson_name,
        teacher_number=teacher.school_number,
        teacher_name=teacher.full_name,
        starts_at=starts_at.timestamp(),
        ends_at=ends_at.timestamp(),
        late_threshold_minutes=late_threshold_minutes,
        secret=proofs.new_secret(),
        course_id=course.pk if course else None,
        course_code=course.code if course else "",
        course_title=course.title if course else "",
        require_code=require_code,
        network_mode=network_mode,
        teacher_ip=teacher_ip,
        allowed_networks=list(course.allowed_networks) if course else [],
        latitude=location[0] if location else None,
        longitude=location[1] if location else None,
        location_radius_m=location_radius_m if location else None,
        one_device_per_student=one_device_per_student,
        photo_check=photo_check,
        admits_remote=admits_remote,
    )
    enrolled = dict(User.objects.enrolled_in(course.pk).values_list("school_number", "full_name")) if course else {}
    other = live.create_session(session, enrolled)
    if other:
        return StartResult(session=None, other_open_id=other)
    logger.info("Session %s started by %s", session.id, teacher.school_number)
    return StartResult(session=session)


def waiting_slots(*, teacher) -> list[SlotOpening]:
    """The teacher's timetable slots that could not open because another of their sessions is open: each
    opens once that one is finished, if before its own end (timetables.service)."""
    return list(SlotOpening.objects.filter(waiting=True, slot__teacher=teacher).select_related("slot__course"))


def start_page(*, teacher) -> StartPage:
    """The teacher's open session, if any, and their latest persisted ones."""
    open_id = live.teacher_open_session_id(teacher.school_number)
    open_session = live.get_session(open_id) if open_id else None
    recent = list(Attendance.objects.alive().for_teacher(teacher).select_related("course")[:5])
    return StartPage(open_session=open_session, recent=recent)


def live_roster(*, session: live.LiveSession, query: str = "") -> LiveRoster:
    """Every checked-in student, then the enrolled ones not seen yet (read-only).

    Wrong codes typed for the session show on each student's row (and a
    student locked out by them, enrolled or not, is listed).  ``query``
    keeps the rows whose name or number contains it; the counts are always
    of the whole session.
    """
    records, wrong = live.get_records_and_wrong_codes(session.id)
    enrolled = {}
    if session.course_id:  # from the database: the roster shows enrolments made since the start too
        enrolled = dict(User.objects.enrolled_in(session.course_id).values_list("school_number", "full_name"))
    rows = [
        RosterRow(
            school_number=number,
            full_name=record.full_name,
            status=record.status,
            checked_in_at=clock.to_datetime(record.checked_in_at or None),
            reason=record.reason or "",
            source=record.source or "",
            flags=tuple(record.flags or ()),
            enrolled=number in enrolled or not session.course_id,
            wrong_codes=wrong.get(number, 0),
            photo=bool(record.photo),
            photo_result=record.photo_result or "",
            photo_distance=record.photo_distance,
            challenge=record.challenge,
            live_result=record.live_result,
            earlier=tuple(record.earlier),
        )
        for number, record in records.items()
    ]
    rows.sort(key=lambda r: (r.checked_in_at is None, r.checked_in_at or 0, name_key(r.full_name)))
    ahead = _excused_ahead(session) if session.course_id else {}
    missing = [
        RosterRow(
            school_number=n, full_name=name, status=None, wrong_codes=wrong.get(n, 0), excused_ahead=ahead.get(n, "")
        )
        for n, name in enrolled.items()
        if n not in records
    ]
    strangers = [n for n in wrong if n not in records and n not in enrolled]
    names = dict(User.objects.filter(school_number__in=strangers).values_list("school_number", "full_name"))
    missing += [
        RosterRow(school_number=n, full_name=names.get(n, n), status=None, wrong_codes=wrong[n], enrolled=False)
        for n in strangers
    ]
    missing.sort(key=lambda r: (-r.locked_out, name_key(r.full_name)))
    counts = Counter(r.status for r in rows)
    counts["missing"] = sum(r.enrolled and not r.excused_ahead for r in missing)
    counts["excused_ahead"] = sum(bool(r.excused_ahead) for r in missing)
    counts["locked_out"] = sum(r.locked_out for r in rows + missing)
    everyone = rows + missing
    if query := search_fold(query):
        everyone = [r for r in everyone if query in search_fold(r.full_name) or query in search_fold(r.school_number)]
    spot_checks = sorted((r for r in rows if r.spot_check_due), key=lambda r: name_key(r.full_name))
    return LiveRoster(session=session, rows=everyone, counts=counts, spot_checks=spot_checks)


def _excused_ahead(session: live.LiveSession) -> dict[str, str]:
    """The students of the session's course with an approved excuse request for its day → the reason
    (the sweep will save them excused if they do not come)."""
    day = timezone.localdate(session.starts_dt)
    approved = ExcuseRequest.objects.filter(
        course_id=session.course_id, state=ExcuseRequest.State.APPROVED, first_day__lte=day, last_day__gte=day
    )
    return dict(approved.values_list("student__school_number", "reason"))


def projector(*, session: live.LiveSession, absolute_url, now: float | None = None) -> dict:
    """What the projector shows: the current code, its QR code and the count so far.

    A hybrid session shows the code even when the room takes none: the remote link asks for it, so only
    someone who sees the shared screen in the video call can check in remotely.

    ``absolute_url`` turns a path into the URL the students' phones open.
    """
    now = clock.now() if now is None else now
    count = live.count_checked_in(session.id)
    view = {"session": session, "count": count, "now": now}
    if session.require_code or session.admits_remote:  # a hybrid session's remote students type it too
        code = proofs.code_for(session.secret, proofs.current_step(now))
        view.update(code=code, seconds_left=proofs.seconds_left_in_step(now), remote_only=not session.require_code)
    if session.require_code:
        url = reverse("attendance:qr_link", args=[session.id, view["code"]])
        view["link"] = url
    else:
        url = reverse("attendance:student_home")
    qr = segno.make(absolute_url(url), error="m")
    view["qr_svg"] = qr.svg_inline(scale=8, dark="#111", light="#fff", omitsize=True)
    view["started"] = session.has_started(now)
    return view


def projector_ended(*, session: live.LiveSession | None, saved: Attendance | None) -> dict:
    """What the projector shows once the session has ended (live but finished, or ``saved``): its title
    and how many checked in — never a name or a reason, as the projector faces the class."""
    if session is not None:
        count = live.count_checked_in(session.id)
        return {"title": session.title, "count": count, "ended": True, "session": session}
    title = f"{saved.course.code} · {saved.lesson_name}" if saved.course_id else saved.lesson_name
    count = saved.records.alive().filter(status__in=ATTENDED).count()
    return {"title": title, "count": count, "ended": True, "session": None}


# --- the end ------------------------------------------------------------------


def session_finish(*, session: live.LiveSession, now: float | None = None) -> None:
    """End check-ins now and hand the session to the sweep at once (a second click does nothing)."""
    now = clock.now() if now is None else now
    if live.finish(session, now):
        async_task("attendance.tasks.sweep_session", session.id, task_name=f"sweep-{session.id}")


def session_change_end(*, session: live.LiveSession, minutes: int, now: float | None = None) -> datetime:
    """Move the end of an open session by some minutes; return the new end.

    An end moved into the past closes check-ins at once.
    """
    now = clock.now() if now is None else now
    if session.ends_at <= now:
        raise SessionEnded(gettext("This session has already ended."))
    ends = session.ends_dt + timedelta(minutes=minutes)
    if ends <= session.starts_dt:
        starts = timezone.localtime(session.starts_dt)
        raise EndRefused(
            gettext("The session started at %(time)s: it cannot end before that. Move the end by less.")
            % {"time": f"{starts:%H:%M}"}
        )
    if not live.change_end(session, ends.timestamp()):
        raise SessionEnded(gettext("This session has already ended."))
    return ends
