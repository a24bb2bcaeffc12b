from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from attendance.services.roster_import import RosterError, import_roster


class Command(BaseCommand):
    help = "Create or update students and enrolments from a CSV: school number, full name, course code."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            text = file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        bar = tqdm(unit="row", file=self.stderr, disable=text.count("\n") < 1000)
        try:
            report = import_roster(text=text, progress=bar.update)
        except RosterError as exc:
            for line, message in exc.problems:
                self.stderr.write(f"line {line}: {message}")
            raise CommandError(f"{len(exc.problems)} bad rows; nothing was changed.") from exc
        finally:
            bar.close()
        self.stdout.write(report.summary)
