"""Attendance rates by a course's counting policy, and the course report matrix.

Counting: present and late attend; absent, rejected and pending do not;
excused either counts as present or is left out of both sides, per course.
"Rate to date" divides by the sessions held so far; "term" divides by the
term's planned sessions, so a student's rate grows through the term.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count
from django.utils.html import escape
from django.utils.translation import gettext

from accounts.collation import name_key

from ..models import ATTENDED, Attendance, AttendanceRecord, Course, Status
from ..reasons import SPOT_CHECK_FAILED, SPOT_CHECK_PASSED

User = get_user_model()


@dataclass
class Tally:
    attended: float = 0
    counted: int = 0
    excused: int = 0
    remote: int = 0

    def add(self, status: str, excused_counts_as_present: bool, remote_weight: int = 100) -> None:
        if status == Status.EXCUSED:
            self.excused += 1
            if not excused_counts_as_present:
                return
            self.attended += 1
        elif status == Status.REMOTE:  # the course's policy weighs a remote attendance
            self.remote += 1
            self.attended += remote_weight / 100
        elif status in ATTENDED:
            self.attended += 1
        self.counted += 1

    def rate(self, denominator: int | None = None) -> float | None:
        total = self.counted if denominator is None else denominator
        return round(100 * self.attended / total, 1) if total else None

    def rate_for(self, course: Course) -> float | None:
        """The student's rate under the course's counting policy."""
        return self.rate(policy_denominator(course, self))


# A session missed, for "absences in a row".
MISSED = frozenset({Status.ABSENT, Status.REJECTED})


@dataclass
class StudentLine:
    student_id: int
    school_number: str
    full_name: str
    marks: list[str | None]
    tally: Tally = field(default_factory=Tally)
    rate: float | None = None
    below: bool = False
    cannot_reach: bool = False
    spot_checks_passed: int = 0  # the teacher's spot checks this term: "here" …
    spot_checks_failed: int = 0  # … and "not here" (the report marks the student)
    absences_left: int | None = None  # more sessions they may miss and still reach the threshold (None: no plan)

    @property
    def streak(self) -> int:
        """Absences (absent or rejected) in a row up to the latest session the student has a record of."""
        count = 0
        for mark in reversed(self.marks):
            if mark is None:
                continue
            if mark not in MISSED:
                break
            count += 1
        return count


@dataclass
class CourseReport:
    course: Course
    sessions: list[Attendance]
    lines: list[StudentLine]
    session_rates: list[float | None]
    threshold: int
    planned: int | None

    @property
    def remaining(self) -> int | None:
        return max(0, self.planned - len(self.sessions)) if self.planned else None

    @property
    def has_remote(self) -> bool:
        return any(line.tally.remote for line in self.lines)


def policy_denominator(course: Course, tally: Tally) -> int | None:
    """Return the rate's denominator under the course policy (None: sessions counted)."""
    if course.rate_policy == Course.RatePolicy.TERM and course.planned_sessions:
        left_out = 0 if course.excused_counts_as_present else tally.excused
        return max(course.planned_sessions - left_out, tally.counted)
    return None


def absences_left(course: Course, tally: Tally, held: int, threshold: int) -> int | None:
    """How many of the remaining planned sessions the student may still miss and reach the threshold by the
    term's end: negative once they cannot reach it, None without planned sessions."""
    if not course.planned_sessions:
        return None
    remaining = max(0, course.planned_sessions - held)
    left_out = 0 if course.excused_counts_as_present else tally.excused
    total = max(course.planned_sessions - left_out, 1)
    return math.floor((100 * (tally.attended + remaining) - threshold * total) / 100 + 1e-9)


def can_still_reach(course: Course, tally: Tally, held: int, threshold: int) -> bool:
    """Whether attending every remaining planned session reaches the threshold."""
    left = absences_left(course, tally, held, threshold)
    return left is None or left >= 0


def course_sessions(course: Course):
    return Attendance.objects.alive().filter(course=course).order_by("starts_at")


def _matrix_records(session_ids: list) -> list[tuple[str, int, str, bool, bool]]:
    """(session id as text, student id, status, passed a spot check, failed one) of every live record of the
    sessions.

    A term's report reads 30,000 of them: fetched at once as plain tuples, the
    session id as text (the ORM builds a UUID object for each, a third of the page).
    """
    table = AttendanceRecord._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT attendance_id::text, student_id, status, flags ? %s, flags ? %s FROM {table} "  # noqa: S608 - the model's table name
            "WHERE attendance_id = ANY(%s) AND NOT is_deleted",
            [SPOT_CHECK_PASSED, SPOT_CHECK_FAILED, session_ids],
        )
        return cursor.fetchall()


def course_report(course: Course) -> CourseReport:
    """Build the students × sessions matrix with rates, in three queries (four with students no longer enrolled)."""
    threshold = settings.ATTENDANCE_THRESHOLD
    sessions = list(course_sessions(course).select_related("teacher"))
    column = {s.pk: i for i, s in enumerate(sessions)}
    people = User.objects.enrolled_in(course.pk).values_list("id", "school_number", "full_name")
    lines = {pk: StudentLine(pk, number, name, [None] * len(sessions)) for pk, number, name in people}
    column = {str(pk): i for pk, i in column.items()}
    session_tallies = [Tally() for _ in sessions]
    strangers = set()  # students with records who are no longer enrolled
    for attendance_id, student_id, status, passed, failed in _matrix_records([s.pk for s in sessions]):
        line = lines.get(student_id)
        if line is None:
            strangers.add(student_id)
            line = lines[student_id] = StudentLine(student_id, "", "", [None] * len(sessions))
        line.marks[column[attendance_id]] = status
        line.spot_checks_passed += passed
        line.spot_checks_failed += failed
        line.tally.add(status, course.excused_counts_as_present, course.remote_weight)
        session_tallies[column[attendance_id]].add(status, course.excused_counts_as_present, course.remote_weight)
    if strangers:
        for pk, number, name in User.objects.filter(pk__in=strangers).values_list("id", "school_number", "full_name"):
            lines[pk].school_number, lines[pk].full_name = number, name
    for line in lines.values():
        line.rate = line.tally.rate_for(course)
        line.below = line.rate is not None and line.rate < threshold
        line.absences_left = absences_left(course, line.tally, len(sessions), threshold)
        line.cannot_reach = line.absences_left is not None and line.absences_left < 0
    ordered = sorted(lines.values(), key=lambda line: name_key(line.full_name))
    return CourseReport(
        course=course,
        sessions=sessions,
        lines=ordered,
        session_rates=[t.rate() for t in session_tallies],
        threshold=threshold,
        planned=course.planned_sessions,
    )


def rate_chart_svg(sessions: list[Attendance], rates: list[float | None], threshold: int) -> str:
    """Return an inline SVG line chart of each session's rate across the term."""
    width, height, pad = 640, 220, 32
    points = [(i, r) for i, r in enumerate(rates) if r is not None]
    if not points:
        return ""
    step = (width - 2 * pad) / max(len(rates) - 1, 1)

    def xy(i, r):
        return pad + i * step, height - pad - (height - 2 * pad) * r / 100

    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, r) for i, r in points))
    ty = xy(0, threshold)[1]
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3"><title>{sessions[i].starts_at:%d %b}: {r} %</title></circle>'
        for (i, r), (x, y) in ((p, xy(*p)) for p in points)
    )
    label = escape(gettext("Attendance rate per session"))
    goal = escape(gettext("%(threshold)s%% goal") % {"threshold": threshold})
    return (
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{label}" '
        f'xmlns="http://www.w3.org/2000/svg" style="width:100%;max-width:{width}px">'
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="#999"/>'
        f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="#999"/>'
        f'<text x="4" y="{pad + 4}" font-size="11">100%</text>'
        f'<text x="12" y="{height - pad + 4}" font-size="11">0%</text>'
        f'<line x1="{pad}" y1="{ty:.1f}" x2="{width - pad}" y2="{ty:.1f}" stroke="#b3261e" stroke-dasharray="4 4"/>'
        f'<text x="{width - pad - 60}" y="{ty - 4:.1f}" font-size="11" fill="#b3261e">{goal}</text>'
        f'<polyline points="{path}" fill="none" stroke="#2457d6" stroke-width="2"/>'
        f'<g fill="#2457d6">{dots}</g></svg>'
    )


@dataclass
class MyCourse:
    course: Course
    rate: float | None
    below: bool
    cannot_reach: bool
    records: list[AttendanceRecord]


def student_overview(student) -> list[MyCourse]:
    """Each enrolled course of a student with their rate and their records, newest first."""
    threshold = settings.ATTENDANCE_THRESHOLD
    courses = list(Course.objects.filter(enrollments__student=student).order_by("code"))
    records = (
        AttendanceRecord.objects.alive()
        .filter(student=student, attendance__is_deleted=False, attendance__course__in=courses)
        .select_related("attendance__course")
        .order_by("-attendance__starts_at")
    )
    by_course: dict[int, list[AttendanceRecord]] = {c.pk: [] for c in courses}
    for record in records:
        by_course[record.attendance.course_id].append(record)
    held = dict(
        Attendance.objects.alive()
        .filter(course__in=courses)
        .values("course")
        .annotate(n=Count("id"))
        .values_list("course", "n")
    )
    overview = []
    for course in courses:
        tally = Tally()
        for record in by_course[course.pk]:
            tally.add(record.status, course.excused_counts_as_present, course.remote_weight)
        rate = tally.rate_for(course)
        overview.append(
            MyCourse(
                course=course,
                rate=rate,
                below=rate is not None and rate < threshold,
                cannot_reach=not can_still_reach(course, tally, held.get(course.pk, 0), threshold),
                records=by_course[course.pk],
            )
        )
    return overview
