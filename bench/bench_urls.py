"""URLs of ``bench/list_pages.py``: the project's, plus the bare view every page is compared with."""

from django.http import HttpResponse
from django.template import engines
from django.urls import include, path

from docregistry.registrations.models import Application

# The shell every institution page has (portal base, navigation), around a plain 20-row table.
TEMPLATE = engines["django"].from_string(
    '{% extends "institutions/_base.html" %}{% block content %}<table class="table">{% for a in rows %}'
    "<tr><td>{{ a.number }}</td><td>{{ a.name }}</td><td>{{ a.get_state_display }}</td>"
    '<td>{{ a.submitted_at|date:"Y-m-d H:i" }}</td></tr>{% endfor %}</table>{% endblock content %}'
)


def bare(request):
    """One indexed query of 20 rows of the applications table, shown in the portal's page shell."""
    rows = Application.objects.filter(institution_id=1).order_by("submitted_at", "pk")[:20]
    return HttpResponse(TEMPLATE.render({"rows": rows, "portal": "institutions"}, request))


urlpatterns = [path("bench/bare/", bare), path("", include("docregistry.urls"))]
