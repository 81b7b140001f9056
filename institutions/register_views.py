"""The institution portal's register pages: 在职医师, departure reports and reported grounds for cancellation.

The rules live in ``docregistry.registrations.institution_reports``; these views parse input and render.
A report is made in two steps: the form, then a confirmation that states what follows.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from docregistry.registrations import institution_reports as reports
from docregistry.registrations import pagination, report_selectors, selectors, services
from docregistry.registrations.register_models import InstitutionReport
from docregistry.views import add_errors

from .forms import CancellationReportForm, DepartureForm, PhysicianSearchForm
from .views import PAGE_SIZE, InstitutionView

MSG_DEPARTURE_FILED = _("The departure of %(name)s has been filed with the health authority.")
MSG_CANCELLATION_FILED = _("The report on %(name)s has been sent to the health authority, which will decide.")
CONSEQUENCE_MAIN = _(
    "The departure of %(name)s (%(reason)s, %(date)s) is filed with the health authority and the physician is "
    "told. Registration %(code)s is cancelled two years after that date unless a new main institution is "
    "registered by then."
)
CONSEQUENCE_SITE = _(
    "The filing of %(name)s to practise at your institution ends on %(date)s; the physician and the main "
    "institution are told."
)
CONSEQUENCE_CANCEL = _(
    "The health authority checks the report. If it confirms it, registration %(code)s is cancelled on the ground "
    "“%(ground)s”, and the physician and every institution where they practise are told."
)

# Each action: its form, the check (nothing written), the service, the message once filed.
ACTIONS = {
    "depart": (DepartureForm, reports.departure_check, reports.departure_report, MSG_DEPARTURE_FILED),
    "cancel": (CancellationReportForm, reports.cancellation_check, reports.cancellation_report, MSG_CANCELLATION_FILED),
}


class PhysicianListView(InstitutionView, TemplateView):
    """在职医师: the physicians registered or filed at the institution, with the reports it made."""

    template_name = "institutions/physicians.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = PhysicianSearchForm(self.request.GET or None)
        qs = report_selectors.physicians_at_institution(self.request.user)
        if form.is_bound and form.is_valid():
            qs = selectors.registrations_search(qs, query=form.cleaned_data["q"])
        page = pagination.keyset_page(qs, pagination.PHYSICIANS_ORDER, self.request.GET, per_page=PAGE_SIZE)
        institution_id = self.request.user.institution_id
        context.update(
            form=form,
            page=page,
            rows=[(r, r.institution_id == institution_id) for r in page.object_list],
            reasons=dict(InstitutionReport.Reason.choices),
            reports=report_selectors.reports_by_institution(self.request.user)[:PAGE_SIZE],
        )
        return context


class ReportView(InstitutionView, TemplateView):
    """GET: the form. POST: the confirmation stating the consequence; POST with ``confirmed``: the report."""

    template_name = "institutions/report_form.html"

    def dispatch(self, request, *args, **kwargs):
        if kwargs["action"] not in ACTIONS:
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, form=None, consequence="", **kwargs):
        context = super().get_context_data(**kwargs)
        registration = report_selectors.physician_at_institution_get(user=self.request.user, pk=self.kwargs["pk"])
        form_class = ACTIONS[self.kwargs["action"]][0]
        context.update(
            registration=registration,
            main=registration.institution_id == self.request.user.institution_id,
            action=self.kwargs["action"],
            form=form or form_class(),
            consequence=consequence,
        )
        return context

    def post(self, request, pk, action):
        registration = report_selectors.physician_at_institution_get(user=request.user, pk=pk)
        form_class, check, report, done = ACTIONS[action]
        form = form_class(request.POST)
        if request.POST.get("edit"):  # back from the confirmation, with what was typed
            return self.render_to_response(self.get_context_data(form=form))
        if form.is_valid():
            data = form.cleaned_data
            try:
                if request.POST.get("confirmed"):
                    report(registration=registration, actor=request.user, **data)
                    messages.success(request, done % {"name": registration.physician.real_name})
                    return redirect("institutions:physicians")
                result = check(
                    registration=registration, actor=request.user, **{k: v for k, v in data.items() if k != "comment"}
                )
            except services.TransitionError as error:
                messages.error(request, error.message)
                return redirect("institutions:physicians")
            except ValidationError as error:
                add_errors(form, error)
            else:
                return self.render_to_response(
                    self.get_context_data(form=form, consequence=self.consequence(registration, action, data, result))
                )
        return self.render_to_response(self.get_context_data(form=form), status=400)

    @staticmethod
    def consequence(registration, action, data, result) -> str:
        values = {"name": registration.physician.real_name, "code": registration.certificate_code}
        if action == "cancel":
            return CONSEQUENCE_CANCEL % {**values, "ground": result.text}
        values.update(date=data["left_on"].isoformat(), reason=InstitutionReport.Reason(data["reason"]).label)
        return (CONSEQUENCE_MAIN if result else CONSEQUENCE_SITE) % values
