"""An online meeting's report applied to a saved session: participants matched to the course's students, their
time summed, "present (remote)" above the course's least share of the session, absent below — one audited
change, nothing already checked in overwritten, the same file twice changing nothing."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction

from accounts.collation import search_fold

from ..history import corrections
from ..models import Attendance, AttendanceRecord, MeetingImport, Source, Status
from ..reasons import meeting_reason
from .parse import Participant, Report

User = get_user_model()
# What an import may change: a student the sweep found absent, or a record an earlier report wrote.
CHANGEABLE = {Status.ABSENT}


@dataclass
class Line:
    """A student the report speaks for: their minutes and what they become."""

    student_id: int
    school_number: str
    full_name: str
    minutes: float
    names: list[str]  # as the report wrote them
    how: str  # "email", "number", "name" (sure) or "similar" (to confirm)
    share: int = 0  # of the session, in % (the plan fills it)
    becomes: str = ""  # the status the plan gives


@dataclass
class Plan:
    product: str
    digest: str
    length: float  # the session's minutes
    min_share: int
    sure: list[Line] = field(default_factory=list)
    similar: list[Line] = field(default_factory=list)  # the teacher ticks those that are right
    unmatched: list[Participant] = field(default_factory=list)
    note: str = ""

    def share(self, line: Line) -> int:
        return round(100 * min(line.minutes, self.length) / self.length) if self.length else 0

    def status(self, line: Line) -> str:
        return Status.REMOTE if self.share(line) >= self.min_share else Status.ABSENT

    def reason(self, line: Line) -> str:
        return meeting_reason(round(min(line.minutes, self.length)), round(self.length))


SALT = "attendance.meeting-report"
PREVIEW_MAX_AGE = 3600  # the preview page's plan, signed: applied within the hour or read again


def sign(attendance: Attendance, result: Plan) -> str:
    """The plan as the preview page carries it to the apply (signed: the teacher cannot edit minutes)."""
    lines = {key: [[x.student_id, x.minutes, x.how] for x in getattr(result, key)] for key in ("sure", "similar")}
    data = {"a": str(attendance.pk), "p": result.product, "d": result.digest, "l": result.length}
    data |= {"m": result.min_share, "u": len(result.unmatched), **lines}
    return signing.dumps(data, salt=SALT, compress=True)


def unsign(attendance: Attendance, token: str) -> Plan:
    data = signing.loads(token, salt=SALT, max_age=PREVIEW_MAX_AGE)
    if data["a"] != str(attendance.pk):
        raise signing.BadSignature("another session's plan")
    result = Plan(product=data["p"], digest=data["d"], length=data["l"], min_share=data["m"])
    result.unmatched = [Participant(name="", email="", minutes=0.0)] * data["u"]
    for key in ("sure", "similar"):
        getattr(result, key).extend(Line(sid, "", "", minutes, [], how) for sid, minutes, how in data[key])
    return result


class AlreadyImported(Exception):
    """This very file was imported into the session before: nothing to do."""

    def __init__(self, earlier: MeetingImport):
        super().__init__(str(earlier))
        self.earlier = earlier


def _plain(text: str) -> str:
    """A name without accents or Turkish dotless i, folded: "IŞIL Yılmaz" and "isil yilmaz" compare equal."""
    folded = search_fold(text).replace("ı", "i")
    return " ".join("".join(c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c)).split())


def plan(attendance: Attendance, report: Report, data: bytes, min_share: int) -> Plan:
    """Match the report's participants to the course's students (by e-mail, by a school number in the name, by
    the name as the language compares it; a name alike only after accents are dropped, or one of its words
    missing, waits for the teacher's tick)."""
    digest = hashlib.sha256(data).hexdigest()
    earlier = MeetingImport.objects.filter(attendance=attendance, digest=digest).first()
    if earlier is not None:
        raise AlreadyImported(earlier)
    length = (attendance.ends_at - attendance.starts_at).total_seconds() / 60
    result = Plan(product=report.product, digest=digest, length=length, min_share=min_share, note=report.note)
    students = list(
        User.objects.enrolled_in(attendance.course_id).values_list("id", "school_number", "full_name", "email")
    )
    by_email = {email.lower(): s for s in students if (email := s[3])}
    by_number = {s[1].lower(): s for s in students}
    by_name: dict[str, list] = {}
    for s in students:
        by_name.setdefault(search_fold(s[2]), []).append(s)
    found: dict[int, Line] = {}
    for person in report.participants:
        student, how = _match(person, by_email, by_number, by_name, students)
        if student is None:
            result.unmatched.append(person)
            continue
        line = found.get(student[0])
        if line is None:
            line = found[student[0]] = Line(student[0], student[1], student[2], 0.0, [], how)
        elif how != "similar":
            line.how = how if line.how == "similar" else line.how
        line.minutes += person.minutes
        line.names.append(person.name or person.email)
    for line in sorted(found.values(), key=lambda line: search_fold(line.full_name)):
        line.share, line.becomes = result.share(line), result.status(line)
        (result.similar if line.how == "similar" else result.sure).append(line)
    return result


def _match(person: Participant, by_email, by_number, by_name, students):
    if person.email and person.email in by_email:
        return by_email[person.email], "email"
    for token in re.findall(r"[A-Za-z]?\d{3,}", person.name):
        if token.lower() in by_number:
            return by_number[token.lower()], "number"
    same = by_name.get(search_fold(person.name), [])
    if len(same) == 1:
        return same[0], "name"
    plain = _plain(re.sub(r"[A-Za-z]?\d{3,}|\(.*?\)", " ", person.name))
    words = set(plain.split())
    alike = [s for s in students if _plain(s[2]) == plain or (len(words) >= 2 and words <= set(_plain(s[2]).split()))]
    if len(alike) == 1:
        return alike[0], "similar"
    return None, ""


@transaction.atomic
def apply(attendance: Attendance, result: Plan, *, by, confirmed: set[int]) -> MeetingImport:
    """Write the plan: the sure matches and the similar ones the teacher ticked (by student id). A record of a
    student who checked in, was excused or was corrected by hand stays as it is."""
    attendance = Attendance.objects.select_for_update().get(pk=attendance.pk)
    if MeetingImport.objects.filter(attendance=attendance, digest=result.digest).exists():
        raise AlreadyImported(MeetingImport.objects.get(attendance=attendance, digest=result.digest))
    done = MeetingImport(
        attendance=attendance,
        imported_by=by,
        product=result.product,
        digest=result.digest,
        min_share=result.min_share,
        unmatched=len(result.unmatched) + sum(line.student_id not in confirmed for line in result.similar),
    )
    lines = [*result.sure, *(line for line in result.similar if line.student_id in confirmed)]
    records = {
        r.student_id: r
        for r in AttendanceRecord.objects.alive().filter(
            attendance=attendance, student_id__in=[line.student_id for line in lines]
        )
    }
    students = User.objects.in_bulk([line.student_id for line in lines if line.student_id not in records])
    for line in lines:
        status, reason = result.status(line), result.reason(line)
        record = records.get(line.student_id)
        if record is not None and (record.status not in CHANGEABLE and record.source != Source.MEETING):
            done.unchanged += 1
            continue
        if record is not None and (record.status, record.fail_reason) == (status, reason):
            done.unchanged += 1
            continue
        if record is None:
            corrections.record_add(
                attendance=attendance,
                by=by,
                student=students[line.student_id],
                status=status,
                reason=reason,
                source=Source.MEETING,
            )
        else:
            corrections.record_change_status(record=record, by=by, status=status, reason=reason, source=Source.MEETING)
        if status == Status.REMOTE:
            done.remote += 1
        else:
            done.absent += 1
    done.save()
    return done
