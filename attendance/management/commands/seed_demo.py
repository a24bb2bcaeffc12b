from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from attendance.ops.demo import DEMO_PASSWORDS, STUDENT_COUNT, demo_seed


class Command(BaseCommand):
    help = (
        "Create the demo data (idempotent): an admin, 3 teachers, 4 courses, 120 enrolled students, "
        "and a past term of 12 weekly sessions per course."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-demo-in-production",
            action="store_true",
            help="create the demo accounts (public passwords, a superuser among them) even with PRODUCTION on",
        )

    def handle(self, *args, allow_demo_in_production=False, **options):
        if settings.PRODUCTION and not allow_demo_in_production:
            raise CommandError(
                "PRODUCTION is on: the demo accounts have public passwords (admin/admin-demo is a superuser). "
                "Pass --allow-demo-in-production if you really want them."
            )
        report = demo_seed()
        self.stdout.write(
            f"Demo data ready: {report.users_created} users created, {report.enrolments_created} enrolments created, "
            f"{report.sessions_created} past sessions created, {report.excuses_created} excuse requests created, "
            f"{report.warnings_sent} low-attendance warnings recorded, "
            f"{report.slots_created} timetable slots created."
        )
        self.stdout.write("Demo logins (school number / password):")
        self.stdout.write(f"  admin        admin / {DEMO_PASSWORDS['admin']}")
        self.stdout.write(f"  teacher      T001 (also T002, T003) / {DEMO_PASSWORDS['teacher']}")
        self.stdout.write(f"  student      S0001 … S{STUDENT_COUNT:04d} / {DEMO_PASSWORDS['student']}")
