from django.db import migrations, models

# text[] has no cast to jsonb, so the column changes with to_jsonb(); the state says JSONField.
TO_JSONB = """
ALTER TABLE attendance_attendancerecord ALTER COLUMN flags DROP DEFAULT;
ALTER TABLE attendance_attendancerecord ALTER COLUMN flags TYPE jsonb USING to_jsonb(flags);
"""
TO_ARRAY = """
ALTER TABLE attendance_attendancerecord ALTER COLUMN flags TYPE varchar(64)[]
    USING ARRAY(SELECT jsonb_array_elements_text(flags))::varchar(64)[];
"""


class Migration(migrations.Migration):
    dependencies = [
        ("attendance", "0009_timetables"),
    ]

    operations = [
        migrations.RunSQL(
            TO_JSONB,
            TO_ARRAY,
            state_operations=[
                migrations.AlterField(
                    model_name="attendancerecord",
                    name="flags",
                    field=models.JSONField(blank=True, default=list, verbose_name="flags"),
                ),
            ],
        ),
    ]
