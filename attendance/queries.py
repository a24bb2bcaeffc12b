"""Reusable read queries (annotations over sessions and records)."""

from django.db.models import Count, Q

from .models import Status

ATTENDED = (Status.PRESENT, Status.LATE)


def with_status_counts(sessions):
    """Annotate each session with its number of live (not deleted) records per status."""
    alive = Q(records__is_deleted=False)
    counts = {f"n_{status}": Count("records", filter=alive & Q(records__status=status)) for status in Status.values}
    attended = Count("records", filter=alive & Q(records__status__in=ATTENDED))
    return sessions.annotate(n_total=Count("records", filter=alive), n_attended=attended, **counts)
