"""The admin's date drill-down (date_hierarchy) with a year the calendar cannot hold: a message, not a 500."""

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.utils.translation import gettext as _


class CalendarChangeList(ChangeList):
    def get_filters(self, request):
        # Django turns ?starts_at__year=9999 into the next year's first day (year 10000: ValueError) and a
        # year past C's int into an OverflowError, neither of them the bad lookup it redirects from.
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as error:
            messages.error(request, _("That date is outside the calendar: choose a year up to 9998."))
            raise IncorrectLookupParameters(error) from error


class DateHierarchyAdmin(admin.ModelAdmin):
    """A model admin with a date_hierarchy: a day beyond the calendar's end is a bad lookup."""

    def get_changelist(self, request, **kwargs):
        return CalendarChangeList
