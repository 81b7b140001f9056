"""The authority portal: queue, final review, institutions, registration windows, reports.

Views only parse input, call a selector or a service and render; the rules live
in ``docregistry.registrations``.
"""

import tempfile

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from docregistry.accounts.models import Role
from docregistry.accounts.portals import PortalMixin
from docregistry.http import client_ip, document_response, pdf_response
from docregistry.registrations import pagination, reports, reviewform, selectors, services
from docregistry.registrations.models import Application
from docregistry.registrations.presentation import decision_clocks, mask_id_number, mask_mobile
from docregistry.registrations.workflow import jurisdiction_prefix, visible_states
from docregistry.views import DecisionView as BaseDecisionView
from docregistry.views import add_errors

from .forms import (
    AcceptForm,
    ApplicationSearchForm,
    ApproveForm,
    InstitutionForm,
    OfficeForm,
    OpenByNumberForm,
    RefuseForm,
    ReportForm,
    ReturnForm,
    WindowForm,
)

MSG_NOT_FOUND_BY_NUMBER = _("No application %(number)s in your jurisdiction is waiting for or past your review.")
MSG_ACCEPTED = _("Paper materials accepted. The decision is due by %(date)s.")
MSG_APPROVED = _("Approved. Practice certificate code: %(code)s.")
MSG_RETURNED = _("Returned to the physician.")
MSG_REFUSED = _("Refused. The physician and the institution have been notified.")
MSG_INSTITUTION_CREATED = _(
    "Institution created. Username %(username)s; the one-time password was sent by SMS to %(mobile)s."
)
MSG_PASSWORD_RESET = _("A new one-time password for %(username)s was sent by SMS to %(mobile)s.")
MSG_DEACTIVATED = _("The institution is deactivated; its staff can no longer sign in.")
MSG_REACTIVATED = _("The institution is active again.")
MSG_WINDOW_CREATED = _("Registration window added.")
MSG_WINDOW_DELETED = _("Registration window removed.")
MSG_OFFICE_SAVED = _("Saved. Physicians whose application an institution confirmed now see these details.")

PAGE_SIZE = 20


class AuthorityView(PortalMixin):
    role = Role.AUTHORITY
    section = ""

    def account_gate(self, request):
        gate = super().account_gate(request)
        if gate is None and request.user.authority_id is None:
            return render(request, "authority/no_authority.html", status=403)
        return gate

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["section"] = self.section
        context["authority"] = self.request.user.authority
        return context


# ---- Queue and opening by code -------------------------------------------------


class IndexView(AuthorityView, TemplateView):
    """The queue: applications confirmed by an institution, oldest first; the search narrows it."""

    template_name = "authority/index.html"
    section = "queue"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        data = self.request.GET.copy()
        if "state" not in data:
            data["state"] = Application.State.INSTITUTION_APPROVED
        form = ApplicationSearchForm(data, states=visible_states(self.request.user))
        qs = selectors.applications_visible_to(self.request.user)
        qs = selectors.applications_filter(qs, form.cleaned_data) if form.is_valid() else qs.none()
        page = pagination.keyset_page(qs, pagination.QUEUE_ORDER, self.request.GET, per_page=PAGE_SIZE)
        today = timezone.localdate()
        context.update(
            form=form,
            open_form=OpenByNumberForm(),
            page=page,
            applications=page.object_list,
            rows=list(zip(page.object_list, decision_clocks(page.object_list, today=today), strict=True)),
        )
        return context


class OpenByNumberView(AuthorityView, View):
    """``?number=`` from the scanner field, or ``/open/<number>/``: straight to the review page."""

    def get(self, request, number=None):
        raw = number or request.GET.get("number", "")
        try:
            application = selectors.application_get_by_number(user=request.user, number=raw)
        except Http404:
            if number is not None:
                raise
            messages.error(request, MSG_NOT_FOUND_BY_NUMBER % {"number": raw.strip()})
            return redirect("authority:index")
        return redirect("authority:application", pk=application.pk)


# ---- Final review ----------------------------------------------------------------


class ApplicationDetailView(AuthorityView, TemplateView):
    template_name = "authority/application_detail.html"
    section = "queue"

    def get_context_data(self, **kwargs):
        dossier = selectors.application_dossier(user=self.request.user, pk=self.kwargs["pk"])
        application = dossier.application
        kwargs.setdefault(
            "approve_form", ApproveForm(application=application, initial={"checklist": application.checklist})
        )
        kwargs.setdefault("accept_form", AcceptForm())
        kwargs.setdefault("return_form", ReturnForm())
        kwargs.setdefault("refuse_form", RefuseForm())
        return super().get_context_data(
            **dossier.as_context(),
            masked_id=mask_id_number(application.physician.id_number),
            checklist_labels=[item.label for item in dossier.paper_checklist if item.code in application.checklist],
            **kwargs,
        )


class DecisionView(AuthorityView, BaseDecisionView):
    detail_view = ApplicationDetailView
    detail_url = "authority:application"


class AcceptView(DecisionView):
    """受理: the clerk has the paper materials; the 20-working-day clock starts."""

    form_class = AcceptForm
    form_name = "accept_form"

    def decide(self, application, data):
        application = services.application_accept_by_authority(
            application=application, actor=self.request.user, ip=client_ip(self.request)
        )
        return MSG_ACCEPTED % {"date": application.decision_due_on.isoformat()}


class ApproveView(DecisionView):
    form_class = ApproveForm
    form_name = "approve_form"

    def make_form(self, application, data):
        return ApproveForm(data, application=application)

    def decide(self, application, data):
        application = services.application_approve_by_authority(
            application=application,
            actor=self.request.user,
            checklist=data["checklist"],
            comment=data["comment"],
            ip=client_ip(self.request),
        )
        return MSG_APPROVED % {"code": application.practice_certificate_code}


class ReturnView(DecisionView):
    form_class = ReturnForm
    form_name = "return_form"

    def decide(self, application, data):
        services.application_return_by_authority(
            application=application, actor=self.request.user, comment=data["comment"], ip=client_ip(self.request)
        )
        return MSG_RETURNED


class RefuseView(DecisionView):
    form_class = RefuseForm
    form_name = "refuse_form"

    def decide(self, application, data):
        services.application_refuse(
            application=application,
            actor=self.request.user,
            ground=data["ground"],
            comment=data["comment"],
            ip=client_ip(self.request),
        )
        return MSG_REFUSED


class ReviewFormPdfView(AuthorityView, View):
    """The coded review form, as the institution printed it (with the certificate code once issued)."""

    def get(self, request, pk):
        application = selectors.application_get(user=request.user, pk=pk)
        return pdf_response(reviewform.render_review_form(application), reviewform.pdf_filename([application]))


class DocumentView(AuthorityView, View):
    def get(self, request, pk):
        return document_response(selectors.document_get(user=request.user, pk=pk))


# ---- Institutions ----------------------------------------------------------------


class InstitutionListView(AuthorityView, TemplateView):
    template_name = "authority/institution_list.html"
    section = "institutions"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.get("q", "").strip()
        qs = selectors.institutions_visible_to(self.request.user).order_by("-is_active", "name")
        if query:
            qs = qs.filter(name__icontains=query) | qs.filter(registration_number__icontains=query)
        page = Paginator(qs, PAGE_SIZE).get_page(self.request.GET.get("page"))
        context.update(page=page, institutions=page.object_list, q=query)
        return context


class InstitutionCreateView(AuthorityView, TemplateView):
    template_name = "authority/institution_form.html"
    section = "institutions"

    def get_form(self, data=None):
        return InstitutionForm(data, prefix_code=jurisdiction_prefix(self.request.user))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", self.get_form())
        return context

    def post(self, request):
        form = self.get_form(request.POST)
        if form.is_valid():
            try:
                institution, staff = services.institution_create_with_account(actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(
                    request,
                    MSG_INSTITUTION_CREATED % {"username": staff.username, "mobile": mask_mobile(institution.mobile)},
                )
                return redirect("authority:institution", pk=institution.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class InstitutionDetailView(AuthorityView, TemplateView):
    template_name = "authority/institution_detail.html"
    section = "institutions"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        institution = selectors.institution_get(user=self.request.user, pk=self.kwargs["pk"])
        context.update(
            institution=institution,
            staff=institution.staff.order_by("pk"),
            mobile=mask_mobile(institution.mobile),
        )
        return context


class InstitutionActionView(AuthorityView, View):
    def post(self, request, pk):
        institution = selectors.institution_get(user=request.user, pk=pk)
        try:
            messages.success(request, self.act(institution))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect("authority:institution", pk=pk)


class InstitutionPasswordResetView(InstitutionActionView):
    def act(self, institution):
        staff = services.institution_staff_password_reset(actor=self.request.user, institution=institution)
        return MSG_PASSWORD_RESET % {"username": staff.username, "mobile": mask_mobile(institution.mobile)}


class InstitutionDeactivateView(InstitutionActionView):
    def act(self, institution):
        services.institution_deactivate(actor=self.request.user, institution=institution)
        return MSG_DEACTIVATED


class InstitutionReactivateView(InstitutionActionView):
    def act(self, institution):
        services.institution_reactivate(actor=self.request.user, institution=institution)
        return MSG_REACTIVATED


# ---- Registration windows ------------------------------------------------------


class WindowListView(AuthorityView, TemplateView):
    template_name = "authority/windows.html"
    section = "windows"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", WindowForm())
        context.update(
            windows=selectors.registration_windows_visible_to(self.request.user).order_by("starts_on"),
            today=timezone.localdate(),
        )
        return context

    def post(self, request):
        form = WindowForm(request.POST)
        if form.is_valid():
            try:
                services.registration_window_create(actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, MSG_WINDOW_CREATED)
                return redirect("authority:windows")
        return self.render_to_response(self.get_context_data(form=form), status=400)


class WindowDeleteView(AuthorityView, View):
    def post(self, request, pk):
        window = selectors.registration_window_get(user=request.user, pk=pk)
        services.registration_window_delete(actor=request.user, window=window)
        messages.success(request, MSG_WINDOW_DELETED)
        return redirect("authority:windows")


# ---- The office physicians come to -----------------------------------------------


class OfficeView(AuthorityView, TemplateView):
    """The clerk's own authority: address, opening hours and phone shown to physicians."""

    template_name = "authority/office.html"
    section = "office"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", OfficeForm(instance=self.request.user.authority))
        return context

    def post(self, request):
        form = OfficeForm(request.POST, instance=request.user.authority)
        if form.is_valid():
            try:
                services.authority_office_update(actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, MSG_OFFICE_SAVED)
                return redirect("authority:office")
        return self.render_to_response(self.get_context_data(form=form), status=400)


# ---- Reports ---------------------------------------------------------------------


class ReportMixin(AuthorityView):
    def build_report(self):
        form = ReportForm(self.request.GET or None)
        dates = form.cleaned_data if form.is_bound and form.is_valid() else {}
        report = reports.report_build(
            user=self.request.user, date_from=dates.get("date_from"), date_to=dates.get("date_to")
        )
        return form, report


class ReportView(ReportMixin, TemplateView):
    template_name = "authority/reports.html"
    section = "reports"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form, report = self.build_report()
        context.update(
            form=form,
            report=report,
            state_chart=reports.bar_chart([(label, n) for _v, label, n in report.by_state]),
            type_chart=reports.bar_chart([(label, n) for _v, label, n in report.by_type]),
            querystring=self.request.GET.urlencode(),
        )
        return context


class ReportCsvView(ReportMixin, View):
    """Streamed: the response starts with the first line and never holds the whole file."""

    def get(self, request):
        _form, report = self.build_report()
        response = StreamingHttpResponse(reports.report_csv(report), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="report-{timezone.localdate():%Y%m%d}.csv"'
        return response


class ReportXlsxView(ReportMixin, View):
    """Written row by row to a temporary file, then streamed from it (an XLSX is a ZIP: it ends with its index)."""

    def get(self, request):
        _form, report = self.build_report()
        out = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it once sent
        reports.report_xlsx(report, out)
        out.seek(0)
        return FileResponse(
            out,
            as_attachment=True,
            filename=f"report-{timezone.localdate():%Y%m%d}.xlsx",
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
