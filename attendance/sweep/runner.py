"""The unified sweep: finished sessions move from Redis to PostgreSQL.

For each due session (found through the due index): claim it, close and read
it (``live.close_and_read``), write users → sessions → records (then the
teacher's live corrections into the change log, and the approved excuses) in
one transaction (``persist.sessions_persist``), and only after the commit
delete its Redis keys.  A thread takes batches of
SWEEP_BATCH_SESSIONS sessions, written in transactions cut once they reach
SWEEP_BATCH_RECORDS records: a bulk_create per table and one commit per transaction,
and its sessions one by one if the database refuses it (``handle_batch``).
(A "slot group" is the live store's: the Redis keys that share a hash tag.)  A session that fails is
logged, counted and left in Redis for the next run; after SWEEP_MAX_FAILURES
tries it moves to the dead letters.  A session whose photos are still being
verified waits for them, at most PHOTO_SWEEP_WAIT seconds past its end.  Every run leaves a SweepRun row.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import mail_admins
from django.db import DatabaseError, connection, connections

from .. import clock, live
from ..models import Status, SweepRun, sweep_summary
from . import claims
from .persist import Persisted, session_persist, sessions_persist

logger = logging.getLogger("attendance.sweep")  # the name operators filter on


@dataclass
class SweepResult:
    processed: int = 0
    records: int = 0
    failed: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    courses: set[int] = field(default_factory=set)  # of the sessions saved: their warnings are due
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
        self.courses |= part.courses


class DatabaseUnavailable(Exception):
    """PostgreSQL cannot be reached: no session is to blame, so the run stops."""


def _alert(subject: str, message: str) -> None:
    # Mail may be down as well; the log line above each alert is the fallback.
    mail_admins(f"ATTN sweep: {subject}", message, fail_silently=True)


@dataclass
class _Read:
    sid: str
    token: str
    session: live.LiveSession
    records: list[live.LiveRecord]
    changes: list[live.LiveChange]


def handle_batch(sids: list[str], result: SweepResult) -> None:
    """Persist a batch of sessions: one transaction and one commit per part of it.

    A part is written as soon as its records reach SWEEP_BATCH_RECORDS (so
    it may pass that by one session's records), and at the end of the batch.
    A part the database refuses is written again session by session, so one
    bad session never holds back another's rows.  Each session's Redis keys
    go only after the commit that holds its rows.
    """
    batch: list[_Read] = []
    size = 0  # records in the batch
    try:
        for sid in sids:
            item = _read_one(sid, result)
            if item is not None:
                batch.append(item)
                size += len(item.records)
            if batch and size >= settings.SWEEP_BATCH_RECORDS:
                done, batch, size = batch, [], 0
                _persist_batch(done, result)
        if batch:
            done, batch = batch, []
            _persist_batch(done, result)
    finally:
        for item in batch:  # read, never written: free them for the next run
            _release_quietly(item.sid, item.token)


def _read_one(sid: str, result: SweepResult) -> _Read | None:
    token = claims.take(sid)
    if token is None:
        result.skipped += 1
        return None
    try:
        session, records, changes = live.close_and_read(sid)
        if session is None:
            live.delete_session(sid)  # keys expired or removed by an earlier run; the claim goes with them
            claims.forget(sid)
            result.skipped += 1
            return None
    except Exception as exc:
        _release_quietly(sid, token)
        _fail(sid, exc, result)
        return None
    if _waits_for_photos(session, records, clock.now()):
        _release_quietly(sid, token)
        result.skipped += 1
        return None
    return _Read(sid, token, session, records, changes)


def _waits_for_photos(session: live.LiveSession, records: list[live.LiveRecord], now: float) -> bool:
    """A session with photos still being verified waits up to PHOTO_SWEEP_WAIT after its end.

    After that it is persisted as it stands (a pending photo becomes rejected,
    "not verified in time"): a finish is never held up forever.  The worker
    asks for the sweep again when the last photo is in.
    """
    if now >= session.ends_at + settings.PHOTO_SWEEP_WAIT:
        return False
    waiting = any(r.status == Status.PENDING and r.photo for r in records)
    if waiting:
        logger.info("Session %s waits for its photos to be verified", session.id)
    return waiting


def _persist_batch(batch: list[_Read], result: SweepResult) -> None:
    deleted: set[str] = set()  # persisted and their keys deleted: the claim went with them
    try:
        try:
            changes = {item.sid: item.changes for item in batch}
            outcomes = sessions_persist([(item.session, item.records) for item in batch], changes=changes)
        except Exception as exc:
            if len(batch) == 1 or _database_is_down():
                _fail(batch[0].sid, exc, result)
                return
            logger.info("A batch of %d sessions failed (%r); writing them one by one", len(batch), exc)
            outcomes = [_persist_alone(item, result) for item in batch]
        for item, persisted in zip(batch, outcomes):
            if persisted is not None and _clean_up(item, persisted, result):
                deleted.add(item.sid)
    finally:
        for item in batch:
            if item.sid not in deleted:  # not persisted, or its keys still there: free it for the next run
                _release_quietly(item.sid, item.token)


def _persist_alone(item: _Read, result: SweepResult) -> Persisted | None:
    try:
        return session_persist(session=item.session, records=item.records, changes=item.changes)
    except Exception as exc:
        _fail(item.sid, exc, result)
        return None


def _clean_up(item: _Read, persisted: Persisted, result: SweepResult) -> bool:
    """Delete a persisted session's keys (its claim among them) and count it; False if the delete failed."""
    try:
        # After the commit only: a crash here leaves the keys, and the rerun's
        # conflict-ignoring inserts change nothing.
        live.delete_session(item.sid)
    except Exception as exc:
        _fail(item.sid, exc, result, stop_if_database_down=False)
        return False
    claims.forget(item.sid)
    result.processed += 1
    result.records += persisted.records
    if item.session.course_id:
        result.courses.add(item.session.course_id)
    if persisted.renamed:
        logger.warning("Session %s: names differ from the accounts: %s", item.sid, "; ".join(persisted.renamed))
        result.notes.extend(f"{item.sid}: {note}" for note in persisted.renamed)
    return True


def _fail(sid: str, exc: Exception, result: SweepResult, *, stop_if_database_down: bool = True) -> None:
    result.failed += 1
    result.errors.append(f"{sid}: {exc!r}")
    if stop_if_database_down and _database_is_down():
        # Counting this against the session would dead-letter every due
        # session during an outage of SWEEP_MAX_FAILURES runs.
        logger.error("Sweep stopped at session %s: the database is unreachable (%r)", sid, exc)
        raise DatabaseUnavailable from exc
    logger.error("Sweep failed for session %s", sid, exc_info=exc)
    _count_failure(sid, repr(exc))


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
    claims.forget(sid)
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
    started = clock.now_datetime()
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


def _batches(sids: list[str]):
    size = max(1, settings.SWEEP_BATCH_SESSIONS)
    for first in range(0, len(sids), size):
        yield sids[first : first + size]


def _sweep_all(sids: list[str], result: SweepResult, progress) -> None:
    """Persist batches of sessions with SWEEP_THREADS threads, so that their work overlaps.

    Each thread has its own database connection and claims each session
    before it works on it, exactly as separate sweeper processes do.  The
    database or Redis going down stops every thread: the rest wait in Redis.
    """
    threads = max(1, min(settings.SWEEP_THREADS, len(sids)))
    if threads == 1:
        for batch in _batches(sids):
            handle_batch(batch, result)
            _report_progress(progress, len(batch))
        return
    pending, lock, stop, crashes = _batches(sids), threading.Lock(), threading.Event(), []

    def worker() -> None:
        # A worker per thread, each taking the next batch: futures for every
        # session at once would hold the whole backlog in memory.
        try:
            while not stop.is_set():
                with lock:
                    batch = next(pending, None)
                if batch is None:
                    return
                mine = SweepResult()
                try:
                    handle_batch(batch, mine)
                finally:
                    with lock:
                        result.merge(mine)
                        _report_progress(progress, len(batch))
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


def _report_progress(progress, sessions: int) -> None:
    if progress:
        for _ in range(sessions):
            progress(1)


def _save_run(result: SweepResult, started, trigger: str) -> None:
    try:
        result.run = SweepRun.objects.create(
            started_at=started,
            finished_at=clock.now_datetime(),
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
    # A run that found nothing to do (every minute, most of the day) is logged at debug.
    busy = result.processed or result.failed or result.skipped or result.errors
    logger.log(logging.INFO if busy else logging.DEBUG, result.summary)
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
