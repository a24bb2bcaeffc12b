"""The attendance app's writes, one module per stage of the data flow.

- ``check_in``: the student's entry points (typed code, QR link, tap, result).
- ``live_sessions``: the teacher's live session (start, read, roster actions, finish).
- ``persist`` and ``persist_sql``: the sweep's write of a finished session.
- ``corrections``: audited changes to persisted sessions, and the course policy.
- ``operations``: what administrators start from the operations page.
- ``roster_import``: students and enrolments from a CSV file.
"""
