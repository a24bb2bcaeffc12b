"""The sweep's SQL writes every column the models require: a new NOT NULL column fails here, not in production."""

from django.contrib.auth import get_user_model
from django.db.models import NOT_PROVIDED

from attendance.models import Attendance, AttendanceRecord
from attendance.sweep import persist_sql

User = get_user_model()


def required_columns(model) -> set[str]:
    """Columns an INSERT must name: NOT NULL, no database default, not a serial primary key."""
    return {
        field.column
        for field in model._meta.concrete_fields
        if not field.null
        and field.db_default is NOT_PROVIDED
        and not (field.primary_key and field.get_internal_type() in ("AutoField", "BigAutoField"))
    }


def written_columns(model) -> set[str]:
    return {field.column for field in model._meta.concrete_fields}


def check(model, columns: tuple[str, ...], name: str) -> None:
    missing = required_columns(model) - set(columns)
    assert not missing, (
        f"persist_sql.{name} does not write {sorted(missing)}: {model.__name__} gained a NOT NULL column. "
        f"Add it to {name} and to the matching statement's values in attendance/services/persist_sql.py."
    )
    unknown = set(columns) - written_columns(model)
    assert not unknown, f"persist_sql.{name} names columns {model.__name__} does not have: {sorted(unknown)}"


def test_it_writes_every_required_column_of_the_users():
    check(User, persist_sql.USER_COLUMNS, "USER_COLUMNS")


def test_it_writes_every_required_column_of_the_session():
    check(Attendance, persist_sql.SESSION_COLUMNS, "SESSION_COLUMNS")


def test_it_writes_every_required_column_of_the_records():
    check(AttendanceRecord, persist_sql.RECORD_COLUMNS, "RECORD_COLUMNS")


def test_it_notices_a_column_it_does_not_write():
    class Fake:
        class _meta:  # noqa: N801 - shaped like a model's _meta
            concrete_fields = [*AttendanceRecord._meta.concrete_fields]

    extra = AttendanceRecord._meta.get_field("fail_reason").clone()
    extra.set_attributes_from_name("proof_photo")
    Fake._meta.concrete_fields.append(extra)
    Fake.__name__ = "AttendanceRecord"
    assert "proof_photo" in required_columns(Fake) - set(persist_sql.RECORD_COLUMNS)
