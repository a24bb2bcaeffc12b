from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from attendance import sweep


class Command(BaseCommand):
    help = "Persist finished live sessions from Redis to PostgreSQL now (the unified sweep)."

    def add_arguments(self, parser):
        parser.add_argument("--session", help="sweep only this session id (it must have ended)")
        parser.add_argument("--dry-run", action="store_true", help="list what would be persisted, write nothing")

    def handle(self, *args, session=None, dry_run=False, **options):
        if dry_run:
            return self.handle_dry_run(session)
        bar = None

        def start(total):
            nonlocal bar
            bar = tqdm(total=total, unit="session", disable=total < 2, file=self.stderr)

        result = sweep.run(session_id=session, trigger="command", on_start=start, progress=lambda n: bar.update(n))
        if bar is not None:
            bar.close()
        for error in result.errors:
            self.stderr.write(error)
        if result.failed or result.errors:
            raise CommandError(result.summary)
        if session and not result.processed:
            raise CommandError(f"Session {session} was not swept: it is still open, unknown, or being swept elsewhere.")
        self.stdout.write(result.summary)

    def handle_dry_run(self, session):
        rows = sweep.dry_run(session)
        for sid, title, count in rows:
            self.stdout.write(f"{sid}  {count:5d} records  {title}")
        self.stdout.write(f"{len(rows)} sessions would be persisted (dry run, nothing written)")
