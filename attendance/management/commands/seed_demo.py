from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction

from attendance.models import Course, Enrollment

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


class Command(BaseCommand):
    help = "Create the demo data (idempotent): an admin, 3 teachers, 4 courses, 120 enrolled students."

    @transaction.atomic
    def handle(self, *args, **options):
        hashes = {role: make_password(pw) for role, pw in DEMO_PASSWORDS.items()}
        created = self.ensure_users([("admin", "Demo Administrator")], "admin", hashes)
        created += self.ensure_users(TEACHERS, "teacher", hashes)
        students = [
            (f"S{n:04d}", f"{FIRST[n % len(FIRST)]} {LAST[(n * 7) % len(LAST)]}") for n in range(1, STUDENT_COUNT + 1)
        ]
        created += self.ensure_users(students, "student", hashes)
        enrolled = self.ensure_courses(students)
        self.stdout.write(f"Demo data ready: {created} users created, {enrolled} enrolments created.")
        self.stdout.write("Demo logins (school number / password):")
        self.stdout.write(f"  admin        admin / {DEMO_PASSWORDS['admin']}")
        self.stdout.write(f"  teacher      T001 (also T002, T003) / {DEMO_PASSWORDS['teacher']}")
        self.stdout.write(f"  student      S0001 … S0120 / {DEMO_PASSWORDS['student']}")

    def ensure_users(self, people, role, hashes) -> int:
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

    def ensure_courses(self, students) -> int:
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
