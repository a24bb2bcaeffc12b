"""The sweep's SQL: users, then the sessions, then their records, one statement each for a group of sessions.

The rows travel as one JSON document per statement (``json_to_recordset``)
rather than a model instance and a placeholder per value: ``json.dumps`` of
a session's records costs a tenth of binding them as typed arrays.  Student
ids are looked up by the database itself.  The column lists below are what each statement writes; a test
checks them against the models' ``_meta``, so a new NOT NULL column fails
loudly instead of at the first sweep in production.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model

from ..models import Attendance, AttendanceRecord, Enrollment

User = get_user_model()

USER_COLUMNS = (
    "password",
    "is_superuser",
    "school_number",
    "full_name",
    "name_key",
    "email",
    "role",
    "is_active",
    "is_staff",
    "date_joined",
)
SESSION_COLUMNS = (
    "id",
    "is_deleted",
    "deleted_reason",
    "course_id",
    "lesson_name",
    "starts_at",
    "ends_at",
    "late_threshold_minutes",
    "require_code",
    "network_mode",
    "location_radius_m",
    "one_device_per_student",
    "photo_check",
    "admits_remote",
    "persisted_at",
    "teacher_id",
)
RECORD_COLUMNS = (
    "is_deleted",
    "deleted_reason",
    "attendance_id",
    "student_id",
    "status",
    "checked_in_at",
    "fail_reason",
    "source",
    "flags",
    "photo",
    "photo_result",
    "photo_distance",
)


def _columns(names: tuple[str, ...]) -> str:
    return ", ".join(names)


# Users the sessions reference that the database does not have yet; an
# existing school number keeps the database's name and role.  Imported users
# get the unusable password "!" until someone sets one.
UPSERT_USERS = f"""
INSERT INTO {User._meta.db_table} ({_columns(USER_COLUMNS)})
SELECT '!', false, number, name, key, '', role, true, false, %(now)s
FROM json_to_recordset(%(people)s::json) AS people (number text, name text, key text, role text)
ON CONFLICT (school_number) DO NOTHING
"""

# Each teacher's id comes from one index lookup by school number; the LIMIT
# keeps the planner from turning the LATERAL subquery into a join, which on
# stale statistics scans the users table.  A number without a user gives a
# NULL id, which fails the NOT NULL constraint rather than drops the row.
INSERT_SESSIONS = f"""
INSERT INTO {Attendance._meta.db_table} ({_columns(SESSION_COLUMNS)})
SELECT
    s.id, false, '', s.course_id, s.lesson_name, to_timestamp(s.starts_at), to_timestamp(s.ends_at),
    s.late_threshold_minutes, s.require_code, s.network_mode, s.location_radius_m, s.one_device_per_student,
    coalesce(s.photo_check, false), coalesce(s.admits_remote, false), %(now)s, t.id
FROM json_to_recordset(%(sessions)s::json) AS s (
    id uuid, course_id bigint, lesson_name text, starts_at float8, ends_at float8, late_threshold_minutes int,
    require_code bool, network_mode text, location_radius_m int, one_device_per_student bool, photo_check bool,
    admits_remote bool, teacher_number text
)
LEFT JOIN LATERAL (
    SELECT id FROM {User._meta.db_table} WHERE school_number = s.teacher_number LIMIT 1
) t ON true
ON CONFLICT (id) DO NOTHING
"""

# The live records, then an absent one for each enrolled student of a
# session's course without one.  Each student's id (and name, to notice a
# student renamed since) comes from one index lookup, as above.  The check-in
# time travels as epoch seconds and the flags as a JSON array, unpacked into
# the text[] column here.  The one row it answers: how many records it
# inserted per session, and the names that differ from the accounts' (the
# accounts' names are kept).
INSERT_RECORDS = f"""
WITH seen AS (
    SELECT u.id AS student_id, u.full_name AS account_name, live.*
    FROM json_to_recordset(%(records)s::json) AS live (
        session uuid, number text, name text, status text, checked_in_at float8, fail_reason text, source text,
        flags json, photo text, photo_result text, photo_distance float8
    )
    LEFT JOIN LATERAL (
        SELECT id, full_name FROM {User._meta.db_table} WHERE school_number = live.number LIMIT 1
    ) u ON true
),
courses AS (
    SELECT * FROM json_to_recordset(%(sessions)s::json) AS s (id uuid, course_id bigint)
    WHERE course_id IS NOT NULL
),
inserted AS (
    INSERT INTO {AttendanceRecord._meta.db_table} ({_columns(RECORD_COLUMNS)})
    SELECT false, '', session, student_id, status, to_timestamp(checked_in_at), fail_reason, source,
        ARRAY(SELECT json_array_elements_text(flags)), coalesce(photo, ''), coalesce(photo_result, ''), photo_distance
    FROM seen
    UNION ALL
    SELECT false, '', courses.id, e.student_id, %(absent)s, NULL, '', %(absent_source)s, ARRAY[]::text[], '', '', NULL
    FROM courses JOIN {Enrollment._meta.db_table} e ON e.course_id = courses.course_id
    WHERE NOT EXISTS (SELECT 1 FROM seen WHERE seen.session = courses.id AND seen.student_id = e.student_id)
    ON CONFLICT (attendance_id, student_id) DO NOTHING
    RETURNING attendance_id
)
SELECT
    (SELECT coalesce(json_object_agg(attendance_id, saved), '{{}}'::json)
     FROM (SELECT attendance_id, count(*) AS saved FROM inserted GROUP BY attendance_id) counted),
    (SELECT coalesce(json_agg(json_build_array(session, number, account_name, name) ORDER BY session, number),
        '[]'::json)
     FROM seen WHERE account_name <> name)
"""
