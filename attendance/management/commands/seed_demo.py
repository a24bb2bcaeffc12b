from django.core.management.base import BaseCommand

from attendance.services.demo import DEMO_PASSWORDS, STUDENT_COUNT, demo_seed


class Command(BaseCommand):
    help = "Create the demo data (idempotent): an admin, 3 teachers, 4 courses, 120 enrolled students."

    def handle(self, *args, **options):
        report = demo_seed()
        self.stdout.write(
            f"Demo data ready: {report.users_created} users created, {report.enrolments_created} enrolments created."
        )
        self.stdout.write("Demo logins (school number / password):")
        self.stdout.write(f"  admin        admin / {DEMO_PASSWORDS['admin']}")
        self.stdout.write(f"  teacher      T001 (also T002, T003) / {DEMO_PASSWORDS['teacher']}")
        self.stdout.write(f"  student      S0001 … S{STUDENT_COUNT:04d} / {DEMO_PASSWORDS['student']}")
