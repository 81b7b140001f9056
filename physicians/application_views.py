"""The physician portal's applications: list, new, edit, detail, submit, withdraw, institutions, documents.

Thin views over ``registrations.services`` and ``selectors``; the account pages are in ``views``.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from docregistry.accounts.models import Role
from docregistry.http import client_ip, document_response, pdf_response
from docregistry.public import certificates, signing
from docregistry.registrations import receipt, selectors, services
from docregistry.registrations.grounds import RIGHTS_NOTICE
from docregistry.registrations.models import Application, Document
from docregistry.registrations.presentation import current_step, next_step
from docregistry.registrations.workflow import EDITABLE_STATES
from docregistry.views import add_errors
from qualifications.selectors import qualification_match

from .forms import (
    DocumentForm,
    InstitutionSearchForm,
    NewApplicationForm,
    WorkPeriodFormSet,
    application_form_class,
)
from .steps import error_summary, form_steps
from .views import PhysicianMixin

# ---- Applications ------------------------------------------------------------------


class ApplicationListView(PhysicianMixin, TemplateView):
    template_name = "physicians/application_list.html"

    def get_context_data(self, **kwargs):
        applications = list(selectors.applications_visible_to(self.request.user).order_by("-created_at"))
        rows = [(application, current_step(application)) for application in applications]
        return super().get_context_data(rows=rows, **kwargs)


class ApplicationCreateView(PhysicianMixin, FormView):
    template_name = "physicians/application_new.html"
    form_class = NewApplicationForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.user.role == Role.PHYSICIAN:
            self.qualifications = qualification_match(name=request.user.real_name, id_number=request.user.id_number)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "qualifications": self.qualifications}

    def get_initial(self):
        return {"type": self.request.GET.get("type", "")}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            open_application=selectors.open_application_for(self.request.user),
            has_qualification=self.qualifications.exists(),
            **kwargs,
        )

    def form_valid(self, form):
        try:
            application = services.application_create(physician=self.request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("A draft has been created. Fill it in, then submit it."))
        return redirect("physicians:application_edit", pk=application.pk)


def work_period_rows(application: Application) -> list[dict]:
    return [
        {"starts_on": p.starts_on, "ends_on": p.ends_on, "employer": p.employer, "position": p.position}
        for p in application.work_periods.all()
    ]


class ApplicationMixin(PhysicianMixin):
    """Loads the application named in the URL through the selector: another physician's is a 404."""

    def get_application(self) -> Application:
        return selectors.application_get(user=self.request.user, pk=self.kwargs["pk"])


def periods_from(formset) -> list[dict] | None:
    """The work periods the physician kept (ticked rows left out); None for a type without a work history."""
    if formset is None:
        return None
    return [f.cleaned_data for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]


def periods_checked(formset) -> list[str]:
    """The work-history errors of periods typed next to a field error, so every error shows at once."""
    if formset is None or not formset.is_valid():
        return []
    try:
        services.work_periods_clean(periods_from(formset))
    except ValidationError as exc:
        return pop_period_errors(exc)
    return []


def pop_period_errors(exc: ValidationError) -> list[str]:
    """Take the work-history messages out of a service's errors (they show above the periods)."""
    if not hasattr(exc, "error_dict") or "work_periods" not in exc.error_dict:
        return []
    return [m for e in exc.error_dict.pop("work_periods") for m in e.messages]


class ApplicationEditView(ApplicationMixin, TemplateView):
    """The whole application on one page, in five steps; one submit sends the fields and a file together.

    Every button saves what was typed: "Upload" and "Remove" on a document save the draft too, and a file
    sent with fields that fail is still kept, so no typed value and no chosen file is lost.
    """

    template_name = "physicians/application_edit.html"

    def get(self, request, *args, **kwargs):
        application = self.get_application()
        if application.state not in EDITABLE_STATES:
            return redirect("physicians:application_detail", pk=application.pk)
        return self.render_to_response(self.context(application))

    def forms(self, application, data=None):
        """The type's own form and, for a type with a work history, the periods."""
        form_class = application_form_class(application.kind)
        form = form_class(
            data,
            instance=application,
            scopes=selectors.practice_scopes_for(application.category),
            two_year_rule=services.two_year_rule_applies(application=application),
        )
        formset = None
        if application.kind.work_history:
            formset = WorkPeriodFormSet(data, initial=work_period_rows(application), prefix="periods")
        return form, formset

    def document_form(self, application, two_year_rule: bool) -> DocumentForm:
        documents = application.documents.all()
        proof_missing = two_year_rule and not documents.filter(kind=Document.Kind.TRAINING_PROOF).exists()
        return DocumentForm(prefix="doc", initial={"kind": Document.Kind.TRAINING_PROOF} if proof_missing else {})

    def context(self, application, form=None, formset=None, period_errors=(), document_form=None, document_errors=()):
        if form is None:
            form, formset = self.forms(application)
        return_reason = ""
        if application.state == Application.State.RETURNED:
            last_return = application.status_changes.filter(to_state=Application.State.RETURNED).last()
            return_reason = last_return.comment if last_return else ""
        two_year_reason = services.two_year_rule_reason(application=application)
        document_form = document_form or self.document_form(application, bool(two_year_reason))
        documents = list(application.documents.all())
        errors, per_step = error_summary(
            form=form,
            formset=formset,
            period_errors=period_errors,
            document_form=document_form,
            document_errors=document_errors,
        )
        return self.get_context_data(
            document_errors=document_errors,
            application=application,
            return_reason=return_reason,
            form=form,
            formset=formset,
            period_errors=period_errors,
            document_form=document_form,
            documents=documents,
            two_year_rule=bool(two_year_reason),
            two_year_reason=two_year_reason,
            qualified_on=services.application_qualified_on(application),
            has_training_proof=any(d.kind == Document.Kind.TRAINING_PROOF for d in documents),
            error_links=errors,
            steps=form_steps(
                application,
                documents=documents,
                has_periods=bool(formset is not None and formset.initial),
                two_year_rule=bool(two_year_reason),
                errors=per_step,
            ),
            window_notice=window_notice(application),
            institution_search_form=InstitutionSearchForm(),
        )

    def post(self, request, *args, **kwargs):
        application = self.get_application()
        form, formset = self.forms(application, request.POST)
        document_form = self.documents_change(application)  # first: a chosen file is kept whatever the fields
        if not form.is_valid() or (formset is not None and not formset.is_valid()):
            return self.rerender(application, form, formset, periods_checked(formset), document_form)
        try:
            application = services.application_update(
                application=application, actor=request.user, data=form.cleaned_data, work_periods=periods_from(formset)
            )
        except services.TransitionError as exc:
            messages.error(request, exc.message)
            return redirect("physicians:application_detail", pk=application.pk)
        except ValidationError as exc:
            period_errors = pop_period_errors(exc)
            if not hasattr(exc, "error_dict") or exc.error_dict:
                add_errors(form, exc)
            return self.rerender(application, form, formset, period_errors, document_form)
        if document_form is not None and document_form.errors:
            return self.rerender(application, form, formset, document_form=document_form)
        if "pick_institution" in request.POST:
            return redirect("physicians:institution_pick", pk=application.pk)
        if "submit" in request.POST:
            return self.submit(application, form, formset)
        if "upload" in request.POST or "remove_document" in request.POST:
            return HttpResponseRedirect(
                reverse("physicians:application_edit", args=[application.pk]) + "#step-documents"
            )
        messages.success(request, _("Saved. You can come back and continue later."))
        return redirect("physicians:application_edit", pk=application.pk)

    def rerender(self, application, form, formset, period_errors=(), document_form=None):
        context = self.context(
            application, form=form, formset=formset, period_errors=period_errors, document_form=document_form
        )
        return self.render_to_response(context)

    def documents_change(self, application) -> DocumentForm | None:
        """Remove the document named by "Remove", store the file sent with the form; the form when it has errors."""
        request = self.request
        if remove := request.POST.get("remove_document"):
            try:
                document = selectors.document_get(user=request.user, pk=int(remove))
            except ValueError:
                raise Http404 from None
            document_remove(request, document)
        if not request.FILES.get("doc-file"):
            if "upload" in request.POST:
                form = DocumentForm(request.POST, request.FILES, prefix="doc")
                form.is_valid()  # "choose a file" next to the file field
                return form
            return None
        form = DocumentForm(request.POST, request.FILES, prefix="doc")
        if form.is_valid():
            try:
                services.document_add(application=application, actor=request.user, **form.cleaned_data)
            except services.TransitionError as exc:
                form.add_error(None, exc.message)
            except ValidationError as exc:
                form.add_error("file", exc.messages)
            else:
                messages.success(request, _("The document has been uploaded."))
                return None
        return form

    def submit(self, application, form, formset):
        try:
            services.application_submit(application=application, actor=self.request.user, ip=client_ip(self.request))
        except services.TransitionError as exc:
            messages.error(self.request, exc.message)
            return redirect("physicians:application_detail", pk=application.pk)
        except ValidationError as exc:
            document_errors = []
            if hasattr(exc, "error_dict") and "documents" in exc.error_dict:
                document_errors = [m for e in exc.error_dict.pop("documents") for m in e.messages]
            if not hasattr(exc, "error_dict") or exc.error_dict:
                add_errors(form, exc)
            return self.render_to_response(
                self.context(application, form=form, formset=formset, document_errors=document_errors)
            )
        messages.success(self.request, _("Your application has been submitted."))
        return redirect("physicians:application_detail", pk=application.pk)


def window_notice(application: Application) -> str:
    """When first registrations are not accepted now in the institution's region: when they will be."""
    try:
        services.application_check_window(application=application)
    except ValidationError as exc:
        return exc.messages[0]
    return ""


def submit(request, application: Application):
    try:
        services.application_submit(application=application, actor=request.user, ip=client_ip(request))
    except services.TransitionError as exc:
        messages.error(request, exc.message)
        return redirect("physicians:application_detail", pk=application.pk)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("physicians:application_edit", pk=application.pk)
    messages.success(request, _("Your application has been submitted."))
    return redirect("physicians:application_detail", pk=application.pk)


class ApplicationDetailView(ApplicationMixin, TemplateView):
    template_name = "physicians/application_detail.html"

    def get_context_data(self, **kwargs):
        dossier = selectors.application_dossier(user=self.request.user, pk=self.kwargs["pk"])
        actions = dossier.actions
        application = dossier.application
        # The authority is named, with its office, only once the institution has passed the application on.
        awaiting_authority = application.state == Application.State.INSTITUTION_APPROVED
        authority = selectors.deciding_authority(application.institution) if awaiting_authority else None
        step = next_step(application, authority=authority)
        return super().get_context_data(
            **dossier.as_context(),
            next_step=step,
            authority=authority,
            has_receipt=receipt.receipt_available(application),
            roles=dict(Role.choices),
            can_edit=dossier.application.state in EDITABLE_STATES,
            window_notice=window_notice(dossier.application) if "submit" in actions else "",
            rights_notice=RIGHTS_NOTICE,
            **kwargs,
        )


class ApplicationSubmitView(ApplicationMixin, View):
    def post(self, request, pk):
        return submit(request, self.get_application())


class ApplicationWithdrawView(ApplicationMixin, View):
    def post(self, request, pk):
        application = self.get_application()
        try:
            services.application_withdraw(application=application, actor=request.user, ip=client_ip(request))
        except services.TransitionError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Your application has been withdrawn."))
        return redirect("physicians:application_detail", pk=application.pk)


# ---- Institutions --------------------------------------------------------------------


def institution_json(institution) -> dict:
    return {
        "id": institution.pk,
        "name": institution.name,
        "registration_number": institution.registration_number,
        "address": institution.address,
        "postcode": institution.postcode,
    }


class InstitutionSearchView(PhysicianMixin, View):
    """``?q=`` → the matching institutions as JSON, for the search box."""

    def get(self, request):
        results = selectors.institutions_search(request.GET.get("q", ""), limit=20)
        return JsonResponse({"results": [institution_json(i) for i in results]})


class InstitutionPickView(ApplicationMixin, TemplateView):
    """The same search without JavaScript: a results list with a button per institution."""

    template_name = "physicians/institution_pick.html"

    def get_context_data(self, **kwargs):
        form = InstitutionSearchForm(self.request.GET or None)
        query = form.cleaned_data["q"] if form.is_valid() else ""
        return super().get_context_data(
            application=self.get_application(),
            form=form,
            query=query,
            results=list(selectors.institutions_search(query)),
            **kwargs,
        )

    def post(self, request, pk):
        application = self.get_application()
        try:
            institution = selectors.institution_choosable_get(pk=int(request.POST.get("institution", "")))
        except ValueError:
            raise Http404 from None
        try:
            services.application_update(application=application, actor=request.user, data={"institution": institution})
        except services.TransitionError as exc:
            messages.error(request, exc.message)
            return redirect("physicians:application_detail", pk=application.pk)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        return redirect("physicians:application_edit", pk=application.pk)


# ---- Documents ---------------------------------------------------------------------


class DocumentUploadView(ApplicationMixin, View):
    def post(self, request, pk):
        application = self.get_application()
        form = DocumentForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.document_add(application=application, actor=request.user, **form.cleaned_data)
            except services.TransitionError as exc:
                messages.error(request, exc.message)
            except ValidationError as exc:
                for message in exc.messages:
                    messages.error(request, message)
            else:
                messages.success(request, _("The document has been uploaded."))
        else:
            for errors in form.errors.values():
                for message in errors:
                    messages.error(request, message)
        return HttpResponseRedirect(reverse("physicians:application_edit", args=[application.pk]) + "#documents")


def document_remove(request, document) -> None:
    """Remove the physician's document, saying so or why not."""
    try:
        services.document_delete(document=document, actor=request.user)
    except services.TransitionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The document has been removed."))


class DocumentDeleteView(PhysicianMixin, View):
    def post(self, request, pk):
        document = selectors.document_get(user=request.user, pk=pk)
        document_remove(request, document)
        return HttpResponseRedirect(
            reverse("physicians:application_edit", args=[document.application_id]) + "#documents"
        )


class CertificateView(PhysicianMixin, View):
    """The electronic practice certificate of a registration in force, signed; another's is a 404."""

    def get(self, request, pk):
        registration = get_object_or_404(selectors.registrations_in_force(request.user), pk=pk)
        if not signing.is_configured():
            messages.error(request, signing.MSG_UNAVAILABLE)
            return redirect("physicians:index")
        issued = certificates.certificate_issue(registration=registration)
        return pdf_response(certificates.certificate_pdf(issued), certificates.certificate_filename(issued))


class DocumentDownloadView(PhysicianMixin, View):
    """Served only through ``document_get``: another physician's document is a 404."""

    def get(self, request, pk):
        document = selectors.document_get(user=request.user, pk=pk)
        return document_response(document, download="download" in request.GET)
