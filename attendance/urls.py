from django.urls import path

from .checkin import views as student
from .excuses import views as excuses
from .history import views as history
from .meetings import views as meetings
from .photos import views as photos
from .teaching import views as teacher
from .timetables import views as timetable

app_name = "attendance"

urlpatterns = [
    # Student (first: a check-in is the most frequent request, and patterns are tried in order).
    path("checkin/", student.student_home, name="student_home"),
    path("c/<uuid:sid>/<str:code>/", student.qr_link, name="qr_link"),
    path("checkin/<uuid:sid>/tap/", student.tap, name="tap"),
    path("checkin/<uuid:sid>/go/<str:token>/", student.confirm, name="confirm"),
    path("checkin/<uuid:sid>/result/", student.result, name="result"),
    path("remote/<uuid:sid>/<str:token>/", student.remote, name="remote"),
    # Teacher: live sessions.
    path("teach/", teacher.teacher_home, name="teacher_home"),
    path("teach/live/<uuid:sid>/", teacher.live_page, name="live"),
    path("teach/live/<uuid:sid>/roster/", teacher.live_roster, name="live_roster"),
    path("teach/live/<uuid:sid>/projector/", teacher.projector, name="projector"),
    path("teach/live/<uuid:sid>/projector/code/", teacher.projector_code, name="projector_code"),
    path("teach/live/<uuid:sid>/add/", teacher.add_student, name="add_student"),
    path("teach/live/<uuid:sid>/spot-check/", teacher.spot_check, name="spot_check"),
    path("teach/live/<uuid:sid>/bulk/", teacher.live_bulk, name="live_bulk"),
    path(
        "teach/live/<uuid:sid>/students/<path:number>/<str:action>/",
        teacher.record_action,
        name="record_action",
    ),
    path("teach/live/<uuid:sid>/finish/", teacher.finish, name="finish"),
    path("teach/live/<uuid:sid>/end/", teacher.change_end, name="change_end"),
    path("teach/live/<uuid:sid>/finished/", teacher.finished, name="finished"),
    # Teacher: history.
    path("teach/sessions/", history.session_list, name="session_list"),
    path("teach/sessions/<uuid:sid>/", history.session_detail, name="session_detail"),
    path("students/<path:number>/", history.student_record_page, name="student_record"),
    path("teach/sessions/<uuid:sid>/records/bulk/", history.records_bulk_change, name="records_bulk_change"),
    path("teach/sessions/<uuid:sid>/meeting/", meetings.meeting_preview, name="meeting_preview"),
    path("teach/sessions/<uuid:sid>/meeting/apply/", meetings.meeting_apply, name="meeting_apply"),
    path("teach/sessions/<uuid:sid>/export/", history.session_export, name="session_export"),
    path("teach/sessions/<uuid:sid>/add/", history.record_add, name="record_add"),
    path("teach/sessions/<uuid:sid>/remove/", history.session_remove, name="session_remove"),
    path("teach/sessions/<uuid:sid>/records/<int:record_id>/change/", history.record_change, name="record_change"),
    path("teach/sessions/<uuid:sid>/records/<int:record_id>/remove/", history.record_remove, name="record_remove"),
    path("teach/courses/", history.course_list, name="course_list"),
    path("teach/courses/<int:course_id>/", history.course_report, name="course_report"),
    path("teach/courses/<int:course_id>/policy/", history.course_policy, name="course_policy"),
    path("teach/courses/<int:course_id>/export/", history.course_export, name="course_export"),
    path("teach/courses/<int:course_id>/timetable/", timetable.course_timetable, name="timetable"),
    path("teach/courses/<int:course_id>/timetable/slots/", timetable.slot_add, name="slot_add"),
    path("teach/courses/<int:course_id>/timetable/import/", timetable.slots_import, name="slots_import"),
    path(
        "teach/courses/<int:course_id>/timetable/slots/<int:slot_id>/remove/", timetable.slot_remove, name="slot_remove"
    ),
    path("teach/courses/<int:course_id>/timetable/days/", timetable.day_add, name="day_add"),
    path("teach/courses/<int:course_id>/timetable/days/<int:day_id>/remove/", timetable.day_remove, name="day_remove"),
    path("me/", history.my_attendance, name="my_attendance"),
    # Excuse requests.
    path("me/excuses/", excuses.my_excuses, name="my_excuses"),
    path("me/excuses/<int:pk>/withdraw/", excuses.excuse_withdraw, name="excuse_withdraw"),
    path("me/records/<int:record_id>/appeal/", excuses.appeal, name="appeal"),
    path("teach/excuses/", excuses.excuse_list, name="excuse_list"),
    path("teach/excuses/<int:pk>/<str:action>/", excuses.excuse_decide, name="excuse_decide"),
    path("excuses/<int:pk>/document/", excuses.excuse_attachment, name="excuse_attachment"),
    # Photos: never a public URL; each request checks who may see the photo.
    path("photos/checkin/<uuid:sid>/<path:number>/", photos.check_in_photo, name="check_in_photo"),
    path("photos/reference/<int:pk>/", photos.reference_photo, name="reference_photo"),
    path("api/verification/", photos.verification_callback, name="verification_callback"),
]
