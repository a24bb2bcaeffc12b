"""A class checking in while a Redis server dies, shared by the Sentinel and the Redis Cluster failover
tests: each phone tries, and when told to try again (or the page would answer 503), tries again."""

from __future__ import annotations

import threading
import time

from attendance import live, sweep
from attendance.checkin.service import Kind
from attendance.models import AttendanceRecord
from attendance.teaching import service as live_sessions
from attendance.tests.live_helpers import check_in_as


class Burst:
    def __init__(self, session):
        self.session = session
        self.acknowledged: set[str] = set()  # students told "checked in"
        self.retried = 0  # times a student was told to try again
        self.lock = threading.Lock()

    def student_checks_in(self, student, delay: float = 0.0) -> None:
        time.sleep(delay)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                outcome = check_in_as(self.session, student, source="tap", device=f"phone-{student.school_number}")
            except Exception as exc:  # the page answers 503 "try again in a few seconds" to these, never a 500
                assert live.is_unavailable(exc), repr(exc)
                outcome = None
            if outcome is not None and outcome.kind is Kind.CHECKED_IN:
                with self.lock:
                    self.acknowledged.add(student.school_number)
                return
            with self.lock:
                self.retried += 1
            time.sleep(0.3)

    def arriving(self, students, every: float = 0.15) -> list[threading.Thread]:
        """Students arriving one every ``every`` seconds, each in a thread of their own (started)."""
        threads = [threading.Thread(target=self.student_checks_in, args=(s, i * every)) for i, s in enumerate(students)]
        for thread in threads:
            thread.start()
        return threads

    def assert_every_acknowledged_check_in_is_saved(self, students) -> None:
        """After the failover: everyone got through, some were asked to retry, and the sweep saved every
        check-in a student was told about."""
        assert self.acknowledged == {s.school_number for s in students}, "every student got through in the end"
        assert self.retried > 0, "the failover did ask some students to try again"
        live_sessions.session_finish(session=self.session)
        sweep.run()
        saved = dict(
            AttendanceRecord.objects.filter(attendance_id=self.session.id).values_list(
                "student__school_number", "status"
            )
        )
        missing = self.acknowledged - {number for number, status in saved.items() if status in ("present", "late")}
        assert not missing, f"acknowledged check-ins lost in the failover: {sorted(missing)}"
        assert live.get_session(self.session.id) is None  # swept from the promoted primary
