"""The live state in Redis: open sessions, their check-ins, and the sweep's queue.

The only package that talks to Redis for the attendance app.  Its modules,
by concern:

- ``topology``: one Redis (or Sentinel) vs. a Redis Cluster, chosen once per
  process; the two primitives the rest is written against (pipelined reads,
  a script on one slot), the replica acknowledgement, the health page's reads.
- ``keys``: the key layout (slot groups, TTLs) — the one place that names a key.
- ``records``: what is stored (``LiveSession``, the record's flags and reasons).
- ``lua/``: the scripts, each atomic on the server; ``check_in.lua`` is the
  one check-in decision of every path.
- ``sessions``: start, read, finish, move the end; the open sessions and the
  process's snapshot of them.
- ``student_view``: the open sessions as one student's check-in sees them.
- ``checkins``: check-in writes, the records of a session, the selfies posted to it.
- ``guesses``: wrong codes (per session and across sessions) and wrong passwords, and their lock-outs.
- ``once``: values that may be used once (an LTI launch's nonce).
- ``challenges``: the live selfie's challenge to a student (a direction to turn the head), used once.
- ``sweep_queue``: due indexes, claims, close-and-read, dead letters.
- ``previous_layout``: moving sessions stored by the version before slot groups.

Callers import this package (``from attendance import live``) and get
``LiveSession`` objects and record dicts; the Redis wire format stays inside.
"""

from .challenges import Challenge, issue_challenge, take_challenge
from .checkins import (
    ADMITTED,
    ON_ROSTER,
    REFUSED,
    UNREPLICATED,
    Candidate,
    add_face,
    check_in,
    check_in_by_code,
    count_checked_in,
    count_photo_upload,
    count_records,
    get_changes,
    get_record,
    get_record_raw,
    get_records,
    get_records_and_wrong_codes,
    get_records_of,
    remove_record,
    replace_record,
    set_record,
)
from .guesses import count_guess, count_wrong_codes, guess_locked_until, guesses_locked_until, guesses_so_far
from .keys import (
    GROUP_TAGS,
    GROUPS,
    device_key,
    due_keys,
    expire_at,
    guess_key,
    new_session_id,
    session_group,
    session_keys,
    teacher_group,
    teacher_key,
)
from .once import use_once
from .previous_layout import adopt_previous_layout, previous_layout_count
from .records import (
    CHECKED_IN,
    DEVICE_ELSEWHERE,
    ELSEWHERE_REASON,
    FINISHED,
    OPEN,
    RETRIED,
    SHARED_DEVICE,
    SHARED_DEVICE_REASON,
    LiveChange,
    LiveRecord,
    LiveSession,
)
from .sessions import (
    add_enrolled,
    change_end,
    create_session,
    finish,
    get_session,
    is_enrolled,
    open_sessions,
    open_sessions_snapshot,
    teacher_open_session_id,
    unswept_sessions,
    use_link,
)
from .student_view import SeenSession, StudentView, open_sessions_for
from .sweep_queue import (
    claim,
    close_and_read,
    count_due,
    count_failure,
    dead_letter,
    dead_letters,
    delete_session,
    due_session_ids,
    oldest_due_end,
    release,
    renew_claims,
    requeue_dead_letter,
)
from .topology import UNAVAILABLE, client, is_unavailable, server_memory, topology

__all__ = [
    "ADMITTED",
    "ON_ROSTER",
    "REFUSED",
    "Candidate",
    "Challenge",
    "DEVICE_ELSEWHERE",
    "ELSEWHERE_REASON",
    "FINISHED",
    "GROUPS",
    "GROUP_TAGS",
    "OPEN",
    "RETRIED",
    "SHARED_DEVICE",
    "SHARED_DEVICE_REASON",
    "UNAVAILABLE",
    "UNREPLICATED",
    "CHECKED_IN",
    "LiveChange",
    "LiveRecord",
    "LiveSession",
    "SeenSession",
    "StudentView",
    "add_enrolled",
    "adopt_previous_layout",
    "change_end",
    "check_in",
    "check_in_by_code",
    "claim",
    "client",
    "close_and_read",
    "count_due",
    "count_failure",
    "count_guess",
    "count_photo_upload",
    "add_face",
    "count_records",
    "count_checked_in",
    "count_wrong_codes",
    "create_session",
    "use_once",
    "dead_letter",
    "dead_letters",
    "delete_session",
    "device_key",
    "due_keys",
    "due_session_ids",
    "expire_at",
    "finish",
    "get_changes",
    "get_record",
    "get_record_raw",
    "get_records",
    "get_records_of",
    "get_records_and_wrong_codes",
    "get_session",
    "guess_key",
    "guess_locked_until",
    "guesses_locked_until",
    "guesses_so_far",
    "is_enrolled",
    "issue_challenge",
    "is_unavailable",
    "new_session_id",
    "oldest_due_end",
    "open_sessions",
    "open_sessions_for",
    "open_sessions_snapshot",
    "previous_layout_count",
    "release",
    "renew_claims",
    "remove_record",
    "replace_record",
    "requeue_dead_letter",
    "session_group",
    "server_memory",
    "session_keys",
    "set_record",
    "take_challenge",
    "teacher_group",
    "teacher_key",
    "teacher_open_session_id",
    "topology",
    "unswept_sessions",
    "use_link",
]
