"""Upgrading: the sessions a previous version stored before slot groups (``manage.py adopt_live_layout``)."""

from __future__ import annotations

import json

from .keys import previous_layout_index_keys, previous_layout_keys, previous_teacher_key, session_keys, teacher_key
from .topology import topology


def previous_layout_count() -> int:
    """Sessions (live or dead-lettered) still stored as the previous version stored them (0 on a cluster)."""
    if not topology().spans_groups:
        return 0
    old_due, old_dead = previous_layout_index_keys()
    with topology().client().pipeline(transaction=False) as pipe:
        pipe.zcard(old_due)
        pipe.hlen(old_dead)
        return sum(pipe.execute())


def adopt_previous_layout() -> int:
    """Move the sessions the previous version stored (one ``attn:due``, keys tagged by the session id) into
    their slot groups, with their TTLs, due times, teacher pointers and dead letters; return how many.

    Run once no process of the previous version is left (it would go on writing the old keys):
    ``manage.py adopt_live_layout``, which ``make run`` runs after migrating.  Only a single Redis can hold
    the previous layout (it never ran on a cluster).  Running it again moves nothing.
    """
    if not topology().spans_groups:
        return 0
    conn = topology().client()
    old_due, old_dead = previous_layout_index_keys()
    moved = 0
    for raw_sid in conn.zrange(old_due, 0, -1):
        sid = raw_sid.decode()
        old = previous_layout_keys(sid)
        try:
            teacher = json.loads(conn.hget(old[0], "data") or "{}").get("teacher_number", "")
        except (ValueError, AttributeError):
            teacher = ""  # unreadable: moved as it is, for the sweep to set aside
        keys = [*old, *session_keys(sid).all, old_due, session_keys(sid).due]
        keys += [previous_teacher_key(teacher), teacher_key(teacher)]
        moved += topology().script("adopt_previous_layout", keys=keys, args=[sid])
    for raw_sid, payload in conn.hgetall(old_dead).items():
        with conn.pipeline(transaction=True) as pipe:
            pipe.hset(session_keys(raw_sid.decode()).dead, raw_sid, payload)
            pipe.hdel(old_dead, raw_sid)
            pipe.execute()
        moved += 1
    return moved
