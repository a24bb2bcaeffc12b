"""Template filters for the large tables: a course report is 500 students × 60 sessions.

Rendering each cell through the template engine costs some 40 µs (30,000
cells: over a second); a status is one of a few fixed values, so each cell's
HTML is a constant looked up here.
"""

from django import template
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, gettext_noop, pgettext

from .. import reasons
from ..models import Status
from ..photos import liveness, verify
from ..reasons import flag_words

register = template.Library()

_EMPTY = "<td>—</td>"
_cells: dict[str, dict[str, SafeString]] = {}


def _cells_for_language() -> dict[str, SafeString]:
    """Each status's cell in the current language: the first letter of its label (P/L/E/A/R, V/G/İ/Y/R)."""
    language = get_language() or ""
    if language not in _cells:
        # 30,000 cells: each byte counts (a badge in a span with a title was twice the page).
        letters = {s.value: str(s.label)[0].upper() for s in Status}
        letters[Status.REMOTE] = pgettext("report cell of a remote attendance", "O")  # "P" is present's
        _cells[language] = {s: format_html('<td class="m {}">{}</td>', s, letter) for s, letter in letters.items()}
    return _cells[language]


@register.filter
def mark_cells(marks: list[str | None]) -> SafeString:
    """A row of the report's matrix: one ``<td>`` per session, from each status."""
    cells = _cells_for_language()
    return mark_safe("".join(cells.get(mark, _EMPTY) if mark else _EMPTY for mark in marks))  # noqa: S308 - constants


@register.filter
def translate_reason(reason: str) -> str:
    """A record's reason in the reader's language: the system's own reasons are stored in English
    (gettext_noop) and have a translation; a teacher's typed reason has none and shows as typed."""
    return reasons.translate(reason)


_options: dict[tuple[str, str], SafeString] = {}


@register.filter
def status_options(current: str, hybrid: bool = True) -> SafeString:
    """The ``<option>`` list of a record's status select, ``current`` selected (the same few strings, built once);
    "present (remote)" only in a hybrid session."""
    from ..history.forms import status_choices

    key = (current, get_language() or "", hybrid)
    if key not in _options:
        _options[key] = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (value, mark_safe(" selected") if value == current else "", label)  # noqa: S308 - a constant
                for value, label in status_choices(hybrid or current == "remote")
            ),
        )
    return _options[key]


@register.simple_tag(takes_context=True)
def record_rows(context, records, records_url: str) -> SafeString:
    """The session page's rows, each with its two correction forms (up to 500 rows on a lecture's page).

    The same HTML the template loop gave, built here: through the template
    engine each row cost some 400 µs (its fields, two CSRF tokens, two forms).
    """
    token = get_token(context["request"])
    row = _record_row()
    hybrid = context["attendance"].admits_remote
    return format_html_join("\n", row, (_record_row_args(r, records_url, token, hybrid) for r in records))


_rows: dict[str, str] = {}


def _record_row() -> str:
    """A session page row's HTML in the current language (its words filled in once per language)."""
    language = get_language() or ""
    if language not in _rows:
        words = {
            key: conditional_escape(gettext(text)).replace("{", "{{").replace("}", "}}")
            for key, text in {
                "new_status": gettext_noop("New status"),
                "reason": gettext_noop("Reason"),
                "reason_hint": gettext_noop("reason"),
                "change": gettext_noop("Change"),
                "reason_removing": gettext_noop("Reason for removing"),
                "remove": gettext_noop("Remove"),
            }.items()
        }
        _rows[language] = (
            '<tr id="record-{{number}}"><td><input type="checkbox" name="records" value="{{id}}" form="bulk-form"'
            ' id="pick-{{id}}" class="pick"><label for="pick-{{id}}">{{name}}</label><br>'
            '<span class="help">{{number}}</span></td>'
            '<td><span class="badge {{status}}">{{status_label}}</span>{{flags}}</td>'
            '<td class="opt">{{at}}</td><td class="opt">{{source}}</td><td>{{reason}}</td>'
            '<td class="actions"><form method="post" action="{{url}}{{id}}/change/">{{csrf}}'
            '<label for="st-{{id}}" class="vh">{new_status}</label>'
            '<select id="st-{{id}}" name="status">{{options}}</select>'
            '<label for="rs-{{id}}" class="vh">{reason}</label>'
            '<input type="text" id="rs-{{id}}" name="reason" placeholder="{reason_hint}" required maxlength="255">'
            '<button class="small" type="submit">{change}</button></form>'
            '<form method="post" action="{{url}}{{id}}/remove/">{{csrf}}'
            '<label for="rm-{{id}}" class="vh">{reason_removing}</label>'
            '<input type="text" id="rm-{{id}}" name="reason" placeholder="{reason_hint}" required maxlength="255">'
            '<button class="small secondary" type="submit">{remove}</button></form></td></tr>'
        ).format(**words)
    return _rows[language]


def _reason_cell(record) -> str:
    """The reason, then the rejected attempts the check-in replaced (escaped: the row is formatted text)."""
    lines = [translate_reason(record.fail_reason), *reasons.earlier_attempts(record.earlier)]
    return format_html_join(format_html("<br>"), "{}", ((line,) for line in lines if line))


def _record_row_args(record, records_url: str, token: str, hybrid: bool = True) -> dict:
    words = ", ".join(flag_words(record.flags))
    # SafeString(""): "" + a SafeString is a plain str, which the row would escape.
    flags = format_html(' <span class="flag">⚑ {}</span>', words) if record.flags else SafeString("")
    if record.photo_result:
        text = verify.photo_text(record.photo_result, record.photo_distance)
        if record.photo:
            link = reverse("attendance:check_in_photo", args=[record.attendance_id, record.student.school_number])
            flags += format_html(
                '<br><span class="photo-state">{}</span> · <a href="{}">{}</a>', text, link, gettext("see photo")
            )
        else:
            flags += format_html('<br><span class="photo-state">{}</span>', text)
        if live := liveness.live_text(record.challenge, record.live_result):
            flags += format_html('<br><span class="live-state">{}</span>', live)
    at = timezone.localtime(record.checked_in_at).strftime("%H:%M:%S") if record.checked_in_at else "—"
    return {
        "number": record.student.school_number,
        "name": record.student.full_name,
        "status": record.status,
        "status_label": record.get_status_display(),
        "flags": flags,
        "at": at,
        "source": record.get_source_display(),
        "reason": _reason_cell(record),
        "url": records_url,
        "id": record.pk,
        "csrf": format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token),
        "options": status_options(record.status, hybrid),
    }


@register.filter
def status_label(status: str) -> str:
    """A status in words, in the reader's language ("present" → "Present" / "Var")."""
    return str(Status(status).label) if status in Status.values else status


@register.filter
def status_word(status: str) -> str:
    """A status as a word inside a sentence ("present" / "var"), lowered the language's way (İ → i, I → ı)."""
    label = status_label(status)
    if (get_language() or "").startswith("tr"):
        label = label.replace("İ", "i").replace("I", "ı")
    return label.lower()


@register.filter
def flag_list(flags) -> str:
    """A record's flags as a teacher says them, in the reader's language."""
    return ", ".join(flag_words(flags or ()))
