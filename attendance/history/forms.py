"""Corrections of saved sessions and the course's counting policy."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import Course, Status

CORRECTABLE = [(s.value, s.label) for s in Status if s != Status.PENDING]


def status_choices(hybrid: bool) -> list[tuple[str, str]]:
    """The statuses a teacher may set: "present (remote)" only in a session that admitted remote students."""
    return CORRECTABLE if hybrid else [(value, label) for value, label in CORRECTABLE if value != Status.REMOTE]


class HybridChoices:
    def __init__(self, *args, hybrid: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = status_choices(hybrid)


class ChangeStatusForm(HybridChoices, forms.Form):
    status = forms.ChoiceField(choices=CORRECTABLE, label=_("New status"))
    reason = forms.CharField(max_length=255, label=_("Reason (required)"))


class BulkChangeForm(HybridChoices, forms.Form):
    """Several records of a saved session marked at once: the ticked ones, or everyone the sweep found absent."""

    records = forms.TypedMultipleChoiceField(coerce=int, required=False, choices=())
    everyone_absent = forms.BooleanField(required=False, label=_("Everyone absent (not checked in)"))
    status = forms.ChoiceField(choices=CORRECTABLE, label=_("Mark them"))
    reason = forms.CharField(max_length=255, label=_("Reason (required)"))

    def __init__(self, *args, record_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["records"].choices = [(i, i) for i in record_ids]

    def clean(self):
        data = super().clean()
        if not data.get("records") and not data.get("everyone_absent"):
            raise forms.ValidationError(_("Tick the students to mark, or everyone absent."))
        return data


class AddRecordForm(HybridChoices, forms.Form):
    school_number = forms.CharField(max_length=32, label=_("School number"))
    status = forms.ChoiceField(choices=CORRECTABLE, initial=Status.PRESENT, label=_("Status"))
    reason = forms.CharField(max_length=255, label=_("Reason (required)"))
    add_anyway = forms.BooleanField(required=False, label=_("Not enrolled: add anyway"))

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
            "absences_in_a_row",
            "appeal_days",
            "meeting_min_share",
        ]
        labels = {
            "rate_policy": _("Counting policy"),
            "planned_sessions": _("Planned sessions this term"),
            "excused_counts_as_present": _("Excused counts as present (otherwise left out)"),
            "warning_rule": _("Warn students by e-mail"),
            "remote_weight": _("A remote attendance counts as (% of a present one)"),
            "absences_in_a_row": _("Also warn after this many absences in a row (0: never)"),
            "appeal_days": _("Students may appeal a record for this many days"),
            "meeting_min_share": _("Online meeting reports: present (remote) from this share of the session (%)"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warning_rule"].required = False  # left out: unchanged
        self.fields["remote_weight"].required = False
        self.fields["remote_weight"].max_value = 100
        self.fields["remote_weight"].widget.attrs.update(min=0, max=100)
        self.fields["planned_sessions"].widget.attrs.update(min=1)
        # Settings of round three: left out of a post, unchanged (as the remote weight).
        for name, top in (("absences_in_a_row", 50), ("appeal_days", 365), ("meeting_min_share", 100)):
            self.fields[name].required = False
            self.fields[name].widget.attrs.update(min=0, max=top)

    def _kept(self, name: str):
        value = self.cleaned_data.get(name)
        return getattr(self.instance, name) if value is None else value

    def clean_absences_in_a_row(self):
        return self._kept("absences_in_a_row")

    def clean_appeal_days(self):
        return self._kept("appeal_days")

    def clean_meeting_min_share(self):
        return self._kept("meeting_min_share")

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
