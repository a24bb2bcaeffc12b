"""A course's weekly timetable: slots that open live sessions by themselves, and days without class."""
