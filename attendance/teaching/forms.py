"""The teacher's live-session forms: start a session, move its end, add a student."""

from datetime import timedelta

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .. import clock
from ..access import teacher_courses
from ..forms import PositionFields, no_control_characters
from ..models import Attendance

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
MAX_AHEAD = clock.HORIZON


MAX_DEFAULTS_SHOWN = 8


def _late_help(courses: list) -> str:
    """ "Empty: the course's default", saying what each default is."""
    defaults = ", ".join(f"{code} {late}" for code, late in courses)
    without = settings.LATE_THRESHOLD_MINUTES
    if not defaults:
        return _("Empty: %(n)s minutes.") % {"n": without}
    return _("Empty: the course's default in minutes (%(defaults)s; %(n)s without a course).") % {
        "defaults": defaults,
        "n": without,
    }


class StartSessionForm(PositionFields):
    course = forms.ModelChoiceField(queryset=None, required=False, empty_label=_("— ad-hoc class (no course) —"))
    lesson_name = forms.CharField(
        max_length=200, required=False, help_text=_("Up to 200 characters. Empty: the course title and the date.")
    )
    start_later = forms.BooleanField(required=False, label=_("Start later"))
    starts_at = forms.DateTimeField(
        required=False,
        input_formats=[DATETIME_LOCAL],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        label=_("Starts at"),
    )
    duration_minutes = forms.IntegerField(
        min_value=5, max_value=600, initial=90, required=False, label=_("Duration (minutes)")
    )
    ends_at = forms.DateTimeField(
        required=False,
        input_formats=[DATETIME_LOCAL],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        label=_("Or ends at"),
        help_text=_("Overrides the duration."),
    )
    require_code = forms.BooleanField(required=False, initial=True, label=_("Rotating code (shown on the projector)"))
    network_mode = forms.ChoiceField(choices=Attendance.NetworkMode.choices, initial="off", label=_("Network check"))
    use_location = forms.BooleanField(required=False, label=_("Check the students' location"))
    location_radius_m = forms.IntegerField(min_value=10, max_value=5000, initial=100, label=_("Radius (metres)"))
    one_device_per_student = forms.BooleanField(required=False, initial=True, label=_("One device per student"))
    photo_check = forms.ChoiceField(
        choices=[("", _("The course's default")), ("on", _("Ask for a selfie")), ("off", _("No photo"))],
        required=False,
        label=_("Photo check"),
        help_text=_("A selfie matched against the student's reference photo, in the background."),
    )
    admits_remote = forms.BooleanField(
        required=False,
        label=_("Admit remote students"),
        help_text=_("A link for the video call, shown only to you: it checks in as present (remote)."),
    )
    late_threshold_minutes = forms.IntegerField(
        min_value=0,
        max_value=240,
        required=False,
        label=_("Late after (minutes)"),
        help_text=_("Empty: the course's default."),
    )

    def __init__(self, *args, teacher, **kwargs):
        super().__init__(*args, **kwargs)
        courses = teacher_courses(teacher)
        self.fields["course"].queryset = courses
        listed = list(courses.values_list("code", "late_threshold_minutes")[:MAX_DEFAULTS_SHOWN])
        self.fields["late_threshold_minutes"].help_text = _late_help(listed)
        if not courses.filter(allowed_networks__len__gt=0).exists():
            # Only administrators set a course's networks: none of this teacher's courses has any.
            self.fields["network_mode"].choices = [
                choice for choice in Attendance.NetworkMode.choices if choice[0] != Attendance.NetworkMode.CIDR
            ]

    def clean(self):
        data = super().clean()
        course = data.get("course")
        if not course and not data.get("lesson_name"):
            self.add_error("lesson_name", _("Name the lesson when it belongs to no course."))
        if not data.get("ends_at") and not data.get("duration_minutes") and not self.errors.get("duration_minutes"):
            self.add_error("duration_minutes", _("Give a duration, or the time the session ends."))
        if data.get("start_later") and not data.get("starts_at"):
            self.add_error("starts_at", _("Choose when the session starts."))
        elif data.get("start_later") and data["starts_at"] > clock.now_datetime() + MAX_AHEAD:
            self.add_error("starts_at", _("Start a session at most a year ahead."))
        elif data.get("start_later") and data.get("duration_minutes"):
            starts, ends = self.session_times()
            if ends <= clock.now_datetime():
                self.add_error("starts_at", _("A session starting then would already be over; choose a later time."))
        if data.get("ends_at") and not self.errors.get("starts_at"):
            starts, ends = self.session_times()
            if not timedelta(minutes=5) <= ends - starts <= timedelta(hours=10):
                self.add_error("ends_at", _("The session must last between 5 minutes and 10 hours."))
        if data.get("network_mode") == "cidr" and not (course and course.allowed_networks):
            self.add_error("network_mode", _("This course has no allowed networks; choose another network check."))
        if data.get("use_location") and self.position() is None:
            self.add_error(
                "use_location", _("Your browser did not share its location. Allow it, or turn this check off.")
            )
        return data

    def session_times(self):
        data = self.cleaned_data
        starts = data["starts_at"] if data.get("start_later") else clock.now_datetime()
        if data.get("ends_at"):
            return starts, data["ends_at"]
        return starts, starts + timedelta(minutes=data["duration_minutes"])

    def lesson(self) -> str:
        course = self.cleaned_data.get("course")
        name = self.cleaned_data.get("lesson_name")
        return name or Attendance.default_lesson_name(course.title, clock.localdate())

    def wants_photo_check(self) -> bool:
        choice = self.cleaned_data.get("photo_check")
        if choice:
            return choice == "on"
        course = self.cleaned_data.get("course")
        return bool(course and course.photo_check_default)

    def late_threshold(self) -> int:
        value = self.cleaned_data.get("late_threshold_minutes")
        if value is not None:
            return value
        course = self.cleaned_data.get("course")
        return course.late_threshold_minutes if course else settings.LATE_THRESHOLD_MINUTES


class ExtendForm(forms.Form):
    minutes = forms.IntegerField(min_value=-120, max_value=240, label=_("Move the end by (minutes)"))


class BulkMarkForm(forms.Form):
    """The live roster's bulk marking: the ticked students, or everyone not checked in."""

    numbers = forms.MultipleChoiceField(required=False, choices=())
    everyone_missing = forms.BooleanField(required=False, label=_("Everyone not checked in"))
    action = forms.ChoiceField(
        choices=[
            ("accept", _("Present")),
            ("excuse", _("Excused")),
            ("reject", _("Rejected")),
            ("remove", _("Absent (take the check-in out)")),
        ],
        label=_("Mark them"),
    )
    reason = forms.CharField(max_length=255, label=_("Reason (required)"), validators=[no_control_characters])

    def __init__(self, *args, numbers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["numbers"].choices = [(n, n) for n in numbers]

    def clean(self):
        data = super().clean()
        if not data.get("numbers") and not data.get("everyone_missing"):
            raise forms.ValidationError(_("Tick the students to mark, or everyone not checked in."))
        return data


class SpotCheckForm(forms.Form):
    size = forms.IntegerField(min_value=1, max_value=50, label=_("Students to draw"))


class AddStudentForm(forms.Form):
    school_number = forms.CharField(max_length=32, label=_("School number"), validators=[no_control_characters])
    full_name = forms.CharField(
        max_length=150,
        required=False,
        label=_("Full name (if they have no account yet)"),
        validators=[no_control_characters],
    )
    add_anyway = forms.BooleanField(required=False, label=_("Not enrolled: add anyway"))

    def clean_school_number(self):
        return self.cleaned_data["school_number"].strip()
