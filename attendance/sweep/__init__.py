"""The unified sweep: finished sessions move from the live store into PostgreSQL, in one transaction per
batch of sessions (users first, then the sessions, then their records; a batch the database refuses
is written again one session per transaction), idempotent and safe to run concurrently."""

from .runner import DatabaseUnavailable, SweepResult, dry_run, run

__all__ = ["DatabaseUnavailable", "SweepResult", "dry_run", "run"]
