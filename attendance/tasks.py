"""django-q2 tasks: each takes ids and calls one service."""

from . import sweep


def sweep_due(trigger: str = "schedule") -> str:
    """Scheduled every SWEEP_INTERVAL (and asked for from the operations page): persist every due session."""
    return sweep.run(trigger=trigger).summary


def sweep_session(session_id: str) -> str:
    """Enqueued by "Finish now": persist one session straight away."""
    return sweep.run(session_id=session_id, trigger="finish").summary
