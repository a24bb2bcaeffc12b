"""The claims this process's sweepers hold, kept alive by one heartbeat thread.

A claim lives SWEEP_CLAIM_TTL seconds; while a sweeper works on its
sessions the heartbeat renews every claim it holds each third of that, so a
long batch never loses one, and a sweeper killed mid-session (SIGKILL, the
task's timeout) frees its sessions for the next run within the TTL instead
of holding them for the whole run's bound.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid

from django.conf import settings

from .. import live

logger = logging.getLogger("attendance.sweep")

_held: dict[str, str] = {}  # session id → this process's token for it
_lock = threading.Lock()
_beating: tuple[int, threading.Thread] | None = None  # (pid, thread): a forked child starts its own
_wake = threading.Event()  # the TTL became shorter than the heartbeat's current pause (tests change it)
_pause = 0.0


def take(sid: str) -> str | None:
    """Claim a session for this process's sweeper; its token, or None when another sweeper has it."""
    token = uuid.uuid4().hex
    if not live.claim(sid, token):
        return None
    with _lock:
        _held[sid] = token
    _ensure_heartbeat()
    return token


def forget(sid: str) -> None:
    """Stop renewing a claim: released, or deleted with the session's keys."""
    with _lock:
        _held.pop(sid, None)


def held() -> dict[str, str]:
    with _lock:
        return dict(_held)


def beat() -> int:
    """Renew every claim held now; how many were (a claim lost meanwhile is not renewed: its token differs)."""
    claims = held()
    return live.renew_claims(claims) if claims else 0


def _interval() -> float:
    return max(1.0, settings.SWEEP_CLAIM_TTL / 3)


def _ensure_heartbeat() -> None:
    global _beating
    with _lock:
        if _beating is not None and _beating[0] == os.getpid() and _beating[1].is_alive():
            if _interval() < _pause:
                _wake.set()
            return
        thread = threading.Thread(target=_heartbeat, name="sweep-heartbeat", daemon=True)
        _beating = (os.getpid(), thread)
    thread.start()


def _heartbeat() -> None:
    """Beat while claims are held; the thread ends when none are, and the next claim starts another."""
    global _beating, _pause
    while True:
        _pause = _interval()
        _wake.wait(_pause)
        _wake.clear()
        with _lock:
            if not _held:
                _beating = None
                return
        try:
            beat()
        except Exception as exc:  # Redis unreachable for a moment: the next beat tries again
            logger.warning("Sweep heartbeat failed: %r", exc)
