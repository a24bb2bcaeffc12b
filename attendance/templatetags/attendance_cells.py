"""Template filters for the large tables: a course report is 500 students × 60 sessions.

Rendering each cell through the template engine costs some 40 µs (30,000
cells: over a second); a status is one of a few fixed values, so each cell's
HTML is a constant looked up here.
"""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from ..models import Status

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
