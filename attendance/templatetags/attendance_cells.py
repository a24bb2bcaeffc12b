"""Template filters for the large tables: a course report is 500 students × 60 sessions.

Rendering each cell through the template engine costs some 40 µs (30,000
cells: over a second); a status is one of a few fixed values, so each cell's
HTML is a constant looked up here.
"""

from django import template
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from ..models import Status
from ..photos import verify

register = template.Library()

# 30,000 cells: each byte counts (a badge in a span with a title was twice the page).
_CELLS = {status: format_html('<td class="m {}">{}</td>', status, status[0].upper()) for status in Status.values}
_EMPTY = "<td>—</td>"


@register.filter
def mark_cells(marks: list[str | None]) -> SafeString:
    """A row of the report's matrix: one ``<td>`` per session, from each status."""
    return mark_safe("".join(_CELLS.get(mark, _EMPTY) if mark else _EMPTY for mark in marks))  # noqa: S308 - constants


_options: dict[tuple[str, str], SafeString] = {}


@register.filter
def status_options(current: str) -> SafeString:
    """The ``<option>`` list of a record's status select, ``current`` selected (the same few strings, built once)."""
    from django.utils.translation import get_language

    from ..forms import ChangeStatusForm

    key = (current, get_language() or "")
    if key not in _options:
        _options[key] = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (value, mark_safe(" selected") if value == current else "", label)  # noqa: S308 - a constant
                for value, label in ChangeStatusForm.base_fields["status"].choices
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
    return format_html_join("\n", _RECORD_ROW, (_record_row_args(r, records_url, token) for r in records))


_RECORD_ROW = (
    '<tr id="record-{number}"><td>{name}<br><span class="help">{number}</span></td>'
    '<td><span class="badge {status}">{status_label}</span>{flags}</td>'
    '<td class="opt">{at}</td><td class="opt">{source}</td><td>{reason}</td>'
    '<td class="actions"><form method="post" action="{url}{id}/change/">{csrf}'
    '<label for="st-{id}" class="vh">New status</label><select id="st-{id}" name="status">{options}</select>'
    '<label for="rs-{id}" class="vh">Reason</label>'
    '<input type="text" id="rs-{id}" name="reason" placeholder="reason" required maxlength="255">'
    '<button class="small" type="submit">Change</button></form>'
    '<form method="post" action="{url}{id}/remove/">{csrf}'
    '<label for="rm-{id}" class="vh">Reason for removing</label>'
    '<input type="text" id="rm-{id}" name="reason" placeholder="reason" required maxlength="255">'
    '<button class="small secondary" type="submit">Remove</button></form></td></tr>'
)


def _record_row_args(record, records_url: str, token: str) -> dict:
    flags = format_html(' <span class="flag">⚑ {}</span>', ", ".join(record.flags)) if record.flags else ""
    if record.photo_result:
        text = verify.photo_text(record.photo_result, record.photo_distance)
        if record.photo:
            link = reverse("attendance:check_in_photo", args=[record.attendance_id, record.student.school_number])
            flags += format_html('<br><span class="photo-state">{}</span> · <a href="{}">see photo</a>', text, link)
        else:
            flags += format_html('<br><span class="photo-state">{}</span>', text)
    at = timezone.localtime(record.checked_in_at).strftime("%H:%M:%S") if record.checked_in_at else "—"
    return {
        "number": record.student.school_number,
        "name": record.student.full_name,
        "status": record.status,
        "status_label": record.get_status_display(),
        "flags": flags,
        "at": at,
        "source": record.get_source_display(),
        "reason": record.fail_reason,
        "url": records_url,
        "id": record.pk,
        "csrf": format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token),
        "options": status_options(record.status),
    }
