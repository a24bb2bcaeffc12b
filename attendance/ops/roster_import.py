"""Roster import: CSV rows of school number, full name, course code."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext

from accounts.collation import name_key

from .. import textfiles
from ..models import Course, Enrollment

User = get_user_model()
HEADER_WORDS = {"school_number", "school number", "number", "student_number", "okul no", "okul numarası", "öğrenci no"}


class RosterError(Exception):
    def __init__(self, problems: list[tuple[int, str]]):
        super().__init__(f"{len(problems)} bad rows")
        self.problems = problems


@dataclass(frozen=True)
class Rename:
    school_number: str
    old: str
    new: str


class RenamesToConfirm(Exception):
    """The file would change existing students' names: nothing is applied until someone confirms them."""

    def __init__(self, renames: list[Rename]):
        super().__init__(f"{len(renames)} names would change")
        self.renames = renames


CP1254_NOTE = textfiles.CP1254_NOTE


def decode(data: bytes) -> tuple[str, str]:
    """The file's text and a note on how it was read (``attendance.textfiles``)."""
    try:
        return textfiles.decode(data)
    except textfiles.UnreadableText as exc:
        raise RosterError([(1, str(exc))]) from exc


@dataclass
class RosterReport:
    rows: int = 0
    users_created: int = 0
    users_updated: int = 0
    enrollments_created: int = 0
    already_enrolled: int = 0
    without_password: int = 0  # students in the file who cannot log in yet (no password set)

    @property
    def summary(self) -> str:
        text = gettext(
            "%(rows)s rows: %(created)s students created, %(renamed)s renamed, "
            "%(enrolled)s enrolments created, %(already)s already enrolled"
        ) % {
            "rows": self.rows,
            "created": self.users_created,
            "renamed": self.users_updated,
            "enrolled": self.enrollments_created,
            "already": self.already_enrolled,
        }
        if self.without_password:
            text += gettext(
                ". %(n)s of these students cannot log in yet (no password): print or send their invitations"
            ) % {"n": self.without_password}
        return text


separator = textfiles.separator
_rows = textfiles.rows


def _has_control_characters(value: str) -> bool:
    return any(unicodedata.category(char) == "Cc" for char in value)


def _parse(text: str, courses: dict[str, int], progress) -> tuple[list, list[tuple[int, str]]]:
    rows, problems, names = [], [], {}
    for line, row, error in _rows(text):
        if row is None:
            problems.append((line, gettext("this line cannot be read as CSV (%(error)s)") % {"error": error}))
            continue
        if progress:
            progress(1)
        if not any(cell.strip() for cell in row):
            continue
        if line == 1 and row and row[0].strip().lower() in HEADER_WORDS:
            continue
        if len(row) != 3:
            problems.append(
                (
                    line,
                    gettext("expected 3 columns (school number, full name, course code), got %(n)s") % {"n": len(row)},
                )
            )
            continue
        number, name, code = (cell.strip() for cell in row)
        if any(_has_control_characters(cell) for cell in (number, name, code)):
            problems.append(
                (line, gettext("the row holds a control character (such as NUL); save the file as plain CSV text"))
            )
        elif not number or len(number) > 32:
            problems.append((line, gettext("the school number is empty or longer than 32 characters")))
        elif not name or len(name) > 150:
            problems.append((line, gettext("the full name is empty or longer than 150 characters")))
        elif code not in courses:
            problems.append((line, gettext("no course has the code %(code)s") % {"code": repr(code)}))
        elif names.setdefault(number, name) != name:
            problems.append(
                (
                    line,
                    gettext("school number %(number)s appears with another name (%(name)s)")
                    % {"number": number, "name": repr(names[number])},
                )
            )
        else:
            rows.append((line, number, name, code))
    return rows, problems


def other_roles(numbers) -> dict[str, str]:
    """The school numbers that belong to a teacher or an administrator (with the role): a roster (a file or
    the LMS's) never renames nor enrols them, so a teacher is never turned into a student."""
    return dict(
        User.objects.filter(school_number__in=set(numbers))
        .exclude(role=User.Role.STUDENT)
        .values_list("school_number", "role")
    )


def _not_students(rows) -> list[tuple[int, str]]:
    """Rows naming a teacher or an administrator."""
    others = other_roles(number for _, number, _, _ in rows)
    return [
        (
            line,
            gettext("school number %(number)s belongs to a %(role)s; the import only enrols students")
            % {"number": number, "role": others[number]},
        )
        for line, number, _, _ in rows
        if number in others
    ]


def name_changes(names: dict[str, str]) -> list[Rename]:
    """Existing students whose name (school number -> name) differs from their account's."""
    existing = User.objects.filter(school_number__in=list(names)).values_list("school_number", "full_name")
    return sorted(
        (Rename(number, old, names[number]) for number, old in existing if old != names[number]),
        key=lambda r: r.school_number,
    )


def renames(rows) -> list[Rename]:
    """Existing students whose name in the file differs from their account's."""
    return name_changes({number: name for _, number, name, _ in rows})


class _Preview(Exception):
    def __init__(self, report: RosterReport):
        super().__init__("a preview: rolled back")
        self.report = report


def preview_roster(*, text: str) -> tuple[RosterReport, list[Rename]]:
    """What importing ``text`` would do — students created and renamed, enrolments made, those already
    enrolled — and the name changes, without changing anything (the same import, rolled back)."""
    courses = dict(Course.objects.values_list("code", "id"))
    rows, problems = _parse(text, courses, None)
    problems += _not_students(rows)
    if problems:
        raise RosterError(sorted(problems))
    if not rows:
        raise RosterError([(1, gettext("the file has no rows"))])
    try:
        with transaction.atomic():
            raise _Preview(_apply([row[1:] for row in rows], courses))
    except _Preview as done:
        return done.report, renames(rows)


def import_roster(
    *, text: str, progress: Callable[[int], object] | None = None, confirm_renames: bool = False
) -> RosterReport:
    """Validate every row, then apply all of them in one transaction (or none).

    Rows naming a teacher or administrator are refused; name changes of
    existing students raise RenamesToConfirm unless ``confirm_renames``.
    """
    courses = dict(Course.objects.values_list("code", "id"))
    rows, problems = _parse(text, courses, progress)
    problems += _not_students(rows)
    if problems:
        raise RosterError(sorted(problems))
    if not rows:
        raise RosterError([(1, gettext("the file has no rows"))])
    changed = renames(rows)
    if changed and not confirm_renames:
        raise RenamesToConfirm(changed)
    return _apply([row[1:] for row in rows], courses)


@transaction.atomic
def _apply(rows, courses) -> RosterReport:
    names = {number: name for number, name, _ in rows}
    report = RosterReport(rows=len(rows))
    report.users_created, renamed, ids = students_write(names)
    report.users_updated = len(renamed)
    wanted = {(courses[code], ids[number]) for number, _, code in rows}
    report.enrollments_created = enrol(wanted)
    report.already_enrolled = len(wanted) - report.enrollments_created
    report.without_password = User.objects.filter(school_number__in=list(names)).without_password().count()
    return report


def students_write(names: dict[str, str]) -> tuple[int, list[Rename], dict[str, int]]:
    """Students by school number -> name: the new ones created (without a password), the others renamed.
    Return how many were created, the renames, and every student's id. Callers have refused the numbers of
    teachers and administrators first (``other_roles``); call it inside their transaction."""
    existing = dict(
        User.objects.filter(school_number__in=list(names), role=User.Role.STUDENT).values_list(
            "school_number", "full_name"
        )
    )
    new_users = [
        User(school_number=n, full_name=name, name_key=name_key(name), password="!")
        for n, name in names.items()
        if n not in existing
    ]
    User.objects.bulk_create(new_users, batch_size=1000, ignore_conflicts=True)
    renamed = [Rename(number, old, names[number]) for number, old in existing.items() if old != names[number]]
    for rename in renamed:
        User.objects.filter(school_number=rename.school_number).update(
            full_name=rename.new, name_key=name_key(rename.new)
        )
    students = User.objects.filter(school_number__in=list(names), role=User.Role.STUDENT)
    ids = dict(students.values_list("school_number", "id"))  # a teacher's number (made meanwhile) is never here
    return len(new_users), sorted(renamed, key=lambda r: r.school_number), ids


def enrol(pairs: set[tuple[int, int]]) -> int:
    """Enrol (course id, student id) pairs; return how many enrolments were new."""
    students = {student for _, student in pairs}
    present = set(Enrollment.objects.filter(student_id__in=list(students)).values_list("course_id", "student_id"))
    missing = pairs - present
    Enrollment.objects.bulk_create(
        [Enrollment(course_id=c, student_id=s) for c, s in missing], batch_size=1000, ignore_conflicts=True
    )
    return len(missing)
