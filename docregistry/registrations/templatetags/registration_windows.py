"""``{% registration_window application as window %}``: may this application be submitted today?

``window.open`` is False outside the region's registration windows for a first
registration; ``window.next`` is then the next window (or None).
"""

from django import template
from django.utils import timezone

from docregistry.registrations.models import Application
from docregistry.registrations.selectors import registration_window_status

register = template.Library()


@register.simple_tag
def registration_window(application: Application) -> dict:
    if application.type != Application.Type.FIRST or application.institution_id is None:
        return {"open": True, "next": None}
    is_open, next_window = registration_window_status(institution=application.institution, on=timezone.localdate())
    return {"open": is_open, "next": next_window}
