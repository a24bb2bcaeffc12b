"""The unified sweep: finished sessions move from Redis to PostgreSQL.

For each due session (found through the due index): claim it, close and read
it (``live.close_and_read``), write users → session → records in one
transaction (``services.persist.session_persist``), and only after the commit
delete its Redis keys.  A session that fails is
logged, counted and left in Redis for the next run; after SWEEP_MAX_FAILURES
tries it moves to the dead letters.  Every run leaves a SweepRun row.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import mail_admins
from django.db import DatabaseError, connection, connections
from django.utils import timezone

from . import clock, live
from .models import SweepRun, sweep_summary
from .services.persist import session_persist

logger = logging.getLogger(__name__)


@dataclass
class SweepResult:
    processed: int = 0
    records: int = 0
    failed: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    run: SweepRun | None = None

    @property
    def summary(self) -> str:
        return sweep_summary(self.processed, self.records, self.failed, self.skipped)

    def merge(self, part: SweepResult) -> None:
        self.processed += part.processed
        self.records += part.records
        self.failed += part.failed
        self.skipped += part.skipped
        self.errors.extend(part.errors)
        self.notes.extend(part.notes)


class DatabaseUnavailable(Exception):
    """PostgreSQL cannot be reached: no session is to blame, so the run stops."""


def _alert(subject: str, message: str) -> None:
    # Mail may be down as well; the log line above each alert is the fallback.
    mail_admins(f"ATTN sweep: {subject}", message, fail_silently=True)


def handle_one(sid: str, result: SweepResult) -> None:
    """Persist one session if this sweeper wins its claim."""
    token = uuid.uuid4().hex
    if not live.claim(sid, token):
        result.skipped += 1
        return
    try:
        session, records = live.close_and_read(sid)
        if session is None:
            live.delete_session(sid)  # keys expired or removed by an earlier run
            result.skipped += 1
            return
        persisted = session_persist(session=session, records=records)
        # After the commit only: a crash here leaves the keys, and the rerun's
        # conflict-ignoring inserts change nothing.
        live.delete_session(sid)
        result.processed += 1
        result.records += persisted.records
        if persisted.renamed:
            logger.warning("Session %s: names differ from the accounts: %s", sid, "; ".join(persisted.renamed))
            result.notes.extend(f"{sid}: {note}" for note in persisted.renamed)
    except Exception as exc:
        result.failed += 1
        result.errors.append(f"{sid}: {exc!r}")
        if _database_is_down():
            # Counting this against the session would dead-letter every due
            # session during an outage of SWEEP_MAX_FAILURES runs.
            logger.error("Sweep stopped at session %s: the database is unreachable (%r)", sid, exc)
            raise DatabaseUnavailable from exc
        logger.exception("Sweep failed for session %s", sid)
        _count_failure(sid, repr(exc))
    finally:
        _release_quietly(sid, token)


def _database_is_down() -> bool:
    try:
        connection.ensure_connection()
        return not connection.is_usable()
    except DatabaseError:
        return True


def _count_failure(sid: str, error: str) -> None:
    try:
        failures = live.count_failure(sid)
        if failures >= settings.SWEEP_MAX_FAILURES:
            live.dead_letter(sid, error)
            logger.error("Session %s moved to dead letters after %d failures", sid, failures)
            _alert("session moved to dead letters", f"Session {sid} failed {failures} times: {error}")
    except Exception:
        logger.exception("Could not count the failure of session %s", sid)


def _release_quietly(sid: str, token: str) -> None:
    try:
        live.release(sid, token)
    except Exception:
        logger.warning("Could not release the claim on %s; it expires by itself", sid)


def _due_ids(session_id: str | None, now: float) -> list[str]:
    if session_id is None:
        return live.due_session_ids(now)
    session = live.get_session(session_id)
    if session is None or (session.state == live.OPEN and session.ends_at > now):
        return []
    return [session_id]


def run(
    *,
    session_id: str | None = None,
    trigger: str = "schedule",
    progress: Callable[[int], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> SweepResult:
    """Sweep every due session (or one session) and record the run."""
    started = timezone.now()
    result = SweepResult()
    try:
        sids = _due_ids(session_id, clock.now())
        if on_start:
            on_start(len(sids))
        _sweep_all(sids, result, progress)
    except DatabaseUnavailable:
        pass  # already counted; the remaining sessions wait in Redis for the next run
    except Exception as exc:  # Redis down: the run itself failed.
        logger.exception("Sweep run failed")
        result.errors.append(f"run: {exc!r}")
    _save_run(result, started, trigger)
    _report(result)
    return result


def _sweep_all(sids: list[str], result: SweepResult, progress) -> None:
    """Persist sessions with SWEEP_THREADS threads, so that their commits overlap.

    Each thread has its own database connection and claims each session
    before it works on it, exactly as separate sweeper processes do.  The
    database or Redis going down stops every thread: the rest wait in Redis.
    """
    threads = max(1, min(settings.SWEEP_THREADS, len(sids)))
    if threads == 1:
        for sid in sids:
            handle_one(sid, result)
            if progress:
                progress(1)
        return
    pending, lock, stop, crashes = iter(sids), threading.Lock(), threading.Event(), []

    def worker() -> None:
        # A worker per thread, each taking the next due session: futures for
        # every session at once would hold the whole backlog in memory.
        try:
            while not stop.is_set():
                with lock:
                    sid = next(pending, None)
                if sid is None:
                    return
                mine = SweepResult()
                try:
                    handle_one(sid, mine)
                finally:
                    with lock:
                        result.merge(mine)
                        if progress:
                            progress(1)
        except Exception as exc:  # the database or Redis is down: stop every worker
            crashes.append(exc)
            stop.set()
        finally:
            connections.close_all()  # this thread's own connection

    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="sweep") as pool:
        for _ in range(threads):
            pool.submit(worker)
    if crashes:
        raise crashes[0]


def _save_run(result: SweepResult, started, trigger: str) -> None:
    try:
        result.run = SweepRun.objects.create(
            started_at=started,
            finished_at=timezone.now(),
            trigger=trigger,
            sessions_processed=result.processed,
            records_saved=result.records,
            sessions_failed=result.failed,
            sessions_skipped=result.skipped,
            errors="\n".join(result.errors)[:20000],
            notes="\n".join(result.notes)[:20000],
        )
    except Exception as exc:
        logger.exception("Could not save the SweepRun row")
        result.errors.append(f"run log: {exc!r}")


def _report(result: SweepResult) -> None:
    logger.info(result.summary)
    if result.failed or result.errors:
        _alert(result.summary, "\n".join(result.errors))
    try:
        _check_backlog()
    except Exception:
        logger.exception("Could not check the due backlog")


def _check_backlog() -> None:
    oldest = live.oldest_due_end()
    limit = settings.SWEEP_OVERDUE_MINUTES * 60
    now = clock.now()
    if oldest is not None and now - oldest > limit:
        count = live.count_due(now - limit)
        logger.error("%d sessions are overdue by more than %d minutes", count, settings.SWEEP_OVERDUE_MINUTES)
        _alert("overdue sessions", f"{count} sessions ended over {settings.SWEEP_OVERDUE_MINUTES} minutes ago.")


def dry_run(session_id: str | None = None) -> list[tuple[str, str, int]]:
    """List what a sweep would persist: (session id, title, live records)."""
    rows = []
    for sid in _due_ids(session_id, clock.now()):
        try:
            session = live.get_session(sid)
            title = session.title if session else "(no meta)"
        except (ValueError, TypeError, KeyError) as exc:  # what the sweep would fail on, shown not raised
            title = f"(unreadable meta: {exc!r})"
        rows.append((sid, title, live.count_records(sid)))
    return rows
