"""The demo data: an administrator, teachers, courses, enrolled students and a past term (idempotent).

The term: WEEKS past weekly sessions of every course, with what a real class
looks like: most students steady, a few drifting under the attendance
threshold as the weeks go by, some late, some excused with a reason, and a
few corrections with theirs.  Random but the same on every machine (seeded
by the course code).  S0001 and S0002 never miss a class; every eighth
student from S0005 drifts.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.collation import name_key

from .. import clock
from ..models import Attendance, AttendanceRecord, Course, Enrollment, ExcuseRequest, RecordChange, Source, Status

User = get_user_model()

DEMO_PASSWORDS = {"admin": "admin-demo", "teacher": "teacher-demo", "student": "student-demo"}
TEACHERS = [("T001", "Ada Lovelace"), ("T002", "Alan Turing"), ("T003", "Grace Hopper")]
COURSES = [
    ("CS101", "Introduction to Programming", "T001"),
    ("CS201", "Data Structures", "T001"),
    ("MA110", "Linear Algebra", "T002"),
    ("PH120", "Physics I", "T003"),
]
FIRST = ["Alex", "Sam", "Maria", "Omar", "Lena", "Yuki", "Ivan", "Chloe", "Noah", "Aisha", "Mateo", "Ingrid"]
LAST = ["Silva", "Kowalski", "Nguyen", "Okafor", "Müller", "Rossi", "Haddad", "Larsen", "Tanaka", "Moreau"]
STUDENT_COUNT = 120


WEEKS = 12
# Each course's weekly slot: weekday (0 = Monday), hour.
SLOTS = {"CS101": (0, 9), "CS201": (1, 13), "MA110": (2, 10), "PH120": (3, 15)}
DEMO_NAMESPACE = uuid.UUID("6f1c2d38-8e1b-4f5e-9a55-0d6f3e2b7a10")
EXCUSES = ["Medical report", "University sports team", "Family emergency", "Exam at another faculty"]
# The last weeks of CS201 were hybrid: some students followed from home ("present (remote)").
HYBRID = {"CS201": 3}
REMOTE_SHARE = 0.15
CORRECTIONS = ["Phone battery died; seen in class", "Came in with the teacher after the break"]


@dataclass
class DemoReport:
    users_created: int
    enrolments_created: int
    sessions_created: int = 0
    excuses_created: int = 0
    warnings_sent: int = 0
    slots_created: int = 0
    round_three: int = 0  # an advisor, a streak rule, an appeal, a meeting report (issue 32)


def demo_students() -> list[tuple[str, str]]:
    return [(f"S{n:04d}", f"{FIRST[n % len(FIRST)]} {LAST[(n * 7) % len(LAST)]}") for n in range(1, STUDENT_COUNT + 1)]


@transaction.atomic
def demo_seed() -> DemoReport:
    """Create whatever part of the demo data is missing; never change what exists."""
    hashes = {role: make_password(pw) for role, pw in DEMO_PASSWORDS.items()}
    students = demo_students()
    created = _ensure_users([("admin", "Demo Administrator")], "admin", hashes)
    created += _ensure_users(TEACHERS, "teacher", hashes)
    created += _ensure_users(students, "student", hashes)
    enrolments = _ensure_courses(students)
    sessions = _ensure_term()
    return DemoReport(
        users_created=created,
        enrolments_created=enrolments,
        sessions_created=sessions,
        excuses_created=_ensure_excuses(),
        # The drifting students' warnings, as the first sweep would send them (the demo has no
        # e-mail addresses: they are listed on the course reports, and nothing is mailed).
        warnings_sent=_send_warnings(),
        slots_created=_ensure_timetable(),
        round_three=_ensure_round_three(),
    )


def _ensure_users(people, role, hashes) -> int:
    existing = set(
        User.objects.filter(school_number__in=[n for n, _ in people]).values_list("school_number", flat=True)
    )
    new = [
        User(
            school_number=n,
            full_name=name,
            name_key=name_key(name),
            role=role,
            password=hashes[role],
            is_staff=role == "admin",
            is_superuser=role == "admin",
        )
        for n, name in people
        if n not in existing
    ]
    User.objects.bulk_create(new)
    return len(new)


def _ensure_courses(students) -> int:
    ids = dict(User.objects.filter(school_number__in=[n for n, _ in students]).values_list("school_number", "id"))
    rows = []
    for index, (code, title, teacher) in enumerate(COURSES):
        course, _ = Course.objects.get_or_create(code=code, defaults={"title": title})
        course.teachers.add(User.objects.get(school_number=teacher))
        # Every student takes two of the four courses: 60 per course.
        for n, (number, _) in enumerate(students):
            if n % 2 == index % 2:
                rows.append(Enrollment(course=course, student_id=ids[number]))
    before = Enrollment.objects.count()
    Enrollment.objects.bulk_create(rows, ignore_conflicts=True)
    return Enrollment.objects.count() - before


def _kind(number: str) -> str:
    n = int(number[1:])
    if n in (1, 2):
        return "perfect"
    return "drifting" if n % 8 == 5 else "steady"


def _status(kind: str, week: int, rng: random.Random) -> str:
    """A student's status in one week of the term, by the kind of student they are."""
    if kind == "perfect":
        return Status.PRESENT
    roll = rng.random()
    if kind == "drifting":  # from nine in ten to two in ten over the term
        attends = 0.9 - 0.7 * (week - 1) / (WEEKS - 1)
        if roll < attends:
            return Status.LATE if rng.random() < 0.3 else Status.PRESENT
        return Status.ABSENT
    if roll < 0.84:
        return Status.PRESENT
    if roll < 0.92:
        return Status.LATE
    if roll < 0.97:
        return Status.ABSENT
    return Status.EXCUSED


def _ensure_term() -> int:
    """WEEKS past sessions per course, each with a record per enrolled student; only the missing ones."""
    today = clock.localdate()
    created = 0
    for code, title, teacher_number in COURSES:
        course = Course.objects.get(code=code)
        weekday, hour = SLOTS[code]
        ids = [uuid.uuid5(DEMO_NAMESPACE, f"{code}:{week}") for week in range(1, WEEKS + 1)]
        if Attendance.objects.filter(pk__in=ids).exists():
            continue  # this course's term is there (idempotent)
        teacher = User.objects.get(school_number=teacher_number)
        students = list(User.objects.enrolled_in(course.pk).order_by("school_number"))
        rng = random.Random(code)
        this_week = today - timedelta(days=today.weekday()) + timedelta(days=weekday)
        for week, sid in enumerate(ids, start=1):
            day = this_week - timedelta(weeks=WEEKS - week + 1)
            starts = timezone.make_aware(datetime.combine(day, time(hour)))
            session = Attendance.objects.create(
                id=sid,
                course=course,
                lesson_name=f"{title} — week {week}",
                teacher=teacher,
                starts_at=starts,
                ends_at=starts + timedelta(minutes=90),
                late_threshold_minutes=course.late_threshold_minutes,
                admits_remote=code in HYBRID and week > WEEKS - HYBRID[code],
            )
            _term_records(session, students, week, rng, teacher)
            created += 1
    return created


def _term_records(session: Attendance, students, week: int, rng: random.Random, teacher) -> None:
    records = []
    for student in students:
        status = _status(_kind(student.school_number), week, rng)
        if session.admits_remote and status == Status.PRESENT and rng.random() < REMOTE_SHARE:
            status = Status.REMOTE
        minutes = rng.randint(0, 8) if status == Status.PRESENT else rng.randint(12, 35)
        attended = (Status.PRESENT, Status.LATE, Status.REMOTE)
        checked = session.starts_at + timedelta(minutes=minutes) if status in attended else None
        source = {Status.ABSENT: Source.SWEEP, Status.EXCUSED: Source.TEACHER, Status.REMOTE: Source.REMOTE}.get(
            status, Source.CODE
        )
        reason = rng.choice(EXCUSES) if status == Status.EXCUSED else ""
        records.append(
            AttendanceRecord(
                attendance=session,
                student=student,
                status=status,
                checked_in_at=checked,
                source=source,
                fail_reason=reason,
            )
        )
    AttendanceRecord.objects.bulk_create(records)
    # A few corrections, audited as a teacher makes them: an absence excused, a rejection accepted.
    for record in rng.sample(records, k=2):
        if record.status == Status.ABSENT:
            new, reason = Status.EXCUSED, rng.choice(EXCUSES)
        elif record.status == Status.LATE:
            new, reason = Status.PRESENT, rng.choice(CORRECTIONS)
        else:
            continue
        RecordChange.objects.create(
            record=record, changed_by=teacher, old_status=record.status, new_status=new, reason=reason
        )
        record.status, record.fail_reason = new, reason
        record.save(update_fields=["status", "fail_reason"])


# Excuse requests of CS101's students: one waiting for Ada Lovelace (with a document), one she approved
# for last week's class (its absence became "excused", in the change log), one she declined.
DEMO_NOTE = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _ensure_excuses() -> int:
    from django.core.files.base import ContentFile

    from .. import storage
    from ..excuses import service as excuses

    course = Course.objects.get(code="CS101")
    numbers = ["S0003", "S0005", "S0007"]
    if ExcuseRequest.objects.filter(course=course, student__school_number__in=numbers).exists():
        return 0
    people = {u.school_number: u for u in User.objects.filter(school_number__in=[*numbers, "T001"])}
    today = clock.localdate()
    monday = today + timedelta(days=7 - today.weekday())
    last_class = Attendance.objects.filter(course=course).order_by("-starts_at").first()
    document = storage.private().save(f"excuses/demo-{uuid.uuid4().hex}.pdf", ContentFile(DEMO_NOTE))
    ExcuseRequest.objects.create(
        student=people["S0003"],
        course=course,
        first_day=monday,
        last_day=monday,
        reason="Dentist appointment",
        attachment=document,
        attachment_name="dentist.pdf",
    )
    day = timezone.localdate(last_class.starts_at)
    approved = ExcuseRequest.objects.create(
        student=people["S0005"], course=course, first_day=day, last_day=day, reason="Medical report"
    )
    excuses.decide(request_id=approved.pk, by=people["T001"], approve=True)
    declined = ExcuseRequest.objects.create(
        student=people["S0007"], course=course, first_day=monday, last_day=monday, reason="Concert tickets"
    )
    excuses.decide(request_id=declined.pk, by=people["T001"], approve=False, note="Not a reason to miss class")
    return 3


def _ensure_round_three() -> int:
    """Alan Turing advises the first ten students; MA110 warns after three absences in a row; CS101 takes
    appeals for three weeks; a student
    appeals their absence from CS101's last class; CS201's last hybrid class has its Zoom report applied."""
    from ..excuses import appeals
    from ..meetings import parse
    from ..meetings import service as meetings

    made = User.objects.filter(school_number__in=[f"S{n:04d}" for n in range(1, 11)], advisor__isnull=True).update(
        advisor=User.objects.get(school_number="T002")
    )
    made += Course.objects.filter(code="MA110", absences_in_a_row=0).update(absences_in_a_row=3)
    Course.objects.filter(code="CS101", appeal_days=7).update(appeal_days=21)  # the demo term ended last week
    latest = Attendance.objects.filter(course__code="CS101").order_by("-starts_at").first()
    absent = (
        # Past S0030: the end-to-end tests use the first students of each course.
        AttendanceRecord.objects.filter(attendance=latest, status=Status.ABSENT, student__school_number__gt="S0030")
        .select_related("student", "attendance__course")
        .order_by("student__school_number")
        .first()
    )
    if absent is not None and absent.can_be_appealed and not absent.appeals.exists():
        reason = "I sat at the back"
        appeals.file_appeal(student=absent.student, record_id=absent.pk, wanted=Status.PRESENT, reason=reason)
        made += 1
    hybrid = Attendance.objects.filter(course__code="CS201", admits_remote=True).order_by("-starts_at").first()
    if hybrid is not None and not hybrid.meeting_imports.exists():
        missing = AttendanceRecord.objects.filter(attendance=hybrid, status=Status.ABSENT).select_related("student")
        length = int((hybrid.ends_at - hybrid.starts_at).total_seconds() // 60)
        rows = [f"{r.student.school_number} {r.student.full_name},,,,{m},No" for r, m in zip(missing, [length, 10])]
        if rows:  # one in the call long enough, one not
            head = "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest\n"
            data = (head + "\n".join(rows)).encode()
            plan = meetings.plan(hybrid, parse.read_report(data), data, hybrid.course.meeting_min_share)
            meetings.apply(hybrid, plan, by=User.objects.get(school_number="T001"), confirmed=set())
            made += 1
    return made


def _send_warnings() -> int:
    from ..warnings import service as warnings

    return warnings.send_warnings()


# PH120's timetable: Thursdays at 15:00 for the term (its sessions open by themselves), with one
# holiday and one cancelled class ahead. Only PH120: the other courses' teachers start theirs by hand
# in the demo (and in the end-to-end tests).
TIMETABLE_COURSE, TERM_WEEKS = "PH120", 16


def _ensure_timetable() -> int:
    from ..models import NoClassDay
    from ..timetables import service as timetable

    course = Course.objects.get(code=TIMETABLE_COURSE)
    if course.slots.exists():
        return 0
    weekday, hour = SLOTS[TIMETABLE_COURSE]
    first = Attendance.objects.filter(course=course).order_by("starts_at").first()
    first_day = timezone.localdate(first.starts_at) if first else clock.localdate()
    teacher = course.teachers.order_by("school_number").first()
    timetable.add_slot(
        course=course,
        teacher=teacher,
        weekday=weekday,
        starts=time(hour),
        duration_minutes=90,
        room="Physics Hall",
        first_day=first_day,
        last_day=first_day + timedelta(weeks=TERM_WEEKS - 1),
    )
    today = clock.localdate()
    next_class = today + timedelta(days=(weekday - today.weekday()) % 7 or 7)
    if not NoClassDay.objects.filter(course__isnull=True, day=next_class + timedelta(weeks=1)).exists():
        timetable.add_no_class_day(course=None, day=next_class + timedelta(weeks=1), reason="Faculty holiday")
    timetable.add_no_class_day(course=course, day=next_class + timedelta(weeks=2), reason="Lab renovation")
    return 1
