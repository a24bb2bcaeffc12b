"""A student's whole record, for their teachers, their advisor and staff: every course with its rate, the
sessions missed, the excuse requests and appeals, the flags and spot checks — and the same as CSV; and the
department view for administrators: each course's rate, students under the threshold and its trend by week."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from ..models import ATTENDED, Attendance, AttendanceRecord, ExcuseRequest, Status
from ..reasons import SPOT_CHECK_FAILED, SPOT_CHECK_PASSED, flag_words, translate
from .exports import csv_cell
from .reports import MISSED, course_report, student_overview


@dataclass
class StudentRecord:
    student: object
    courses: list  # reports.MyCourse, each with its records
    requests: list[ExcuseRequest]

    @property
    def flagged(self) -> list:
        return [r for course in self.courses for r in course.records if r.flags]

    def missed(self, course) -> list:
        return [r for r in course.records if r.status in MISSED]

    @property
    def spot_checks(self) -> tuple[int, int]:
        records = [r for course in self.courses for r in course.records]
        return (
            sum(SPOT_CHECK_PASSED in r.flags for r in records),
            sum(SPOT_CHECK_FAILED in r.flags for r in records),
        )


def student_record(student) -> StudentRecord:
    requests = ExcuseRequest.objects.filter(student=student).select_related("course", "record__attendance")
    return StudentRecord(student=student, courses=student_overview(student), requests=list(requests[:200]))


def student_record_csv(record: StudentRecord) -> str:
    """Every saved record of the student, one row each (formulas neutralised as in the exports)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["course", "date", "session", "status", "reason", "flags"])
    for course in record.courses:
        for r in course.records:
            day = timezone.localtime(r.attendance.starts_at).strftime("%Y-%m-%d %H:%M")
            cells = [course.course.code, day, r.attendance.lesson_name, r.status, translate(r.fail_reason)]
            writer.writerow([csv_cell(c) for c in [*cells, ", ".join(flag_words(r.flags))]])
    return out.getvalue()


@dataclass
class CourseLine:
    course: object
    rate: float | None  # of the course's saved records: attended / counted
    students: int
    below: int
    weeks: list[tuple[str, float | None]]  # (ISO week, rate) oldest first


def department(courses, *, weeks: int = 8) -> list[CourseLine]:
    """Each course's overall rate, how many students are under the threshold, and its rate by week."""
    trend = _weekly_rates([c.pk for c in courses], weeks)
    lines = []
    for course in courses:
        report = course_report(course)
        attended = sum(line.tally.attended for line in report.lines)
        counted = sum(line.tally.counted for line in report.lines)
        lines.append(
            CourseLine(
                course=course,
                rate=round(100 * attended / counted, 1) if counted else None,
                students=len(report.lines),
                below=sum(line.below for line in report.lines),
                weeks=trend.get(course.pk, []),
            )
        )
    return lines


def _weekly_rates(course_ids: list[int], weeks: int) -> dict[int, list[tuple[str, float | None]]]:
    """One query: per course and ISO week of the last ``weeks``, the share of records attended."""
    attended = [str(s) for s in ATTENDED]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.course_id, to_char(date_trunc('week', a.starts_at AT TIME ZONE %s), 'IYYY-\"W\"IW'),"
            " count(*) FILTER (WHERE r.status = ANY(%s)), count(*) FILTER (WHERE r.status <> %s)"
            f" FROM {AttendanceRecord._meta.db_table} r"  # noqa: S608 - the models' table names
            f" JOIN {Attendance._meta.db_table} a ON a.id = r.attendance_id"
            " WHERE a.course_id = ANY(%s) AND NOT a.is_deleted AND NOT r.is_deleted"
            " AND a.starts_at >= now() - make_interval(weeks => %s)"
            " GROUP BY 1, 2 ORDER BY 1, 2",
            [timezone.get_current_timezone_name(), attended, Status.EXCUSED, course_ids, weeks],
        )
        rows = cursor.fetchall()
    trend: dict[int, list] = {}
    for course_id, week, yes, counted in rows:
        trend.setdefault(course_id, []).append((week, round(100 * yes / counted, 1) if counted else None))
    return trend


def department_csv(lines: list[CourseLine]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["course", "title", "rate", "students", "under threshold", "rate by week"])
    for line in lines:
        trend = " ".join(f"{week}:{'' if rate is None else rate}" for week, rate in line.weeks)
        rate = "" if line.rate is None else line.rate
        code, title = csv_cell(line.course.code), csv_cell(line.course.title)
        writer.writerow([code, title, rate, line.students, line.below, trend])
    return out.getvalue()
