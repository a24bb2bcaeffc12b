from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from attendance.ops.roster_import import RenamesToConfirm, RosterError, decode, import_roster


class Command(BaseCommand):
    help = "Create or update students and enrolments from a CSV: school number, full name, course code."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--confirm-renames",
            action="store_true",
            help="Apply the file although it changes existing students' names (they are listed first without it).",
        )

    def handle(self, *args, file: Path, confirm_renames: bool, **options):
        try:
            text, note = decode(file.read_bytes())
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        except RosterError as exc:
            raise CommandError(f"Cannot read {file}: {exc.problems[0][1]}") from exc
        if note:
            self.stderr.write(note)
        bar = tqdm(unit="row", file=self.stderr, disable=text.count("\n") < 1000)
        try:
            report = import_roster(text=text, progress=bar.update, confirm_renames=confirm_renames)
        except RosterError as exc:
            for line, message in exc.problems:
                self.stderr.write(f"line {line}: {message}")
            raise CommandError(f"{len(exc.problems)} bad rows; nothing was changed.") from exc
        except RenamesToConfirm as exc:
            for rename in exc.renames:
                self.stderr.write(f"{rename.school_number}: {rename.old!r} → {rename.new!r}")
            raise CommandError(
                f"{len(exc.renames)} names would change; nothing was changed. "
                "Run again with --confirm-renames to apply them."
            ) from exc
        finally:
            bar.close()
        self.stdout.write(report.summary)
