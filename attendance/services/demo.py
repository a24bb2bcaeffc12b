"""The demo data: an administrator, teachers, courses and enrolled students (idempotent)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from ..models import Course, Enrollment

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


@dataclass
class DemoReport:
    users_created: int
    enrolments_created: int


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
    return DemoReport(users_created=created, enrolments_created=_ensure_courses(students))


def _ensure_users(people, role, hashes) -> int:
    existing = set(
        User.objects.filter(school_number__in=[n for n, _ in people]).values_list("school_number", flat=True)
    )
    new = [
        User(
            school_number=n,
            full_name=name,
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
