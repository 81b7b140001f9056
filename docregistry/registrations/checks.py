"""System checks (``manage.py check``): the holiday calendar must hold this year and the next."""

from django.core.checks import Warning as CheckWarning
from django.core.checks import register
from django.db import DatabaseError
from django.utils.translation import gettext_lazy as _

MSG_CALENDAR_YEAR_MISSING = _(
    "The holiday calendar holds no day of %(years)s: decision deadlines in those years count Monday to Friday "
    "only. Add the State Council's holidays and make-up working days in the admin (Holiday calendar)."
)


@register()
def holiday_calendar_check(app_configs=None, **kwargs):
    from .calendar import years_missing

    try:
        missing = years_missing()
    except DatabaseError:  # not migrated yet, or no database to ask: nothing to say
        return []
    if not missing:
        return []
    return [
        CheckWarning(
            MSG_CALENDAR_YEAR_MISSING % {"years": "、".join(str(y) for y in missing)},
            hint=str(_("The deadlines already running are recomputed when a calendar day is saved.")),
            id="registrations.W001",
        )
    ]
