"""The public side: no login. The verification page behind every printed code, the register lookup and
the announcements. Reads go through ``docregistry.public`` (register, verify)."""

import csv

from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.generic import TemplateView, View

from docregistry.public import register as public
from docregistry.public import verify as verification
from docregistry.security import Echo, neutralise_row

from .forms import AnnouncementForm, LookupForm
from .throttle import throttled

MSG_THROTTLED = gettext_lazy("Too many searches from your address. Please wait a minute and try again.")


class VerifyView(TemplateView):
    """``/v/<token>/``: what the scanned document says and what the record says now; 404 for a bad token."""

    template_name = "publicregister/verify.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["v"] = verification.verify(kwargs["token"])
        return context


class LookupView(TemplateView):
    """``/register/``: name plus certificate code, or name plus institution; never a list."""

    template_name = "publicregister/lookup.html"

    def get(self, request, *args, **kwargs):
        searched = any(request.GET.get(k) for k in ("name", "code", "institution"))
        form = LookupForm(request.GET if searched else None)
        context = self.get_context_data(form=form, searched=False, records=[])
        if searched and form.is_valid():
            if throttled(request, scope="lookup"):
                context["throttled"] = MSG_THROTTLED
                return self.render_to_response(context, status=429)
            registrations = public.register_lookup(**form.cleaned_data)
            context.update(searched=True, records=public.public_records(registrations))
        return self.render_to_response(context)


def _month_or_404(year: int, month: int):
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        raise Http404
    return year, month


class AnnouncementIndexView(TemplateView):
    """``/register/announcements/``: pick an authority and a month."""

    template_name = "publicregister/announcements.html"

    def get(self, request, *args, **kwargs):
        form = AnnouncementForm(request.GET or None, initial={"month": timezone.localdate().replace(day=1)})
        authority = request.GET.get("authority")
        if form.is_valid() and authority and authority.isdigit():
            month = form.cleaned_data["month"]
            return redirect("publicregister:announcement", authority=int(authority), year=month.year, month=month.month)
        return self.render_to_response(self.get_context_data(form=form, authorities=public.announcement_authorities()))


class AnnouncementMixin:
    def announcement(self):
        year, month = _month_or_404(self.kwargs["year"], self.kwargs["month"])
        authority = get_object_or_404(public.announcement_authorities(), pk=self.kwargs["authority"])
        return public.announcement(authority=authority, year=year, month=month)


class AnnouncementView(AnnouncementMixin, TemplateView):
    """The registrations one authority granted and cancelled in one month (医师法 art. 21)."""

    template_name = "publicregister/announcement.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["a"] = self.announcement()
        return context


class AnnouncementCsvView(AnnouncementMixin, View):
    """The same announcement as CSV (UTF-8 with BOM, for Excel), streamed: a month of a province's
    registrations is written a chunk of rows at a time, never built whole in memory."""

    def get(self, request, *args, **kwargs):
        year, month = _month_or_404(self.kwargs["year"], self.kwargs["month"])
        authority = get_object_or_404(public.announcement_authorities(), pk=self.kwargs["authority"])
        response = StreamingHttpResponse(
            self.lines(public.announcement_records(authority=authority, year=year, month=month)),
            content_type="text/csv; charset=utf-8",
        )
        filename = f"announcement-{authority.region_id}-{year}-{month:02d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    @staticmethod
    def lines(records):
        granted, cancelled = pgettext("announcement", "Granted"), pgettext("announcement", "Cancelled")
        writer = csv.writer(Echo())
        yield "\ufeff".encode()
        header = [
            _("Announcement"),
            _("Name"),
            _("Level"),
            _("Category"),
            _("Practice scopes"),
            _("Main institution"),
            _("Practice certificate code"),
            _("Date"),
            _("State"),
        ]
        yield writer.writerow(header).encode()
        for is_granted, r in records:
            day = r.effective_on if is_granted else r.ended_on
            row = [granted if is_granted else cancelled, r.name, r.level, r.category, "、".join(r.scopes)]
            row += [r.institution, r.certificate_code, day.isoformat() if day else "", r.state]
            yield writer.writerow(neutralise_row(row)).encode()
