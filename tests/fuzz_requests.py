"""What the fuzz test sends: hostile values, and four kinds of request built from the URLconf, the forms and
the crawl (tests/fuzz_crawl.py); and the kinds of request the audit of issue 26 found as 500s."""

from __future__ import annotations

import datetime
import inspect
import time
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from urllib.parse import parse_qsl, quote, unquote

from django import forms as django_forms
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from hypothesis import strategies as st

from accounts import forms as account_forms
from attendance import forms as shared_forms
from attendance.checkin import forms as check_in_forms
from attendance.excuses import forms as excuse_forms
from attendance.history import forms as history_forms
from attendance.photos import external
from attendance.teaching import forms as teaching_forms
from attendance.timetables import forms as timetable_forms
from tests.fuzz_crawl import Link

HOSTILE = [
    "",
    " ",
    "0",
    "-1",
    "-9223372036854775809",
    "9223372036854775808",
    "1" * 400,
    "²",
    "١٢٣٤٥٦",
    "１２３４５６",
    "\x00",
    "abc\x00def",
    "\x0b\x1b[31m",
    "\u202eevil\u202c",
    "x" * 10_000,
    "9999-12-31T23:59",
    "0001-01-01T00:00",
    "9999-12-31",
    "0000-00-00",
    "NaN",
    "inf",
    "-inf",
    "1e309",
    "not-a-uuid",
    "00000000-0000-0000-0000-00000000000g",
    "10.0.0.0/33",
    "::1/129",
    "=1+1",
    "<script>alert(1)</script>",
    "'; DROP TABLE attendance_attendance; --",
    "../../etc/passwd",
    "on",
    "true",
    "present",
    "rejected",
    "%",
    "{}",
    "[]",
]
hostile_text = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40), st.integers().map(str))
# What an address (a path segment or a query value) may carry: NUL and text that is not ASCII above all.
ADDRESS_NUL = ["\x00", "S9001\x00", "a\x00b", "FZ101\x00"]
ADDRESS_HOSTILE = ["é", "é" * 24, "sha256=é", "İı", "\u202e", "日本", "%", "..", "-1"]
address_text = st.one_of(st.sampled_from(ADDRESS_NUL), st.sampled_from(ADDRESS_HOSTILE), hostile_text.filter(bool))
# By an input's type: the dates at the calendar's end (year 9999 overflows date arithmetic) and beyond.
TYPED_HOSTILE = {
    "date": st.one_of(
        st.sampled_from(["9999-12-31", "2700-01-01"]),  # the calendar's end: valid dates that overflow
        st.sampled_from(["0001-01-01", "10000-01-01", "2026-02-30", "1900-01-01"]),
        st.dates().map(str),
    ),
    "datetime-local": st.one_of(
        st.sampled_from(["9999-12-31T23:59", "2700-01-01T00:00", "0001-01-01T00:00", "2026-13-01T00:00"]),
        st.datetimes().map(lambda moment: moment.strftime("%Y-%m-%dT%H:%M")),
    ),
    "time": st.sampled_from(["24:00", "23:59:60", "99:99", "-1:00", "00:00"]),
    "number": st.one_of(st.sampled_from(["1e309", "NaN", "-0", "2147483648"]), st.integers().map(str)),
}
ROLES = ["anonymous", "student", "teacher", "staff"]
QUERY_KEYS = ["course", "from", "to", "page", "q", "format", "o", "p"]


@dataclass(frozen=True)
class Request:
    role: str
    method: str
    path: str
    data: dict = dataclass_field(default_factory=dict)
    query: dict = dataclass_field(default_factory=dict)
    headers: dict = dataclass_field(default_factory=dict)
    body: bytes | None = None


def _patterns(resolver=None, prefix="", admin=False):
    """Every (route, converters) of the project's apps, and of Django's admin when asked."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin" and not admin:
                continue
            yield from _patterns(entry, prefix + str(entry.pattern), admin)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.pattern.converters


ROUTES = [(route, converters) for route, converters in _patterns() if converters]
# Where the crawl starts: every page without a parameter, the admin's too (it finds the rest by links).
SEEDS = ["/" + route for route, _ in _patterns(admin=True) if not any(mark in route for mark in "<(^$")]
# Addresses with a query no page links to, that people are told to type (the sheet's docstring, the README).
SEEDS.append("/admin/accounts/user/invitations/?without_password=1&course=FZ101")


def _form_fields() -> list[str]:
    names = set()
    form_modules = (shared_forms, check_in_forms, teaching_forms, history_forms, excuse_forms, timetable_forms)
    for module in (*form_modules, account_forms):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, django_forms.BaseForm) and cls.__module__ == module.__name__:
                names.update(cls.base_fields)
    return sorted(names)


FIELDS = _form_fields()


def _value_for(converter, world):
    kind = type(converter).__name__
    if kind == "UUIDConverter":
        return st.one_of(st.sampled_from(world["uuids"]), st.uuids().map(str))
    if kind == "IntConverter":
        return st.one_of(st.sampled_from(world["ints"]), st.integers(min_value=0, max_value=2**80).map(str))
    valid = st.sampled_from(world["texts"])
    return st.one_of(valid, address_text, st.tuples(valid, address_text).map("".join)).map(
        lambda value: quote(value, safe="")
    )


@st.composite
def route_requests(draw, world):
    """Any URL with parameters, each parameter valid or hostile, with random fields and query."""
    route, converters = draw(st.sampled_from(ROUTES))
    path = route
    for name, converter in converters.items():
        value = draw(_value_for(converter, world))
        path = path.replace(f"<{_converter_name(route, name)}:{name}>", value, 1).replace(f"<{name}>", value, 1)
    data = draw(st.dictionaries(st.sampled_from(FIELDS), hostile_text, max_size=8))
    query = draw(st.dictionaries(st.sampled_from(world["query_keys"]), address_text, max_size=3))
    return Request(draw(st.sampled_from(ROLES)), draw(st.sampled_from(["get", "post"])), "/" + path, data, query)


@st.composite
def link_requests(draw, world):
    """A link some page shows (a filter, a photo, a roster action), with one segment or query value hostile."""
    # A view first, then one of its links: the admin's 80 views, with a filter link for each field, take a third.
    # Of the admin's views, those that take a query (the filtered lists, the invitation sheet) half the time.
    site, admin = st.sampled_from(world["site_links"]), st.sampled_from(world["admin_links"])
    queried = st.sampled_from([views for views in world["admin_links"] if any(link.query for link in views)])
    link = draw(st.sampled_from(draw(st.one_of(site, site, site, site, admin, queried))))
    role = draw(st.sampled_from([link.role, link.role, *ROLES]))
    path, query = link.path, dict(link.query)
    where = draw(st.sampled_from(["path", "query", "query", "new key"] if query else ["path", "new key"]))
    if where == "path":
        path = draw(_mutated_path(path, hostile=True))
    elif where == "query":
        query[draw(st.sampled_from(sorted(query)))] = draw(address_text)
    else:
        common, seen = st.sampled_from(QUERY_KEYS), st.sampled_from(world["query_keys"])
        query[draw(st.one_of(common, seen))] = draw(address_text)
    return Request(role, draw(st.sampled_from(["get", "get", "post"])), path, query=query)


@st.composite
def _mutated_path(draw, path: str, hostile: bool):
    """The path with one segment hostile, or an id in it moved to one of the next few: the objects the fuzz
    itself has made (an excuse it asked for, to decide on), which no page showed when the crawl ran."""
    segments = path.split("/")
    ids = [n for n, segment in enumerate(segments) if segment.isdigit()]
    if ids and draw(st.booleans()):
        n = draw(st.sampled_from(ids))
        segments[n] = str(int(segments[n]) + draw(st.integers(0, 5)))
    elif hostile and len(segments) > 2:
        segments[draw(st.integers(1, len(segments) - 2))] = quote(draw(address_text), safe="")
    return "/".join(segments)


def _hostile_for(field):
    typed = TYPED_HOSTILE.get(field.kind)
    hostile = st.one_of(typed, typed, typed, hostile_text) if typed is not None else hostile_text
    return st.one_of(st.sampled_from(field.options), hostile) if field.options else hostile


@st.composite
def form_requests(draw, world):
    """A form some page shows, filled as a person would, then one to three of its fields hostile."""
    # Half the time a form with a date in it: the calendar's end is where date arithmetic overflows.
    dated = [form for form in world["forms"] if any(field.kind.startswith("date") for field in form.fields)]
    form = draw(st.one_of(st.sampled_from(world["forms"]), st.sampled_from(dated)))
    role = draw(st.sampled_from([form.role, form.role, *ROLES]))
    data = {}
    for field in form.fields:
        value = _default_for(field)
        if value is not None and field.name not in data:
            data[field.name] = value
    by_name = {field.name: field for field in form.fields}
    for name in draw(st.lists(st.sampled_from(sorted(by_name)), min_size=1, max_size=3)) if by_name else []:
        field = by_name[name]
        data[name] = draw(_hostile_for(field))
    path, _, query = form.action.partition("?")
    path = draw(_mutated_path(path, hostile=False))
    query = dict(parse_qsl(query, keep_blank_values=True))
    if form.method == "get":
        return Request(role, "get", path, query={**query, **data})
    return Request(role, "post", path, data, query)


def _default_for(field):
    if field.kind == "file" and field.required:
        return SimpleUploadedFile("timetable.csv", b"Monday;09:00;90;B-204\n", content_type="text/csv")
    if field.default is not None or field.kind in ("checkbox", "radio", "submit", "hidden") or not field.required:
        return field.default  # an optional field left empty, as a person would (an excuse's last day)
    today = datetime.date.today()
    return {
        "date": today.isoformat(),
        "datetime-local": (datetime.datetime.now() + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "time": "09:00",
        "number": "60",
        "email": "fuzz@example.com",
    }.get(field.kind, "Fuzz")


@st.composite
def webhook_requests(draw):
    """The verifier's callback, signed or not, with hostile signature and timestamp headers."""
    body = draw(st.one_of(st.just(b'{"id": "req-1"}'), st.binary(max_size=64), hostile_text.map(str.encode)))
    now = str(int(time.time()))
    timestamp = draw(st.one_of(st.just(now), st.sampled_from(["", "-1", "1e9", "9" * 40]), hostile_text))
    signature = draw(
        st.one_of(
            st.just(external.sign(body, int(now), django_settings.PHOTO_VERIFIER_SECRET)),
            address_text.map(lambda text: "sha256=" + text),
            address_text,
        )
    )
    headers = {external.TIMESTAMP_HEADER: timestamp, external.SIGNATURE_HEADER: signature}
    return Request("anonymous", "post", "/api/verification/", headers=headers, body=body)


def _far(day) -> bool:
    year = str(day or "").split("-", 1)[0]
    return year.isascii() and year.isdigit() and int(year) >= 2100


def _nul(text) -> bool:
    return "\x00" in unquote(str(text))


# The 500s the audit of issue 26 found, as kinds of request: a run counts the examples of each it made, and a
# long run (make fuzz) must have made every kind.
KINDS = {
    "remote link, token not ASCII": lambda r: r.path.startswith("/remote/") and not unquote(r.path).isascii(),
    "QR link, code with NUL or not ASCII": lambda r: r.path.startswith("/c/") and not unquote(r.path).isprintable(),
    "photo address with NUL": lambda r: r.path.startswith("/photos/") and _nul(r.path),
    "roster action with NUL": lambda r: "/students/" in r.path and _nul(r.path),
    "invitation sheet, ?course with NUL": lambda r: r.path.endswith("/invitations/") and _nul(r.query.get("course")),
    "admin filter with NUL": lambda r: r.path.startswith("/admin/") and any(_nul(v) for v in r.query.values()),
    "excuse beyond 2100": lambda r: r.path == "/me/excuses/" and _far(r.data.get("first_day")),
    "timetable's last day beyond 2100": lambda r: "/timetable/" in r.path and _far(r.data.get("last_day")),
    "webhook signature not ASCII": lambda r: not r.headers.get(external.SIGNATURE_HEADER, "").isascii(),
}


def requests(world):
    links, forms = link_requests(world), form_requests(world)
    return st.one_of(route_requests(world), links, links, forms, forms, webhook_requests())


def _converter_name(route: str, name: str) -> str:
    start = route.find(f":{name}>")
    return route[route.rfind("<", 0, start) + 1 : start] if start != -1 else ""


def by_view(links) -> list[list[Link]]:
    views: dict[str, list[Link]] = {}
    for link in links:
        views.setdefault(resolve(link.path).view_name, []).append(link)
    return list(views.values())
