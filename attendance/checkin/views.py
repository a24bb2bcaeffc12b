"""Student pages: type a code, open a QR link, tap into a no-code session, see the result.

Each view reads the request, makes one call to ``checkin.service`` and
renders its outcome.
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.template.loader import render_to_string
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from attn_site.htmx import sent_by_htmx
from attn_site.proxies import client_ip

from .. import clock
from ..access import get_live_session, keeps_on_login, student_required
from ..models import Status
from . import service
from .devices import device_cookie, keep_link_nonce, link_nonce
from .forms import CodeForm, ConfirmForm, RemoteForm
from .service import Kind, Visitor


def _visitor(request, device: str, form=None) -> Visitor:
    """The request's facts; ``form``: the valid form that gave the position and the selfie (None: neither)."""
    return Visitor(
        student=request.user,
        ip=client_ip(request),
        device=device,
        position=form.position() if form else None,
        browser=link_nonce(request),
        photo=form.cleaned_data.get("photo") if form else None,
        turned=form.cleaned_data.get("photo_turned") if form else None,
        challenge=(form.cleaned_data.get("challenge") or "") if form else "",
    )


SESSION_GONE = gettext_lazy(
    "This session has ended, or this link does not lead to one: type the code on the screen, or ask your teacher."
)


def _refused(request, error: str, *, status: int = 404, sid=None):
    """A link that cannot check this student in, with a sentence saying why (a 404 unless told)."""
    ctx = {"error": error, "sid": sid}
    if sent_by_htmx(request):
        return _in_main(render(request, "attendance/partials/refused_card.html", ctx, status=status))
    return render(request, "attendance/link_refused.html", ctx, status=status)


def _in_main(response):
    """An answer in place (htmx) that replaces the page's main content rather than the form's card."""
    response["HX-Retarget"] = "main"
    response["HX-Reswap"] = "innerHTML"
    return response


def _go(request, to: str, *args, **kwargs):
    """Move on to another page: a redirect, or with htmx a full navigation (HX-Redirect) to it."""
    if not sent_by_htmx(request):
        return redirect(to, *args, **kwargs)
    response = HttpResponse(status=204)
    response["HX-Redirect"] = resolve_url(to, *args, **kwargs)
    return response


def _answer(request, outcome: service.Outcome):
    """The check-in's answer itself, in one request (htmx): the result card, with the address of the result
    page pushed so that a reload shows it and never sends the check-in again."""
    session, record = outcome.session, outcome.record
    second = int(record.checked_in_at) if record.checked_in_at is not None else None
    html = _answer_html(
        get_language(), timezone.get_current_timezone_name(), session.title, session.id, record.status,
        record.reason, bool(record.photo), second,
    )  # fmt: skip
    response = _in_main(HttpResponse(html))
    response["HX-Push-Url"] = _result_url(get_script_prefix(), session.id)
    return response


@lru_cache(maxsize=1024)
def _answer_html(language, zone, title, sid, status, reason, has_photo, second) -> str:
    """The answer card, by everything it shows (the record's time to the second, as the card shows it): a
    class checking in within the same second gets the same card, rendered once — the template costs a
    fifth of the answer.  Rendered without the request's context processors: the card needs none."""
    record = service.ShownRecord(
        status=status, reason=reason, checked_in_at=clock.to_datetime(second), photo="yes" if has_photo else ""
    )
    ctx = {"record": record, "title": title, "sid": sid, "pending": status == Status.PENDING}
    return render_to_string("attendance/partials/check_in_answer.html", ctx)


PHOTO_REFUSED = {
    "checked_in": (409, gettext_lazy("You are already checked in to this session: there is no photo to send.")),
    "too_many": (
        429,
        gettext_lazy("You have sent too many photos to this session: ask your teacher to check you in."),
    ),
}


def _photo_refused(request, session):
    """A selfie refused before the server reads it: the student is checked in already, or sent too many."""
    if request.method != "POST" or not session.photo_check or "photo" not in request.FILES:
        return None
    verdict = service.count_photo_upload(student=request.user, session=session)
    if verdict not in PHOTO_REFUSED:
        return None
    status, error = PHOTO_REFUSED[verdict]
    return _refused(request, error, status=status, sid=session.id if verdict == "checked_in" else None)


def _open_session(request, sid):
    """The open session a link leads to; None once it has ended (the view answers with SESSION_GONE)."""
    try:
        return get_live_session(sid)
    except Http404:
        return None


def _respond(request, outcome: service.Outcome, *, in_place: bool | None = None):
    """Turn an outcome into the page that follows it (``in_place``: an htmx request, if the caller knows)."""
    in_place = sent_by_htmx(request) if in_place is None else in_place
    if outcome.kind is Kind.CHECKED_IN:
        if in_place and outcome.record is not None:
            return _answer(request, outcome)
        if not in_place:  # the hot path: the result page's address, worked out once per session
            return _ToResult(_result_url(get_script_prefix(), outcome.session.id))
        return _go(request, "attendance:result", sid=outcome.session.id)
    if outcome.kind is Kind.CONFIRM:
        return _go(request, "attendance:confirm", sid=outcome.session.id, token=outcome.link)
    if outcome.kind is Kind.NOT_FOUND:
        return _refused(request, outcome.error)
    messages.error(request, outcome.error)
    return _go(request, "attendance:student_home")


class _ToResult(HttpResponseRedirect):
    """The redirect to a result page: an address ``reverse()`` made (a URI already, of no scheme), so neither
    quoted again nor checked for a scheme as a redirect to an address from elsewhere must be."""

    def __init__(self, url: str):
        HttpResponse.__init__(self)
        self["Location"] = url


@lru_cache(maxsize=4096)
def _result_url(prefix: str, sid: str) -> str:
    """The result page of a session (by the script prefix: the cache never mixes two)."""
    return reverse("attendance:result", kwargs={"sid": sid})


@keeps_on_login("code")
@student_required
@require_http_methods(["GET", "POST"])
@device_cookie
def student_home(request, device):
    in_place = request.method == "POST" and sent_by_htmx(request)
    code = CodeForm.typed(request.POST) if request.method == "POST" else None
    form = None
    if code is None:  # a GET, or a post the form must read (a position, or something wrong to say)
        kept = request.GET.get("code", "")[:6] if request.GET.get("code", "").isdigit() else ""
        form = CodeForm(request.POST or None, initial={"code": kept})
        if request.method == "POST" and form.is_valid():
            code = form.cleaned_data["code"]
    if code is not None:
        outcome = service.check_in_with_code(visitor=_visitor(request, device, form), code=code)
        if in_place and outcome.kind in (Kind.WRONG_CODE, Kind.REFUSED):  # said on the form, in place
            ctx = {"form": CodeForm(), "wrong_code": outcome.error, "sessions": None}
            return render(request, "attendance/partials/code_card.html", ctx, status=400)
        if outcome.kind is not Kind.WRONG_CODE:
            return _respond(request, outcome, in_place=in_place)
        # Post/redirect/get: reloading the page that says "wrong code" must not send the code (a try) again.
        request.session[WRONG_CODE_KEY] = str(outcome.error)
        return redirect("attendance:student_home")
    query = request.GET.get("q", "")[:100]
    sessions = service.open_sessions_for_student(student=request.user, query=query)
    ctx = {
        "form": form,
        "wrong_code": request.session.pop(WRONG_CODE_KEY, "") if request.method == "GET" else "",
        "sessions": sessions,
        "mine": sessions.listed(sessions.mine),
        "adhoc": sessions.listed(sessions.adhoc),
        "upcoming": sessions.upcoming,
        "query": query,
    }
    template = "attendance/partials/code_card.html" if in_place else "attendance/student_home.html"
    return render(request, template, ctx, status=400 if form.errors else 200)


WRONG_CODE_KEY = "attn_wrong_code"


@require_GET
def qr_link(request, sid, code):
    """The QR code's target: validated now, then held through the login by a signed link."""
    session = _open_session(request, sid)
    if session is None:
        return _refused(request, SESSION_GONE)
    outcome = service.link_for_qr(session=session, code=code, ip=client_ip(request))
    if outcome.kind is Kind.REFUSED:
        ctx = {"session": session, "form": CodeForm(), "error": outcome.error}
        return render(request, "attendance/qr_expired.html", ctx, status=400)
    return keep_link_nonce(_respond(request, outcome), outcome.browser)


@student_required
@require_GET
def tap(request, sid):
    session = _open_session(request, sid)
    if session is None:
        return _refused(request, SESSION_GONE)
    return _respond(request, service.link_for_tap(student=request.user, session=session))


@student_required
@require_http_methods(["GET", "POST"])
@device_cookie
def confirm(request, sid, token, device):
    session = _open_session(request, sid)
    if session is None:
        return _refused(request, SESSION_GONE)
    if refused := _photo_refused(request, session):
        return refused
    form = _confirm_form(request, session)
    if form.is_bound and form.is_valid():
        visitor = _visitor(request, device, form)
        outcome = service.check_in_by_link(visitor=visitor, session=session, token=token)
        if outcome.kind is not Kind.RETAKE:
            return _respond(request, outcome)
        form.add_error("photo", outcome.error)
        return _confirm_page(request, session, form)
    outcome = service.open_link(student=request.user, session=session, token=token, browser=link_nonce(request))
    if outcome.kind is not Kind.CONFIRM:
        return _respond(request, outcome)
    return _confirm_page(request, session, form)


def _confirm_form(request, session) -> ConfirmForm:
    """The confirmation's form: the position, and the selfie of a photo-check session (bound on a POST)."""
    posted = request.method == "POST"
    return ConfirmForm(
        request.POST if posted else None, request.FILES if posted else None, photo_check=session.photo_check
    )


def _confirm_page(request, session, form, **extra):
    ctx = {"session": session, "form": form, "retention_days": settings.PHOTO_RETENTION_DAYS, **extra}
    if session.photo_check and session.started:  # the live selfie's challenge: the direction to turn
        ctx["challenge"] = service.live_challenge(student=request.user, session=session)
    template = "attendance/partials/confirm_card.html" if sent_by_htmx(request) else "attendance/confirm.html"
    return render(request, template, ctx, status=400 if form.errors else 200)


@student_required
@require_http_methods(["GET", "POST"])
@device_cookie
def remote(request, sid, token, device):
    """A hybrid session's remote link (pasted by the teacher into the video call): the student types the code
    the teacher's shared screen shows (and takes a selfie if the session asks), then checks in."""
    session = _open_session(request, sid)
    if session is None:
        return _refused(request, SESSION_GONE)
    if not service.remote_link_valid(session=session, token=token):
        return _refused(request, _("This remote link is not valid."))
    if refused := _photo_refused(request, session):
        return refused
    posted = request.method == "POST"
    form = RemoteForm(
        request.POST if posted else None, request.FILES if posted else None, photo_check=session.photo_check
    )
    if form.is_bound and form.is_valid():
        visitor = _visitor(request, device, form)
        code = form.cleaned_data["code"]
        outcome = service.check_in_remote(visitor=visitor, session=session, token=token, code=code)
        if outcome.kind not in (Kind.WRONG_CODE, Kind.RETAKE):
            return _respond(request, outcome)
        form.add_error("code" if outcome.kind is Kind.WRONG_CODE else "photo", outcome.error)
    return _confirm_page(request, session, form, remote=True)


@student_required
@require_GET
def result(request, sid):
    sid = str(sid)
    view = service.check_in_result(student=request.user, sid=sid)
    if view is None:
        raise Http404(_("You have no check-in in this session."))
    ctx = {"record": view.record, "title": view.title, "sid": sid, "pending": view.pending}
    if sent_by_htmx(request):  # the pending page's poll: 286 stops it once there is nothing left to wait for
        return render(request, "attendance/partials/result_body.html", ctx, status=200 if view.pending else 286)
    return render(request, "attendance/result.html", ctx)
