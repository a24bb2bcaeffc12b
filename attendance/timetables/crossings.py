"""What a change of the timetable does to the course's rates: who it moves across the threshold.

The planned sessions follow the timetable, and the rate over the term and "can still reach the
threshold" follow the planned sessions: one slot more or less can put a student under the threshold
(and, with the default warning rule, e-mail them at the next sweep). A change that does so is made
inside its transaction, the report read again, and, unless the teacher has confirmed it, undone by
``ThresholdCrossed``, which names who would cross.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

from ..history.reports import CourseReport, StudentLine, course_report
from ..models import Course


@dataclass(frozen=True)
class Crossing:
    full_name: str
    school_number: str
    rate_before: float | None
    rate_after: float | None
    below_after: bool
    cannot_reach_after: bool
    falls: bool  # True: to the wrong side of the threshold; False: back to the right side


class ThresholdCrossed(Exception):
    """The change would move these students across the threshold; nothing was saved."""

    def __init__(self, crossings: list[Crossing], threshold: int):
        super().__init__(f"{len(crossings)} students would cross the threshold")
        self.crossings = crossings
        self.threshold = threshold


def _side(line: StudentLine) -> tuple[bool, bool]:
    return line.below, line.cannot_reach


def crossings(before: CourseReport, after: CourseReport) -> list[Crossing]:
    """The students whose side of the threshold (under it, or unable to reach it) the change moves."""
    earlier = {line.student_id: line for line in before.lines}
    found = []
    for line in after.lines:
        old = earlier.get(line.student_id)
        if old is None or _side(old) == _side(line):
            continue
        found.append(
            Crossing(
                full_name=line.full_name,
                school_number=line.school_number,
                rate_before=old.rate,
                rate_after=line.rate,
                below_after=line.below,
                cannot_reach_after=line.cannot_reach,
                falls=sum(_side(line)) > sum(_side(old)),
            )
        )
    return found


@contextmanager
def said_before_saving(course: Course, *, confirmed: bool):
    """Run a change of the course's timetable (inside the caller's transaction); unless confirmed,
    raise ThresholdCrossed, undoing it, when it moves anyone across the threshold."""
    if confirmed:
        yield
        return
    before, planned = course_report(course), course.planned_sessions
    yield
    after = course_report(Course.objects.get(pk=course.pk))
    found = crossings(before, after)
    if found:
        course.planned_sessions = planned  # the caller's object, as the rollback leaves the row
        raise ThresholdCrossed(found, after.threshold)
