"""The sweep's SQL: users, then the session, then its records, each one statement.

Every column is passed as one array (``unnest``) rather than a model instance
and a placeholder per value, and student ids are looked up by the database
itself.  The column lists below are what each statement writes; a test
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
)


def _columns(names: tuple[str, ...]) -> str:
    return ", ".join(names)


# Users the session references that the database does not have yet; an
# existing school number keeps the database's name and role.  Imported users
# get the unusable password "!" until someone sets one.
UPSERT_USERS = f"""
INSERT INTO {User._meta.db_table} ({_columns(USER_COLUMNS)})
SELECT '!', false, number, name, '', role, true, false, %(now)s
FROM unnest(%(numbers)b::text[], %(names)b::text[], %(roles)b::text[]) AS people (number, name, role)
ON CONFLICT (school_number) DO NOTHING
"""

# The teacher's id comes from one index lookup by school number (a join could
# scan the table); a number without a user gives a NULL id, which fails the
# NOT NULL constraint rather than drops the row.
INSERT_SESSION = f"""
INSERT INTO {Attendance._meta.db_table} ({_columns(SESSION_COLUMNS)})
VALUES (
    %(id)s, false, '', %(course_id)s, %(lesson_name)s, %(starts_at)s, %(ends_at)s, %(late_threshold_minutes)s,
    %(require_code)s, %(network_mode)s, %(location_radius_m)s, %(one_device_per_student)s, %(now)s,
    (SELECT id FROM {User._meta.db_table} WHERE school_number = %(teacher_number)s)
)
ON CONFLICT (id) DO NOTHING
"""

# The live records, then an absent one for each enrolled student without one.
# Each student's id (and name, to notice a student renamed since) comes from
# one index lookup (a LATERAL subquery: a join could scan the table); a
# number without a user gives a NULL id, which fails rather than drops the row.
# The flags travel as jsonb[] (one JSON array per record: psycopg cannot bind
# a ragged text[][]) and are unpacked into the text[] column here.  The one
# row it answers: how many records it inserted, and the names that differ
# from the accounts' (the accounts' names are kept).
INSERT_RECORDS = f"""
WITH seen AS (
    SELECT u.id AS student_id, u.full_name AS account_name, live.*
    FROM unnest(
        %(numbers)b::text[], %(names)b::text[], %(statuses)b::text[], %(times)b::timestamptz[],
        %(reasons)b::text[], %(sources)b::text[], %(flags)b::jsonb[]
    ) AS live (number, name, status, checked_in_at, fail_reason, source, flags)
    LEFT JOIN LATERAL (SELECT id, full_name FROM {User._meta.db_table} WHERE school_number = live.number) u ON true
),
inserted AS (
    INSERT INTO {AttendanceRecord._meta.db_table} ({_columns(RECORD_COLUMNS)})
    SELECT false, '', %(session)s::uuid, student_id, status, checked_in_at, fail_reason, source,
        ARRAY(SELECT jsonb_array_elements_text(flags))
    FROM seen
    UNION ALL
    SELECT false, '', %(session)s::uuid, student_id, %(absent)s, NULL, '', %(absent_source)s, ARRAY[]::text[]
    FROM {Enrollment._meta.db_table}
    WHERE course_id = %(course)s::bigint AND student_id NOT IN (SELECT student_id FROM seen)
    ON CONFLICT (attendance_id, student_id) DO NOTHING
    RETURNING 1
)
SELECT
    (SELECT count(*) FROM inserted),
    (SELECT coalesce(json_agg(json_build_array(number, account_name, name) ORDER BY number), '[]'::json)
     FROM seen WHERE account_name <> name)
"""
