from django import template

register = template.Library()


@register.filter
def timedelta_minutes(value) -> int:
    """A lock-out's length in whole minutes (at least one)."""
    return max(1, round(value.total_seconds() / 60))
