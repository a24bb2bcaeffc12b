"""The start form shows a field only when its box is ticked (issue 27): "Starts at" with "Start later",
"Radius" with the location check."""

from __future__ import annotations

from playwright.sync_api import expect

from e2e.helpers import TEACHER_PASSWORD, log_in


def test_starts_at_and_radius_show_only_with_their_boxes(new_context):
    teacher = new_context().new_page()
    teacher.goto("/teach/")
    log_in(teacher, "T003", TEACHER_PASSWORD)
    starts_at, radius = teacher.locator("#id_starts_at"), teacher.locator("#id_location_radius_m")
    expect(starts_at).to_be_hidden()
    expect(radius).to_be_hidden()
    teacher.get_by_label("Start later").check()
    expect(starts_at).to_be_visible()
    teacher.get_by_label("Start later").uncheck()
    expect(starts_at).to_be_hidden()
    teacher.context.grant_permissions(["geolocation"])
    teacher.context.set_geolocation({"latitude": 41.0, "longitude": 29.0})
    teacher.get_by_label("Check the students' location").check()
    expect(radius).to_be_visible()
