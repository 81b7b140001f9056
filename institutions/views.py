"""The institution portal (医疗机构端): hospital HR staff process the applications addressed to them.

Views only read through ``selectors`` and write through ``services``.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import TemplateView

from docregistry.accounts.models import Role
from docregistry.accounts.portals import PortalMixin
from docregistry.http import client_ip, document_response, pdf_response
from docregistry.registrations import reviewform, selectors, services
from docregistry.registrations.forms import ApplicationSearchForm
from docregistry.registrations.models import Application

from .forms import ApproveForm, ReturnForm

PAGE_SIZE = 20
BATCH_LIMIT = 100
MSG_APPROVED = _("Approved: the application has been sent to the health authority.")
MSG_RETURNED = _("Returned: the physician has been told the reason.")
MSG_NOTHING_SELECTED = _("Select at least one application to print.")
MSG_TOO_MANY = _("Print at most %(limit)s forms at a time.")

# What an institution can ever see: everything but drafts.
VISIBLE_STATES = [value for value, _label in Application.State.choices if value != Application.State.DRAFT]


class InstitutionView(PortalMixin):
    role = Role.INSTITUTION


class IndexView(InstitutionView, TemplateView):
    """医师申请业务办理: the searchable list, oldest waiting first."""

    template_name = "institutions/index.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = ApplicationSearchForm(self.request.GET or None, states=VISIBLE_STATES)
        qs = selectors.applications_visible_to(self.request.user)
        if form.is_bound:
            qs = selectors.applications_filter(qs, form.cleaned_data) if form.is_valid() else qs.none()
        else:
            qs = selectors.applications_filter(qs, {})
        page = Paginator(qs, PAGE_SIZE).get_page(self.request.GET.get("page"))
        context.update(
            form=form,
            page=page,
            rows=[(a, selectors.mask_id_number(a.physician.id_number)) for a in page.object_list],
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
        context = super().get_context_data(**kwargs)
        application = self.get_application()
        transitions = {t.name for t in services.available_transitions(application=application, user=self.request.user)}
        context.update(
            application=application,
            id_number=application.physician.id_number,
            work_periods=application.work_periods.all(),
            documents=application.documents.all(),
            timeline=application.status_changes.select_related("actor"),
            current_step=selectors.current_step(application),
            clock=selectors.decision_clock(application),
            can_approve="institution_approve" in transitions,
            can_return="institution_return" in transitions,
            approve_form=approve_form or ApproveForm(),
            return_form=return_form or ReturnForm(),
        )
        return context


class DecisionView(ApplicationMixin, TemplateView):
    """POST only: approve or return, then back to the review window."""

    template_name = ApplicationDetailView.template_name
    form_class = None
    form_name = ""
    success_message = ""
    http_method_names = ["post"]

    def decide(self, application, comment):
        raise NotImplementedError

    def post(self, request, *args, **kwargs):
        application = self.get_application()
        form = self.form_class(request.POST)
        if form.is_valid():
            try:
                self.decide(application, form.cleaned_data["comment"])
            except services.TransitionError as exc:
                messages.error(request, exc.message)
                return redirect("institutions:application", pk=application.pk)
            except ValidationError as exc:
                for error in exc.messages:
                    form.add_error("comment", error)
            else:
                messages.success(request, self.success_message)
                return redirect("institutions:application", pk=application.pk)
        view = ApplicationDetailView(request=request, kwargs=self.kwargs, args=self.args)
        context = view.get_context_data(**{self.form_name: form})
        return self.render_to_response(context, status=400)


class ApproveView(DecisionView):
    form_class = ApproveForm
    form_name = "approve_form"
    success_message = MSG_APPROVED

    def decide(self, application, comment):
        services.application_approve_by_institution(
            application=application, actor=self.request.user, comment=comment, ip=client_ip(self.request)
        )


class ReturnView(DecisionView):
    form_class = ReturnForm
    form_name = "return_form"
    success_message = MSG_RETURNED

    def decide(self, application, comment):
        services.application_return_by_institution(
            application=application, actor=self.request.user, comment=comment, ip=client_ip(self.request)
        )


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
