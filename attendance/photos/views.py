"""Photos are personal data: served only here, to whom ``attendance.access`` allows — the student, a
teacher of theirs, staff.

Nothing under MEDIA_ROOT has a URL of its own.  Whoever may not see a photo
gets the same 404 as for one that does not exist.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from .. import storage
from ..access import check_in_photo_name, get_reference_photo
from . import external


def _photo_response(name: str) -> FileResponse:
    return storage.serve(name, "image/jpeg", missing=_("No such photo."))


@login_required
@require_GET
def check_in_photo(request, sid, number):
    name = check_in_photo_name(request.user, str(sid), number)
    if not name:
        raise Http404(_("No such photo."))
    return _photo_response(name)


@login_required
@require_GET
def reference_photo(request, pk):
    return _photo_response(get_reference_photo(request.user, pk).image)


@csrf_exempt  # signed with the verifier's shared secret instead (HMAC-SHA256 over timestamp and body)
@require_POST
def verification_callback(request):
    answer = external.receive_callback(
        request.body,
        request.headers.get(external.TIMESTAMP_HEADER, ""),
        request.headers.get(external.SIGNATURE_HEADER, ""),
    )
    return JsonResponse({"detail": answer.message}, status=answer.status)
