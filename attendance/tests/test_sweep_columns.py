"""The sweep gives every column the models require a value: a new NOT NULL column fails here, not in production."""

import pytest
from django.contrib.auth import get_user_model
from django.db.models import NOT_PROVIDED

from attendance.models import Attendance, AttendanceRecord
from attendance.sweep import instances

User = get_user_model()

WRITES = [
    (User, instances.USER_FIELDS),
    (Attendance, instances.SESSION_FIELDS),
    (AttendanceRecord, instances.RECORD_FIELDS),
]


def required_fields(model) -> set[str]:
    """Fields an INSERT must give a value: NOT NULL, no database default, not a serial primary key."""
    return {
        field.attname
        for field in model._meta.concrete_fields
        if not field.null
        and field.db_default is NOT_PROVIDED
        and not (field.primary_key and field.get_internal_type() in ("AutoField", "BigAutoField"))
    }


@pytest.mark.parametrize(("model", "given"), WRITES, ids=lambda p: getattr(p, "__name__", ""))
def test_it_gives_every_field_of_the_model_a_plain_value(model, given):
    values = instances.template(model, given)

    fields = {field.attname for field in model._meta.concrete_fields}
    assert set(values) | set(given) == fields
    assert required_fields(model) <= set(given) | {name for name, value in values.items() if value is not None}
    assert set(given) <= fields, f"the sweep gives {model.__name__} fields it does not have"
    assert not any(hasattr(value, "as_sql") for value in values.values())  # an expression turns UNNEST off


def test_it_refuses_a_not_null_field_it_does_not_write():
    class Fake:
        class _meta:  # noqa: N801 - shaped like a model's _meta
            concrete_fields = [*AttendanceRecord._meta.concrete_fields]

    extra = AttendanceRecord._meta.get_field("fail_reason").clone()
    extra.default = NOT_PROVIDED
    extra.set_attributes_from_name("proof_photo")
    Fake._meta.concrete_fields.append(extra)
    Fake.__name__ = "AttendanceRecord"

    assert "proof_photo" in required_fields(Fake) - set(instances.RECORD_FIELDS)
    with pytest.raises(instances.UnwrittenField, match="proof_photo"):
        instances.template(Fake, instances.RECORD_FIELDS)
