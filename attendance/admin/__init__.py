"""The attendance app's admin pages, one module per concern (Django imports this package to register them)."""

from . import courses, photos, sessions, term  # noqa: F401
