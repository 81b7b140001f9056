"""The physician portal's account pages: home, sign-up, activation, qualification, profile, recovery.

Thin views over ``accounts.services``; the applications are in ``application_views``.
"""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views import View
from django.views.generic import FormView, TemplateView

from docregistry.accounts import services as accounts
from docregistry.accounts.models import Role, SmsCode
from docregistry.accounts.portals import PortalMixin
from docregistry.accounts.throttle import lockout_response, throttle_allowed, throttle_failure
from docregistry.http import client_ip
from docregistry.registrations import register, selectors, services
from docregistry.registrations.grounds import RIGHTS_NOTICE
from docregistry.registrations.models import OPEN_STATES
from docregistry.registrations.presentation import current_step, mask_mobile
from docregistry.validators import normalize_id_number, normalize_mobile
from docregistry.views import add_errors
from qualifications.selectors import qualification_match

from .forms import (
    CodeForm,
    EmailForm,
    IdentityForm,
    MobileForm,
    PhysicianPasswordResetForm,
    ResetConfirmForm,
    ResetRequestForm,
    SignupForm,
)

SESSION_NEW_MOBILE = "physicians:new_mobile"
SESSION_RESET = "physicians:reset"
MSG_RESET_SENT = gettext_noop(
    "If this ID number and mobile number belong to an account, a code has been sent to %(mobile)s. "
    "It is valid for 10 minutes."
)


def recovery_key(id_number: str) -> str:
    """What the recovery forms count failures against (axes' "username"): the ID number asked about."""
    return "id:" + normalize_id_number(id_number)


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
            registrations=list(selectors.registrations_on_record(user)),
            rights_notice=RIGHTS_NOTICE,
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
            user = accounts.physician_signup(**data, ip=client_ip(self.request))
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
                accounts.activation_code_send(user=request.user, ip=client_ip(request))
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
        key = self.request.user.username  # a wrong code counts against the account like a wrong password
        if not throttle_allowed(self.request, key):
            return lockout_response(self.request, key)
        try:
            accounts.physician_activate(user=self.request.user, code=form.cleaned_data["code"])
        except ValidationError as exc:
            throttle_failure(self.request, key)
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
        qualifications = list(qualification_match(name=user.real_name, id_number=user.id_number))
        unregistered = selectors.registration_in_force(user) is None
        return super().get_context_data(
            qualifications=qualifications,
            # The two-year rule, said where the date is shown, not only when a submit fails.
            two_year_pks={
                q.pk for q in qualifications if unregistered and services.qualified_over_two_years_before(q.obtained_on)
            },
            **kwargs,
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
                mobile = accounts.mobile_change_request(
                    user=request.user, mobile=form.cleaned_data["mobile"], ip=client_ip(request)
                )
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
        key = self.request.user.username
        if not throttle_allowed(self.request, key):
            return lockout_response(self.request, key)
        try:
            accounts.mobile_change_confirm(user=self.request.user, mobile=mobile, code=form.cleaned_data["code"])
        except ValidationError as exc:
            throttle_failure(self.request, key)
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
        key = recovery_key(form.cleaned_data["id_number"])
        # Every request counts, matching or not: a lock after N tries must not tell a right pair from a wrong one.
        if not throttle_allowed(self.request, key):
            return lockout_response(self.request, key)
        throttle_failure(self.request, key)
        if getattr(self.request, "axes_locked_out", False):
            return lockout_response(self.request, key)
        id_number = normalize_id_number(form.cleaned_data["id_number"])
        mobile = normalize_mobile(form.cleaned_data["mobile"])
        accounts.password_reset_code_send(id_number=id_number, mobile=mobile, ip=client_ip(self.request))
        # The same answer whether the pair belongs to an account or not (no probing of who is registered).
        self.request.session[SESSION_RESET] = {"id_number": id_number, "mobile": mobile}
        messages.success(self.request, _(MSG_RESET_SENT) % {"mobile": mask_mobile(mobile)})
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
            accounts.password_reset_code_send(**request.session[SESSION_RESET], ip=client_ip(request))
            mobile = mask_mobile(request.session[SESSION_RESET]["mobile"])
            messages.success(request, _(MSG_RESET_SENT) % {"mobile": mobile})
            return redirect("physicians:reset_confirm")
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        key = recovery_key(self.request.session[SESSION_RESET]["id_number"])
        if not throttle_allowed(self.request, key):
            return lockout_response(self.request, key)
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
                throttle_failure(self.request, key)
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


# ---- The register: ending a filing ------------------------------------------------


class SiteEndView(PhysicianMixin, View):
    """End a filing (多机构备案) before its end date; the institutions are told."""

    def post(self, request, pk):
        site = selectors.practice_site_get(user=request.user, pk=pk)
        try:
            register.site_end(site=site, actor=request.user)
        except services.TransitionError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The filing at %(site)s has ended.") % {"site": site.institution.name})
        return redirect("physicians:index")
