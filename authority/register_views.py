"""The authority portal's register pages: find a registration, see its history, suspend, cancel or revoke it.

The rules live in ``docregistry.registrations.register``; these views parse input and render.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from docregistry.registrations import institution_reports, pagination, register, report_selectors, selectors, services
from docregistry.registrations.models import Registration
from docregistry.registrations.register_models import Ground, InstitutionReport

from .forms import RegisterDecisionForm, RegisterSearchForm, ReinstateForm, SuspendForm
from .views import PAGE_SIZE, AuthorityView, add_errors

MSG_DONE = _("Done: the registration is now “%(state)s”. The physician and the institutions have been notified.")

# Each action: its form, the ground table it draws on, the service it calls.
ACTIONS = {
    "suspend": (SuspendForm, Ground.Kind.SUSPENSION, register.registration_suspend),
    "cancel": (RegisterDecisionForm, Ground.Kind.CANCELLATION, register.registration_cancel),
    "revoke": (RegisterDecisionForm, Ground.Kind.REVOCATION, register.registration_revoke),
    "reinstate": (ReinstateForm, None, register.registration_reinstate),
}
# Which actions a registration in each state offers.
OFFERED = {
    Registration.State.ACTIVE: ("suspend", "cancel", "revoke"),
    Registration.State.SUSPENDED: ("reinstate", "suspend", "cancel", "revoke"),
}


def action_form(name: str, data=None):
    form_class, kind, _service = ACTIONS[name]
    return form_class(data, prefix=name) if kind is None else form_class(data, prefix=name, kind=kind)


class RegisterListView(AuthorityView, TemplateView):
    template_name = "authority/register_list.html"
    section = "register"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = RegisterSearchForm(self.request.GET or None)
        qs = selectors.registrations_visible_to(self.request.user)
        if form.is_bound and form.is_valid():
            qs = selectors.registrations_search(qs, query=form.cleaned_data["q"], state=form.cleaned_data["state"])
        page = pagination.keyset_page(qs, pagination.REGISTER_ORDER, self.request.GET, per_page=PAGE_SIZE)
        context.update(form=form, page=page, registrations=page.object_list)
        return context


class RegisterDetailView(AuthorityView, TemplateView):
    template_name = "authority/register_detail.html"
    section = "register"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        registration = selectors.registration_get(user=self.request.user, pk=self.kwargs["pk"])
        forms = kwargs.get("forms") or {}
        offered = OFFERED.get(registration.state, ())
        context.update(
            registration=registration,
            sites=registration.sites.select_related("institution").order_by("starts_on"),
            changes=registration.changes.select_related("actor", "ground"),
            actions=[(name, forms.get(name) or action_form(name)) for name in offered],
        )
        return context

    def post(self, request, pk, action):
        registration = selectors.registration_get(user=request.user, pk=pk)
        if action not in OFFERED.get(registration.state, ()):
            raise Http404
        form = action_form(action, request.POST)
        _form_class, _kind, service = ACTIONS[action]
        if form.is_valid():
            try:
                service(registration=registration, actor=request.user, **form.cleaned_data)
            except services.TransitionError as error:
                form.add_error(None, error.message)
            except ValidationError as error:
                add_errors(form, error)
            else:
                registration.refresh_from_db()
                messages.success(request, MSG_DONE % {"state": registration.get_state_display()})
                return redirect("authority:registration", pk=pk)
        return self.render_to_response(self.get_context_data(forms={action: form}), status=400)


# ---- Reports from institutions: departures and grounds for cancellation ----------------------

MSG_REPORT_DONE = {
    "note": _("The departure is recorded."),
    "confirm": _("Confirmed: the registration is cancelled. The physician and the institutions have been notified."),
    "reject": _("Not confirmed: the institution has been told why."),
}
REPORT_ACTIONS = {
    "note": institution_reports.report_note,
    "confirm": institution_reports.report_confirm,
    "reject": institution_reports.report_reject,
}
REPORT_OFFERED = {
    InstitutionReport.Kind.DEPARTURE: ("note",),
    InstitutionReport.Kind.CANCELLATION: ("confirm", "reject"),
}


def _report_form(report, action: str, data=None) -> ReinstateForm:
    """One action's comment form on a report's card; its ids carry the report, unique on the page."""
    return ReinstateForm(data, prefix=action, auto_id=f"id_report{report.pk}_%s")


class ReportQueueView(AuthorityView, TemplateView):
    """Departures and reported grounds for cancellation waiting for the authority, oldest first."""

    template_name = "authority/report_queue.html"
    section = "reports_in"

    def get_context_data(self, forms=None, **kwargs):
        context = super().get_context_data(**kwargs)
        page = pagination.keyset_page(
            report_selectors.report_queue(self.request.user),
            pagination.REPORT_QUEUE_ORDER,
            self.request.GET,
            per_page=PAGE_SIZE,
        )
        forms = forms or {}
        context.update(
            page=page,
            rows=[
                (
                    report,
                    [
                        (name, forms.get((report.pk, name)) or _report_form(report, name))
                        for name in REPORT_OFFERED[report.kind]
                    ],
                )
                for report in page.object_list
            ],
            handled=report_selectors.reports_handled(self.request.user)[:PAGE_SIZE],
        )
        return context

    def post(self, request, pk=None, action=None):
        if pk is None:  # the list itself takes no POST; each report has its own action URL
            return self.http_method_not_allowed(request)
        report = report_selectors.report_get(user=request.user, pk=pk)
        if action not in REPORT_OFFERED[report.kind]:
            raise Http404
        form = _report_form(report, action, request.POST)
        if form.is_valid():
            try:
                REPORT_ACTIONS[action](report=report, actor=request.user, **form.cleaned_data)
            except services.TransitionError as error:
                messages.error(request, error.message)
                return redirect("authority:report_queue")
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, MSG_REPORT_DONE[action])
                return redirect("authority:report_queue")
        return self.render_to_response(self.get_context_data(forms={(report.pk, action): form}), status=400)
