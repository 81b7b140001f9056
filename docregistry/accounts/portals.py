"""Portal access: each role has its own portal, login page and home.

A visitor who is not logged in is sent to the portal's login page; a user of
another role is sent to their own portal, never shown this one.
"""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import path, reverse, reverse_lazy
from django.utils.translation import gettext_lazy as _

from .models import PORTAL_NAMESPACES, Role

MSG_WRONG_PORTAL = _("This account belongs to another portal. Please sign in there.")
MSG_PASSWORD_UNCHANGED = _("The new password must differ from the current one.")


def portal_home(user) -> str:
    if user.role == Role.ADMIN or user.is_superuser:
        return reverse("admin:index")
    return reverse(f"{PORTAL_NAMESPACES[user.role]}:index")


class PortalMixin:
    """For every view of a portal: only users of ``role`` get in."""

    role: str = ""

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse(f"{PORTAL_NAMESPACES[self.role]}:login"))
        if user.role != self.role:
            return redirect(portal_home(user))
        gate = self.account_gate(request)
        if gate is not None:
            return gate
        return super().dispatch(request, *args, **kwargs)

    def account_gate(self, request):
        """Return a redirect while the account still has a step to take (activation, new password)."""
        if request.user.must_change_password and request.resolver_match.url_name != "password_change":
            messages.info(request, _("Please choose a new password before you continue."))
            return redirect(f"{PORTAL_NAMESPACES[self.role]}:password_change")
        return None


class PortalAuthenticationForm(AuthenticationForm):
    """Accepts only accounts of the portal's role."""

    role = ""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if user.role != self.role:
            raise ValidationError(MSG_WRONG_PORTAL, code="wrong_portal")


class NewPasswordChangeForm(PasswordChangeForm):
    """A password change that changes it: the current (or one-time) password is refused as the new one."""

    def clean_new_password1(self):
        password = self.cleaned_data.get("new_password1")
        if password and self.user.check_password(password):
            raise ValidationError(MSG_PASSWORD_UNCHANGED, code="password_unchanged")
        return password


def portal_auth_urls(role: str, namespace: str):
    """Login, logout and password change for one portal."""
    form = type(f"{namespace.title()}AuthenticationForm", (PortalAuthenticationForm,), {"role": role})

    class PasswordChangeView(PortalMixin, auth_views.PasswordChangeView):
        template_name = "accounts/password_change.html"
        form_class = NewPasswordChangeForm
        success_url = reverse_lazy(f"{namespace}:index")

        def form_valid(self, form):
            response = super().form_valid(form)
            if self.request.user.must_change_password:
                self.request.user.must_change_password = False
                self.request.user.save(update_fields=["must_change_password"])
            messages.success(self.request, _("Your password has been changed."))
            return response

    PasswordChangeView.role = role
    return [
        path(
            "login/",
            auth_views.LoginView.as_view(
                template_name="accounts/login.html",
                authentication_form=form,
                next_page=reverse_lazy(f"{namespace}:index"),
                extra_context={"portal": namespace, "portal_role": role},
            ),
            name="login",
        ),
        path("logout/", auth_views.LogoutView.as_view(next_page=reverse_lazy("home")), name="logout"),
        path("password/", PasswordChangeView.as_view(), name="password_change"),
    ]
