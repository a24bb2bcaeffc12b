"""One check-in decision (lua/check_in.lua) for every path: the same facts give the same stored record,
whether the student typed the code (fast or full path), scanned the QR code, tapped or used the remote link;
and the reasons it stores read in the reader's language."""

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from attendance import live
from attendance.checkin import proofs as verification
from attendance.checkin import service as check_in
from attendance.checkin.outcomes import not_started
from attendance.checkin.service import Kind, Visitor
from attendance.live.sessions import keep_snapshot
from attendance.models import Source, Status
from conftest import login
from tests.factories import CourseFactory, EnrollmentFactory, UserFactory

from .live_helpers import TEACHER_IP, check_in_as, code, start, wrong_codes

pytestmark = pytest.mark.django_db
PHONE = "phone-1"


@pytest.fixture(autouse=True)
def snapshot_kept(settings):
    # A path sets the process's snapshot of the open sessions itself; it must not expire mid-test.
    settings.CHECKIN_OPEN_SESSIONS_MAX_AGE = 3600


@pytest.fixture
def writes(monkeypatch):
    """The live writes the check-ins went through: "fast" (the typed code's one script) or "full"."""
    seen = []
    by_code, one_session = live.check_in_by_code, live.check_in

    def fast(*args, **kwargs):
        result = by_code(*args, **kwargs)
        if result[0] is not None:  # else nothing was written: the full path decides
            seen.append("fast")
        return result

    def full(*args, **kwargs):
        seen.append("full")
        return one_session(*args, **kwargs)

    monkeypatch.setattr(live, "check_in_by_code", fast)
    monkeypatch.setattr(live, "check_in", full)
    return seen


# --- the paths ----------------------------------------------------------------------


def type_code_fast(session, visitor, now):
    live.open_sessions(now)  # a fresh snapshot: it knows every open session
    return check_in.check_in_with_code(visitor=visitor, code=code(session, now), now=now)


def type_code_full(session, visitor, now):
    keep_snapshot([])  # as if taken before the session started: no session matches the code in it
    return check_in.check_in_with_code(visitor=visitor, code=code(session, now), now=now)


def follow(link, session, visitor, now):
    assert link.kind == Kind.CONFIRM, link.error
    opened = check_in.open_link(
        student=visitor.student, session=session, token=link.link, browser=visitor.browser, now=now
    )
    assert opened.kind == Kind.CONFIRM, opened.error
    return check_in.check_in_by_link(visitor=visitor, session=session, token=link.link, now=now)


def scan_qr(session, visitor, now):
    link = check_in.link_for_qr(session=session, code=code(session, now), ip=visitor.ip, now=now)
    return follow(link, session, replace(visitor, browser=link.browser), now)


def tap(session, visitor, now):
    return follow(check_in.link_for_tap(student=visitor.student, session=session, now=now), session, visitor, now)


def remote_link(session, visitor, now):
    token = verification.remote_token(session.secret)
    return check_in.check_in_remote(visitor=visitor, session=session, token=token, code=code(session, now), now=now)


@dataclass(frozen=True)
class Path:
    check_in: Callable
    source: str
    write: str  # the live write the decision goes through
    attended: str = Status.PRESENT
    session: dict = field(default_factory=dict)  # how its session is started

    @property
    def takes_codes(self) -> bool:
        return self.session.get("require_code", True)


PATHS = {
    "typed code, fast path": Path(type_code_fast, Source.CODE, "fast"),
    "typed code, full path": Path(type_code_full, Source.CODE, "full"),
    "QR link": Path(scan_qr, Source.QR, "full"),
    "tap link": Path(tap, Source.TAP, "full", session={"require_code": False}),
    # A hybrid session's remote student is "present (remote)" by design; nothing else differs.
    "remote link": Path(remote_link, Source.REMOTE, "full", attended=Status.REMOTE, session={"admits_remote": True}),
}
each_path = pytest.mark.parametrize("path", PATHS.values(), ids=PATHS.keys())
each_path_with_codes = pytest.mark.parametrize(
    "path", [p for p in PATHS.values() if p.takes_codes], ids=[n for n, p in PATHS.items() if p.takes_codes]
)


def check_in_by(path, session, student, now, writes):
    """The decisive check-in, through ``path``; it asserts the live write the path should take."""
    writes.clear()
    outcome = path.check_in(session, Visitor(student=student, ip=TEACHER_IP, device=PHONE), now)
    assert writes == [path.write]
    return outcome


def stored(path, student, now, *, status, reason="", flags=()):
    """The record every path stores for these facts: only its source differs (and remote's attended status)."""
    return {
        "school_number": student.school_number,
        "full_name": student.full_name,
        "status": path.attended if status == Status.PRESENT else status,
        "checked_in_at": now,
        "source": path.source,
        "reason": reason,
        "flags": list(flags),
    }


def as_stored(session, student) -> dict | None:
    """The student's record as Redis holds it, field by field."""
    raw = live.get_record_raw(session.id, student.school_number)
    return json.loads(raw) if raw else None


def checked_in(outcome, session, student) -> dict:
    assert outcome.kind == Kind.CHECKED_IN, outcome.error
    assert outcome.record == live.get_record(session.id, student.school_number)
    return as_stored(session, student)


@pytest.fixture
def used_elsewhere(other_teacher, clock):
    """Another course's open session, where one of its students checked in with the phone: (session, them)."""
    friend = UserFactory(school_number="S2002", full_name="Fay Friend")
    course = CourseFactory(code="MA110", teachers=[other_teacher])
    EnrollmentFactory(course=course, student=friend)
    session = start(other_teacher, course, now=clock.now)
    assert check_in_as(session, friend, now=clock.now, device=PHONE).kind == Kind.CHECKED_IN
    return session, friend


# --- the same facts, the same record ---------------------------------------------------


@each_path
def test_it_stores_a_plain_check_in_alike_on_every_path(path, teacher, course, student, clock, writes):
    session = start(teacher, course, now=clock.now, **path.session)

    record = checked_in(check_in_by(path, session, student, clock.now, writes), session, student)

    assert record == stored(path, student, clock.now, status=Status.PRESENT)


@each_path
def test_it_rejects_a_phone_shared_in_the_session_alike_on_every_path(
    path, teacher, course, student, classmates, clock, writes
):
    session = start(teacher, course, now=clock.now, **path.session)
    rita, _ = classmates
    assert check_in_as(session, rita, now=clock.now, device=PHONE).kind == Kind.CHECKED_IN

    record = checked_in(check_in_by(path, session, student, clock.now, writes), session, student)

    assert record == stored(
        path, student, clock.now, status=Status.REJECTED, reason=live.SHARED_DEVICE_REASON, flags=["shared_device"]
    )
    assert as_stored(session, rita)["status"] == Status.PRESENT  # the first keeps theirs


@each_path
def test_it_flags_a_phone_used_in_another_open_session_alike_on_every_path(
    path, teacher, course, student, used_elsewhere, clock, writes
):
    elsewhere, friend = used_elsewhere
    session = start(teacher, course, now=clock.now, **path.session)

    record = checked_in(check_in_by(path, session, student, clock.now, writes), session, student)

    assert record == stored(
        path, student, clock.now, status=Status.PRESENT, reason=live.ELSEWHERE_REASON, flags=["device_elsewhere"]
    )
    assert as_stored(elsewhere, friend)["flags"] == []


@each_path_with_codes  # a session without a code counts no wrong codes: nobody is locked out of it
def test_it_refuses_a_student_locked_out_by_wrong_codes_on_every_path(
    path, teacher, course, student, clock, writes, settings
):
    settings.CHECKIN_MAX_WRONG_CODES, settings.CHECKIN_GUESS_LIMIT = 3, 100  # this session's lock-out only
    session = start(teacher, course, now=clock.now, **path.session)
    typo = next(c for c in ("000000", "111111", "222222") if c not in {code(session, clock.now, n) for n in (0, 1)})
    for _ in range(3):
        typed = check_in.check_in_with_code(
            visitor=Visitor(student=student, ip=TEACHER_IP, device=PHONE), code=typo, now=clock.now
        )
        assert typed.kind == Kind.WRONG_CODE
    assert wrong_codes(session, student.school_number) == 3
    assert live.guess_locked_until(f"student:{student.school_number}") == 0

    outcome = check_in_by(path, session, student, clock.now, writes)

    assert (outcome.kind, outcome.error) == (Kind.REFUSED, check_in.LOCKED_OUT)
    assert live.get_records(session.id) == {}
    # Nor did the phone become the student's: a classmate may still check in with it.
    classmate = UserFactory()
    assert check_in_as(session, classmate, now=clock.now, device=PHONE).kind == Kind.CHECKED_IN
    assert as_stored(session, classmate)["flags"] == []


# --- the stored reason in the reader's language ----------------------------------------


def test_it_shows_the_shared_phone_reason_in_turkish_to_the_student_and_the_teacher(
    teacher, session, student, classmates, clock
):
    rita, _ = classmates
    for who in (rita, student):
        visitor = Visitor(student=who, ip=TEACHER_IP, device=PHONE)
        assert check_in.check_in_with_code(visitor=visitor, code=code(session, clock.now), now=clock.now).record
    rejected = as_stored(session, student)
    assert (rejected["status"], rejected["reason"]) == (Status.REJECTED, live.SHARED_DEVICE_REASON)
    with translation.override("tr"):
        turkish = translation.gettext(live.SHARED_DEVICE_REASON)
    assert turkish != live.SHARED_DEVICE_REASON

    result = login(Client(), student).get(
        reverse("attendance:result", args=[session.id]), headers={"accept-language": "tr"}
    )
    roster = login(Client(), teacher).get(
        reverse("attendance:live_roster", args=[session.id]), headers={"accept-language": "tr"}
    )

    for page in (result, roster):
        assert page.status_code == 200
        assert turkish in page.text and live.SHARED_DEVICE_REASON not in page.text


# --- a session that has not started (Moodle attendance #807) ---------------------------


def attempt(path, session, student, now):
    """A check-in through ``path`` that may be refused at any step (the link, the confirmation, the write)."""
    visitor = Visitor(student=student, ip=TEACHER_IP, device=PHONE)
    if path.check_in in (scan_qr, tap):
        link = (
            check_in.link_for_qr(session=session, code=code(session, now), ip=visitor.ip, now=now)
            if path.check_in is scan_qr
            else check_in.link_for_tap(student=student, session=session, now=now)
        )
        if link.kind != Kind.CONFIRM:
            return link
        visitor = replace(visitor, browser=link.browser or visitor.browser)
        return check_in.check_in_by_link(visitor=visitor, session=session, token=link.link, now=now)
    return path.check_in(session, visitor, now)


@each_path
def test_no_path_checks_in_to_a_session_that_has_not_started(path, teacher, course, student, clock):
    session = start(teacher, course, now=clock.now, started=-600, **path.session)  # starts in ten minutes

    outcome = attempt(path, session, student, clock.now)

    assert outcome.kind != Kind.CHECKED_IN
    assert outcome.error == not_started(session), (outcome.kind, outcome.error)
    assert live.get_records(session.id) == {}


def test_the_check_in_script_itself_refuses_a_session_that_has_not_started(teacher, course, student, clock):
    session = start(teacher, course, now=clock.now, started=-600)
    record = check_in.new_record(student, status=Status.PRESENT, source=Source.CODE, now=clock.now)

    assert live.check_in(session, record, PHONE, clock.now) == ("not_started", None)
    assert live.get_records(session.id) == {}
    assert live.check_in(session, record, PHONE, session.starts_at)[0] == "ok"
