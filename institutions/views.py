"""The institution portal (医疗机构端): hospital HR staff process the applications addressed to them.

Views only read through ``selectors`` and write through ``services``.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from docregistry.accounts.models import Role
from docregistry.accounts.portals import PortalMixin
from docregistry.http import client_ip, document_response, pdf_response
from docregistry.registrations import pagination, reviewform, selectors, services
from docregistry.registrations.forms import ApplicationSearchForm
from docregistry.registrations.models import Application
from docregistry.registrations.presentation import mask_id_number
from docregistry.registrations.workflow import visible_states
from docregistry.views import DecisionView as BaseDecisionView

from .forms import ApproveForm, ReturnForm

PAGE_SIZE = 20
BATCH_LIMIT = 100
MSG_APPROVED = _("Approved: the application has been sent to the health authority.")
MSG_RETURNED = _("Returned: the physician has been told the reason.")
MSG_NOTHING_SELECTED = _("Select at least one application to print.")
MSG_TOO_MANY = _("Print at most %(limit)s forms at a time.")


class InstitutionView(PortalMixin):
    role = Role.INSTITUTION


class IndexView(InstitutionView, TemplateView):
    """医师申请业务办理: the searchable list, oldest waiting first."""

    template_name = "institutions/index.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = ApplicationSearchForm(self.request.GET or None, states=visible_states(self.request.user))
        qs = selectors.applications_visible_to(self.request.user)
        if form.is_bound:
            qs = selectors.applications_filter(qs, form.cleaned_data) if form.is_valid() else qs.none()
        else:
            qs = selectors.applications_filter(qs, {})
        page = pagination.keyset_page(qs, pagination.INSTITUTION_ORDER, self.request.GET, per_page=PAGE_SIZE)
        context.update(
            form=form,
            page=page,
            rows=[(a, mask_id_number(a.physician.id_number)) for a in page.object_list],
            waiting=selectors.applications_visible_to(self.request.user)
            .filter(state=Application.State.SUBMITTED)
            .count(),
            batch_limit=BATCH_LIMIT,
        )
        return context


class ApplicationMixin(InstitutionView):
    def get_application(self) -> Application:
        return selectors.application_get(user=self.request.user, pk=self.kwargs["pk"])


class ApplicationDetailView(ApplicationMixin, TemplateView):
    """办理业务: the whole application, its documents and timeline, and the decision."""

    template_name = "institutions/application_detail.html"

    def get_context_data(self, approve_form=None, return_form=None, **kwargs):
        dossier = selectors.application_dossier(user=self.request.user, pk=self.kwargs["pk"])
        return super().get_context_data(
            **dossier.as_context(),
            id_number=dossier.application.physician.id_number,
            approve_form=approve_form or ApproveForm(),
            return_form=return_form or ReturnForm(),
            **kwargs,
        )


class DecisionView(InstitutionView, BaseDecisionView):
    detail_view = ApplicationDetailView
    detail_url = "institutions:application"


class ApproveView(DecisionView):
    form_class = ApproveForm
    form_name = "approve_form"

    def decide(self, application, data):
        services.application_approve_by_institution(
            application=application, actor=self.request.user, comment=data["comment"], ip=client_ip(self.request)
        )
        return MSG_APPROVED


class ReturnView(DecisionView):
    form_class = ReturnForm
    form_name = "return_form"

    def decide(self, application, data):
        services.application_return_by_institution(
            application=application, actor=self.request.user, comment=data["comment"], ip=client_ip(self.request)
        )
        return MSG_RETURNED


class PrintPreviewView(ApplicationMixin, TemplateView):
    """打印预览: the review form as an HTML page, the same content as the PDF."""

    template_name = "institutions/print_preview.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        application = self.get_application()
        context.update(application=application, forms=[reviewform.form_context(application)])
        return context


class ReviewFormPdfView(ApplicationMixin, View):
    """The coded review form as a PDF (print two copies)."""

    def get(self, request, *args, **kwargs):
        application = self.get_application()
        return pdf_response(reviewform.render_review_form(application), reviewform.pdf_filename([application]))


class BatchPrintView(InstitutionView, View):
    """Several selected applications, one PDF; any one not addressed to this institution is a 404."""

    def get(self, request):
        try:
            pks = sorted({int(pk) for pk in request.GET.getlist("pk")})
        except ValueError as exc:
            raise Http404 from exc
        if not pks:
            messages.error(request, MSG_NOTHING_SELECTED)
            return redirect(reverse("institutions:index") + self.back_query())
        if len(pks) > BATCH_LIMIT:
            messages.error(request, MSG_TOO_MANY % {"limit": BATCH_LIMIT})
            return redirect(reverse("institutions:index") + self.back_query())
        applications = list(
            selectors.applications_filter(
                selectors.applications_visible_to(request.user).filter(pk__in=pks), {}
            ).prefetch_related("work_periods")
        )
        if len(applications) != len(pks):
            raise Http404
        return pdf_response(reviewform.render_review_forms(applications), reviewform.pdf_filename(applications))

    def back_query(self) -> str:
        query = self.request.GET.copy()
        query.pop("pk", None)
        return f"?{query.urlencode()}" if query else ""


class DocumentView(InstitutionView, View):
    """An uploaded document of an application addressed to this institution."""

    def get(self, request, pk):
        return document_response(selectors.document_get(user=request.user, pk=pk))
