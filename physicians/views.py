"""The physician portal: thin views over ``accounts.services`` and ``registrations.services``/``selectors``."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from docregistry.accounts import services as accounts
from docregistry.accounts.models import Role, SmsCode
from docregistry.accounts.portals import PortalMixin
from docregistry.http import client_ip, document_response
from docregistry.registrations import selectors, services
from docregistry.registrations.models import OPEN_STATES, Application
from docregistry.registrations.presentation import current_step, mask_mobile
from docregistry.registrations.workflow import EDITABLE_STATES
from docregistry.views import add_errors
from qualifications.selectors import qualification_match

from .forms import (
    CodeForm,
    DocumentForm,
    EmailForm,
    IdentityForm,
    InstitutionSearchForm,
    MobileForm,
    NewApplicationForm,
    PhysicianPasswordResetForm,
    ResetConfirmForm,
    ResetRequestForm,
    SignupForm,
    WorkPeriodFormSet,
    application_form_class,
)

SESSION_NEW_MOBILE = "physicians:new_mobile"
SESSION_RESET = "physicians:reset"


def error_codes(exc: ValidationError) -> set[str]:
    errors = exc.error_dict.values() if hasattr(exc, "error_dict") else [exc.error_list]
    return {error.code for group in errors for error in group if error.code}


class PhysicianMixin(PortalMixin):
    """Every physician page: until the mobile number is verified, only activation is reachable."""

    role = Role.PHYSICIAN
    allow_inactive = False

    def account_gate(self, request):
        gate = super().account_gate(request)
        if gate is not None:
            return gate
        if not self.allow_inactive and request.user.mobile_verified_at is None:
            return redirect("physicians:activate")
        return None


class PublicMixin:
    """Pages for visitors (sign-up, recovery); a signed-in physician goes home."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.user.role == Role.PHYSICIAN:
            return redirect("physicians:index")
        return super().dispatch(request, *args, **kwargs)


# ---- Home --------------------------------------------------------------------


class IndexView(PhysicianMixin, TemplateView):
    template_name = "physicians/index.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        open_application = (
            selectors.applications_visible_to(user).filter(state__in=OPEN_STATES).order_by("-created_at").first()
        )
        return super().get_context_data(
            registrations=list(selectors.registrations_in_force(user)),
            open_application=open_application,
            current_step=current_step(open_application) if open_application else "",
            qualifications=list(qualification_match(name=user.real_name, id_number=user.id_number)),
            **kwargs,
        )


# ---- Sign-up and activation ----------------------------------------------------


class SignupView(PublicMixin, FormView):
    template_name = "physicians/signup.html"
    form_class = SignupForm

    def form_valid(self, form):
        data = {k: v for k, v in form.cleaned_data.items() if k != "password_again"}
        try:
            user = accounts.physician_signup(**data)
        except ValidationError as exc:
            add_errors(form, exc)
            return self.render_to_response(self.get_context_data(form=form, id_taken="id_taken" in error_codes(exc)))
        login(self.request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(self.request, _("Your account has been created. Enter the code we sent to your mobile."))
        return redirect("physicians:activate")


class ActivateView(PhysicianMixin, FormView):
    allow_inactive = True
    template_name = "physicians/activate.html"
    form_class = CodeForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.user.mobile_verified_at is not None:
            return redirect("physicians:index")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            masked_mobile=mask_mobile(user.mobile),
            cooldown=accounts.sms_code_cooldown_left(mobile=user.mobile, purpose=SmsCode.Purpose.ACTIVATE),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        if "resend" in request.POST:
            try:
                accounts.activation_code_send(user=request.user)
            except ValidationError as exc:
                for message in exc.messages:
                    messages.error(request, message)
            else:
                messages.success(
                    request, _("A new code has been sent to %(mobile)s.") % {"mobile": mask_mobile(request.user.mobile)}
                )
            return redirect("physicians:activate")
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            accounts.physician_activate(user=self.request.user, code=form.cleaned_data["code"])
        except ValidationError as exc:
            form.add_error("code", exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Your account is active. Here is your qualification."))
        return redirect("physicians:qualification")


# ---- Qualification -------------------------------------------------------------


class QualificationView(PhysicianMixin, FormView):
    template_name = "physicians/qualification.html"
    form_class = IdentityForm

    def get_initial(self):
        return {"real_name": self.request.user.real_name, "id_number": self.request.user.id_number}

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            qualifications=list(qualification_match(name=user.real_name, id_number=user.id_number)), **kwargs
        )

    def form_valid(self, form):
        try:
            user = accounts.physician_identity_correct(
                user=self.request.user, ip=client_ip(self.request), **form.cleaned_data
            )
        except ValidationError as exc:
            add_errors(form, exc)
            return self.form_invalid(form)
        if qualification_match(name=user.real_name, id_number=user.id_number).exists():
            messages.success(self.request, _("Your name and ID number were corrected and now match a qualification."))
        else:
            messages.warning(self.request, _("Your name and ID number were saved, but still match no qualification."))
        return redirect("physicians:qualification")


# ---- Profile -----------------------------------------------------------------------


class ProfileView(PhysicianMixin, TemplateView):
    template_name = "physicians/profile.html"

    def get_context_data(self, **kwargs):
        kwargs.setdefault("email_form", EmailForm(initial={"email": self.request.user.email}))
        kwargs.setdefault("mobile_form", MobileForm())
        return super().get_context_data(**kwargs)

    def post(self, request, *args, **kwargs):
        if "email" in request.POST:
            form = EmailForm(request.POST)
            if form.is_valid():
                try:
                    accounts.email_change(user=request.user, email=form.cleaned_data["email"])
                except ValidationError as exc:
                    add_errors(form, exc)
                else:
                    messages.success(request, _("Your e-mail address has been saved."))
                    return redirect("physicians:profile")
            return self.render_to_response(self.get_context_data(email_form=form))
        form = MobileForm(request.POST)
        if form.is_valid():
            try:
                mobile = accounts.mobile_change_request(user=request.user, mobile=form.cleaned_data["mobile"])
            except ValidationError as exc:
                form.add_error("mobile", exc)
            else:
                request.session[SESSION_NEW_MOBILE] = mobile
                messages.success(request, _("A code has been sent to %(mobile)s.") % {"mobile": mask_mobile(mobile)})
                return redirect("physicians:mobile_confirm")
        return self.render_to_response(self.get_context_data(mobile_form=form))


class MobileConfirmView(PhysicianMixin, FormView):
    template_name = "physicians/mobile_confirm.html"
    form_class = CodeForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.session.get(SESSION_NEW_MOBILE):
            return redirect("physicians:profile")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(masked_mobile=mask_mobile(self.request.session[SESSION_NEW_MOBILE]), **kwargs)

    def form_valid(self, form):
        mobile = self.request.session[SESSION_NEW_MOBILE]
        try:
            accounts.mobile_change_confirm(user=self.request.user, mobile=mobile, code=form.cleaned_data["code"])
        except ValidationError as exc:
            form.add_error("code", exc)
            return self.form_invalid(form)
        del self.request.session[SESSION_NEW_MOBILE]
        messages.success(self.request, _("Your mobile number has been changed and verified."))
        return redirect("physicians:profile")


# ---- Password recovery ------------------------------------------------------------


class ResetRequestView(PublicMixin, FormView):
    template_name = "physicians/reset_request.html"
    form_class = ResetRequestForm

    def form_valid(self, form):
        try:
            user = accounts.password_reset_code_send(**form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
            return self.form_invalid(form)
        self.request.session[SESSION_RESET] = {"id_number": user.id_number, "mobile": user.mobile}
        messages.success(self.request, _("A code has been sent to %(mobile)s.") % {"mobile": mask_mobile(user.mobile)})
        return redirect("physicians:reset_confirm")


class ResetConfirmView(PublicMixin, FormView):
    template_name = "physicians/reset_confirm.html"
    form_class = ResetConfirmForm

    def dispatch(self, request, *args, **kwargs):
        if not request.session.get(SESSION_RESET):
            return redirect("physicians:reset_request")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            masked_mobile=mask_mobile(self.request.session[SESSION_RESET]["mobile"]), **kwargs
        )

    def post(self, request, *args, **kwargs):
        if "resend" in request.POST:
            try:
                accounts.password_reset_code_send(**request.session[SESSION_RESET])
            except ValidationError as exc:
                for message in exc.messages:
                    messages.error(request, message)
            else:
                messages.success(request, _("A new code has been sent."))
            return redirect("physicians:reset_confirm")
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            accounts.password_reset_by_sms(
                **self.request.session[SESSION_RESET],
                code=form.cleaned_data["code"],
                new_password=form.cleaned_data["new_password1"],
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                add_errors(form, exc)
            else:
                form.add_error("code", exc)
            return self.form_invalid(form)
        del self.request.session[SESSION_RESET]
        messages.success(self.request, _("Your password has been reset. Please sign in."))
        return redirect("physicians:login")


class EmailResetView(PublicMixin, auth_views.PasswordResetView):
    form_class = PhysicianPasswordResetForm
    template_name = "physicians/reset_email.html"
    email_template_name = "physicians/reset_email_body.txt"
    subject_template_name = "physicians/reset_email_subject.txt"
    success_url = reverse_lazy("physicians:email_reset_done")


class EmailResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "physicians/reset_email_done.html"


class EmailResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "physicians/reset_email_confirm.html"
    success_url = reverse_lazy("physicians:email_reset_complete")


class EmailResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "physicians/reset_email_complete.html"


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


def pop_period_errors(exc: ValidationError) -> list[str]:
    """Take the work-history messages out of a service's errors (they show above the periods)."""
    if not hasattr(exc, "error_dict") or "work_periods" not in exc.error_dict:
        return []
    return [m for e in exc.error_dict.pop("work_periods") for m in e.messages]


class ApplicationEditView(ApplicationMixin, TemplateView):
    template_name = "physicians/application_edit.html"

    def get(self, request, *args, **kwargs):
        application = self.get_application()
        if application.state not in EDITABLE_STATES:
            return redirect("physicians:application_detail", pk=application.pk)
        return self.render_to_response(self.context(application))

    def forms(self, application, data=None):
        """The type's own form and, for a type with a work history, the periods."""
        form_class = application_form_class(application.kind)
        form = form_class(data, instance=application, scopes=selectors.practice_scopes_for(application.category))
        formset = None
        if application.kind.work_history:
            formset = WorkPeriodFormSet(data, initial=work_period_rows(application), prefix="periods")
        return form, formset

    def context(self, application, form=None, formset=None, period_errors=()):
        if form is None:
            form, formset = self.forms(application)
        return_reason = ""
        if application.state == Application.State.RETURNED:
            last_return = application.status_changes.filter(to_state=Application.State.RETURNED).last()
            return_reason = last_return.comment if last_return else ""
        return self.get_context_data(
            application=application,
            return_reason=return_reason,
            form=form,
            formset=formset,
            period_errors=period_errors,
            document_form=DocumentForm(),
            documents=list(application.documents.all()),
            two_year_rule=services.two_year_rule_applies(application=application),
            window_notice=window_notice(application),
            institution_search_form=InstitutionSearchForm(),
        )

    def post(self, request, *args, **kwargs):
        application = self.get_application()
        form, formset = self.forms(application, request.POST)
        if not form.is_valid() or (formset is not None and not formset.is_valid()):
            return self.render_to_response(self.context(application, form=form, formset=formset))
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
            return self.render_to_response(
                self.context(application, form=form, formset=formset, period_errors=period_errors)
            )
        if "pick_institution" in request.POST:
            return redirect("physicians:institution_pick", pk=application.pk)
        if "submit" in request.POST:
            return self.submit(application, form, formset)
        messages.success(request, _("Saved. You can come back and continue later."))
        return redirect("physicians:application_edit", pk=application.pk)

    def submit(self, application, form, formset):
        try:
            services.application_submit(application=application, actor=self.request.user, ip=client_ip(self.request))
        except services.TransitionError as exc:
            messages.error(self.request, exc.message)
            return redirect("physicians:application_detail", pk=application.pk)
        except ValidationError as exc:
            add_errors(form, exc)
            return self.render_to_response(self.context(application, form=form, formset=formset))
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
        return super().get_context_data(
            **dossier.as_context(),
            roles=dict(Role.choices),
            can_edit=dossier.application.state in EDITABLE_STATES,
            window_notice=window_notice(dossier.application) if "submit" in actions else "",
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


class DocumentDeleteView(PhysicianMixin, View):
    def post(self, request, pk):
        document = selectors.document_get(user=request.user, pk=pk)
        try:
            services.document_delete(document=document, actor=request.user)
        except services.TransitionError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The document has been removed."))
        return HttpResponseRedirect(
            reverse("physicians:application_edit", args=[document.application_id]) + "#documents"
        )


class DocumentDownloadView(PhysicianMixin, View):
    """Served only through ``document_get``: another physician's document is a 404."""

    def get(self, request, pk):
        document = selectors.document_get(user=request.user, pk=pk)
        return document_response(document, download="download" in request.GET)
