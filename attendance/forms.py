from datetime import timedelta

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from . import clock
from .access import teacher_courses
from .models import Attendance, Course, Status, TimetableSlot
from .photos import images

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
# Also keeps start + duration away from the end of the calendar (year 9999).
MAX_AHEAD = timedelta(days=366)


class PositionFields(forms.Form):
    latitude = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    longitude = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)

    def position(self):
        lat, lon = self.cleaned_data.get("latitude"), self.cleaned_data.get("longitude")
        return (lat, lon) if lat is not None and lon is not None else None


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
    admit_remote = forms.BooleanField(
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
        self.fields["course"].queryset = teacher_courses(teacher)

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
        return name or f"{course.title} — {formats.date_format(clock.localdate(), 'j M Y')}"

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


class CodeForm(PositionFields):
    code = forms.CharField(
        max_length=6,
        min_length=6,
        validators=[RegexValidator(r"^\d{6}$", _("The code has 6 digits."))],
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "pattern": "[0-9]*", "autocomplete": "one-time-code", "autofocus": True}
        ),
        label=_("Code on the screen"),
    )


class ConfirmForm(PositionFields):
    """The QR/tap/code confirmation: the position, and a selfie, if the session asks for them."""

    photo = forms.FileField(
        required=False,
        label=_("Your selfie"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "user"}),
    )

    def __init__(self, *args, photo_check: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.photo_check = photo_check
        if not photo_check:
            del self.fields["photo"]

    def clean_photo(self):
        upload = self.cleaned_data.get("photo")
        if upload is None:
            raise forms.ValidationError(_("Take a selfie (or choose a photo of your face) to check in."))
        if upload.size > settings.PHOTO_MAX_BYTES:
            raise forms.ValidationError(
                _("The photo is larger than %(mb)s MB: take it again."),
                params={"mb": settings.PHOTO_MAX_BYTES // 1024 // 1024},
            )
        try:
            return images.clean(upload.read())
        except images.PhotoRefused as exc:
            raise forms.ValidationError(str(exc)) from None


class ExtendForm(forms.Form):
    minutes = forms.IntegerField(min_value=-120, max_value=240, label=_("Move the end by (minutes)"))


class AddStudentForm(forms.Form):
    school_number = forms.CharField(max_length=32, label=_("School number"))
    full_name = forms.CharField(max_length=150, required=False, label=_("Full name (if they have no account yet)"))

    def clean_school_number(self):
        return self.cleaned_data["school_number"].strip()


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=255, label=_("Reason"))


CORRECTABLE = [(s.value, s.label) for s in Status if s != Status.PENDING]


class ChangeStatusForm(forms.Form):
    status = forms.ChoiceField(choices=CORRECTABLE, label=_("New status"))
    reason = forms.CharField(max_length=255, label=_("Reason (required)"))


class AddRecordForm(forms.Form):
    school_number = forms.CharField(max_length=32, label=_("School number"))
    status = forms.ChoiceField(choices=CORRECTABLE, initial=Status.PRESENT, label=_("Status"))
    reason = forms.CharField(max_length=255, label=_("Reason (required)"))

    def clean_school_number(self):
        from django.contrib.auth import get_user_model

        number = self.cleaned_data["school_number"].strip()
        student = get_user_model().objects.filter(school_number=number).first()
        if student is None:
            raise forms.ValidationError(_("No account has this school number."))
        self.cleaned_data["student"] = student
        return number


class PolicyForm(forms.ModelForm):
    class Meta:
        model = Course
        fields = [
            "rate_policy",
            "planned_sessions",
            "excused_counts_as_present",
            "photo_check_default",
            "remote_weight",
            "warning_rule",
        ]
        labels = {
            "rate_policy": _("Counting policy"),
            "planned_sessions": _("Planned sessions this term"),
            "excused_counts_as_present": _("Excused counts as present (otherwise left out)"),
            "warning_rule": _("Warn students by e-mail"),
            "remote_weight": _("A remote attendance counts as (% of a present one)"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warning_rule"].required = False  # left out: unchanged
        self.fields["remote_weight"].required = False

    def clean_warning_rule(self):
        return self.cleaned_data.get("warning_rule") or self.instance.warning_rule

    def clean_remote_weight(self):
        weight = self.cleaned_data.get("remote_weight")
        return self.instance.remote_weight if weight is None else weight

    def clean(self):
        data = super().clean()
        if data.get("rate_policy") == "term" and not data.get("planned_sessions"):
            self.add_error("planned_sessions", _("The term policy needs the number of planned sessions."))
        return data


class ExcuseRequestForm(forms.Form):
    course = forms.ModelChoiceField(queryset=None, label=_("Course"))
    first_day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label=_("First day"))
    last_day = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        label=_("Last day"),
        help_text=_("Empty: only the first day."),
    )
    reason = forms.CharField(max_length=255, label=_("Reason"))
    attachment = forms.FileField(
        required=False,
        label=_("Document (optional)"),
        help_text=_("A PDF, JPEG or PNG, such as a doctor's note; your teacher sees it."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,image/jpeg,image/png"}),
    )

    def __init__(self, *args, student, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = Course.objects.filter(enrollments__student=student).order_by("code")

    def clean(self):
        data = super().clean()
        if data.get("first_day") and not data.get("last_day"):
            data["last_day"] = data["first_day"]
        return data


class SlotForm(forms.ModelForm):
    """A weekly slot of a course's timetable (the session's checks as on the start form)."""

    class Meta:
        model = TimetableSlot
        fields = [
            "weekday",
            "starts",
            "duration_minutes",
            "room",
            "first_day",
            "last_day",
            "require_code",
            "network_mode",
            "one_device_per_student",
            "photo_check",
            "admits_remote",
        ]
        widgets = {
            "starts": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "first_day": forms.DateInput(attrs={"type": "date"}),
            "last_day": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A session that opens by itself has no teacher's address to compare with.
        self.fields["network_mode"].choices = [
            (value, label) for value, label in Attendance.NetworkMode.choices if value != Attendance.NetworkMode.SAME
        ]
        self.fields["duration_minutes"].validators.append(MinValueValidator(5))
        self.fields["duration_minutes"].validators.append(MaxValueValidator(600))

    def clean(self):
        data = super().clean()
        if data.get("first_day") and data.get("last_day") and data["last_day"] < data["first_day"]:
            self.add_error("last_day", _("The last day comes before the first."))
        return data


class TimetableImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file (weekday, start, duration, room)"))
    first_day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label=_("From"))
    last_day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label=_("Until"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 256 * 1024:
            raise forms.ValidationError(_("A timetable file is at most 256 KB."))
        data = upload.read()
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return data.decode("cp1254")


class NoClassDayForm(forms.Form):
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label=_("Day"))
    reason = forms.CharField(max_length=120, label=_("Reason"))
