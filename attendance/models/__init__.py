"""The attendance app's models, one module per concern; import them from here."""

from .courses import Course, CourseQuerySet, Enrollment, validate_network
from .excuses import ExcuseRequest
from .meetings import MeetingImport
from .operations import SweepRun, sweep_summary
from .photos import ReferencePhoto, ReferenceState, ReferenceUpload, VerificationCallback
from .sessions import (
    APPEALABLE,
    ATTENDED,
    Attendance,
    AttendanceQuerySet,
    AttendanceRecord,
    RecordChange,
    SoftDeleteFields,
    SoftDeleteQuerySet,
    Source,
    Status,
    rejection_reason,
)
from .timetables import NoClassDay, SlotOpening, TimetableSlot
from .warnings import AttendanceWarning

__all__ = [
    "APPEALABLE",
    "ATTENDED",
    "Attendance",
    "AttendanceQuerySet",
    "AttendanceRecord",
    "AttendanceWarning",
    "Course",
    "CourseQuerySet",
    "Enrollment",
    "ExcuseRequest",
    "MeetingImport",
    "NoClassDay",
    "RecordChange",
    "ReferencePhoto",
    "ReferenceState",
    "ReferenceUpload",
    "SlotOpening",
    "SoftDeleteFields",
    "SoftDeleteQuerySet",
    "Source",
    "Status",
    "SweepRun",
    "TimetableSlot",
    "VerificationCallback",
    "rejection_reason",
    "sweep_summary",
    "validate_network",
]
