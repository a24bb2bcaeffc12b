"""Reading an online meeting's attendance report: Zoom's participants report, Microsoft Teams' attendance
report and BigBlueButton's learning dashboard export, as each product writes them (CSV or Teams' UTF-16
tab-separated text, a few lines about the meeting before the participants' table in Zoom and Teams).

Each row is one stay in the meeting; a participant who rejoined has several rows, summed here by e-mail
(or by name when the report has no e-mail). Durations come in minutes (Zoom), as "1h 2m 3s" (Teams) or as
"01:02:03" (BigBlueButton).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from accounts.collation import search_fold

from .. import textfiles

# The tools, told apart by the columns only one of them writes.
ZOOM, TEAMS, BBB, OTHER = "zoom", "teams", "bbb", "other"

# Each column by the names the tools give it (compared folded: case and spaces do not matter).
NAMES = {"name (original name)", "name", "full name", "participant", "participant name", "user name"}
EMAILS = {"user email", "email", "e-mail", "email address", "participant id (upn)"}
DURATIONS = {"duration (minutes)", "in-meeting duration", "duration", "total duration (minutes)", "attendance duration"}
MAX_ROWS = 5000  # a lecture hall's meeting has hundreds; more is not a meeting report

_HMS = re.compile(r"^(?:(?P<h>\d+):)?(?P<m>\d+):(?P<s>\d+(?:\.\d+)?)$")
_WORDS = re.compile(
    r"^(?:(?P<h>\d+)\s*(?:h|hr|hrs|hour|hours|sa|saat))?\s*(?:(?P<m>\d+)\s*(?:m|min|mins|dk))?\s*"
    r"(?:(?P<s>\d+)\s*(?:s|sec|secs|sn))?$"
)


class ReportError(Exception):
    """The file is not a meeting report this reads: ``message`` says why, with its line when there is one."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message, self.line = message, line

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        return _("Line %(line)s: %(problem)s") % {"line": self.line, "problem": self.message}


@dataclass
class Participant:
    """One person in the report, their stays summed."""

    name: str
    email: str
    minutes: float
    lines: list[int] = field(default_factory=list)


@dataclass
class Report:
    product: str
    participants: list[Participant]
    note: str = ""  # how the file was read (Windows-1254), for the teacher to check the names


def _fold(cell: str) -> str:
    return " ".join(cell.strip().strip('"').lower().split())


def _column(header: list[str], names: set[str]) -> int | None:
    return next((i for i, cell in enumerate(header) if _fold(cell) in names), None)


def _product(header: list[str]) -> str:
    cells = {_fold(cell) for cell in header}
    if "in-meeting duration" in cells or "first join" in cells:
        return TEAMS
    if "name (original name)" in cells or "duration (minutes)" in cells:
        return ZOOM
    if "moderator" in cells:
        return BBB
    return OTHER


def minutes(text: str, product: str) -> float:
    """A stay's duration in minutes, from any of the three tools' ways of writing it."""
    value = text.strip().lower()
    if re.fullmatch(r"\d+(?:[.,]\d+)?", value):  # Zoom: minutes; a bare number elsewhere too
        number = float(value.replace(",", "."))
        return number / 60 if product == TEAMS else number
    if match := _HMS.match(value):
        return int(match["h"] or 0) * 60 + int(match["m"]) + float(match["s"]) / 60
    if value and (match := _WORDS.match(value)) and any(match.groupdict().values()):
        return int(match["h"] or 0) * 60 + int(match["m"] or 0) + int(match["s"] or 0) / 60
    raise ValueError(value)


def read_report(data: bytes) -> Report:
    """The participants of a meeting report, or ReportError saying what is wrong (and where)."""
    try:
        text, note = textfiles.decode(data)
    except textfiles.UnreadableText as exc:
        raise ReportError(str(exc)) from exc
    header, columns, product = None, {}, OTHER
    people: dict[str, Participant] = {}
    for line, cells, error in textfiles.rows(text):
        if cells is None:
            raise ReportError(error, line)
        if header is None:
            name, duration = _column(cells, NAMES), _column(cells, DURATIONS)
            if name is not None and duration is not None:
                header, product = cells, _product(cells)
                columns = {"name": name, "email": _column(cells, EMAILS), "duration": duration}
            continue
        if not any(cell.strip() for cell in cells):
            if people:
                break  # Teams: the participants' section ends; its activities follow
            continue
        _add(people, cells, columns, product, line)
        if len(people) > MAX_ROWS:
            raise ReportError(_("more than %(n)s participants: this is not one meeting's report") % {"n": MAX_ROWS})
    if header is None:
        raise ReportError(
            _(
                "no participants' table found: the report needs a name column and a duration column (Zoom's "
                "participants report, Teams' attendance report or BigBlueButton's learning dashboard export)"
            )
        )
    if not people:
        raise ReportError(_("the report lists no participants"))
    return Report(product=product, participants=list(people.values()), note=str(note))


def _add(people: dict[str, Participant], cells: list[str], columns: dict, product: str, line: int) -> None:
    def cell(key: str) -> str:
        at = columns[key]
        return cells[at].strip() if at is not None and at < len(cells) else ""

    name, email = cell("name"), cell("email").lower()
    if not name and not email:
        raise ReportError(_("a participant without a name"), line)
    try:
        stay = minutes(cell("duration"), product)
    except ValueError:
        raise ReportError(
            _("the duration “%(value)s” is not a time (minutes, 1h 2m 3s or 01:02:03)") % {"value": cell("duration")},
            line,
        ) from None
    key = email or search_fold(name)
    person = people.setdefault(key, Participant(name=name, email=email, minutes=0.0))
    person.minutes += stay
    person.lines.append(line)
