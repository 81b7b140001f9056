from django.contrib.auth import views as auth_views
from django.urls import path

from docregistry.accounts.models import Role
from docregistry.accounts.portals import portal_auth_urls

from . import application_views, receipt_views, views

app_name = "physicians"


def _auth_urls():
    """The shared login, logout and password change, with the physician's login page and an activation gate."""
    patterns = []
    for pattern in portal_auth_urls(Role.PHYSICIAN, app_name):
        if pattern.name == "login":
            initkwargs = {**pattern.callback.view_initkwargs, "template_name": "physicians/login.html"}
            pattern = path("login/", auth_views.LoginView.as_view(**initkwargs), name="login")
        elif pattern.name == "password_change":
            view_class = pattern.callback.view_class
            gated = type("PhysicianPasswordChangeView", (views.PhysicianMixin, view_class), {})
            pattern = path("password/", gated.as_view(), name="password_change")
        patterns.append(pattern)
    return patterns


urlpatterns = [
    path("", views.IndexView.as_view(), name="index"),
    *_auth_urls(),
    path("signup/", views.SignupView.as_view(), name="signup"),
    path("activate/", views.ActivateView.as_view(), name="activate"),
    path("qualification/", views.QualificationView.as_view(), name="qualification"),
    path("profile/", views.ProfileView.as_view(), name="profile"),
    path("profile/mobile/", views.MobileConfirmView.as_view(), name="mobile_confirm"),
    path("recover/", views.ResetRequestView.as_view(), name="reset_request"),
    path("recover/code/", views.ResetConfirmView.as_view(), name="reset_confirm"),
    path("recover/email/", views.EmailResetView.as_view(), name="email_reset"),
    path("recover/email/sent/", views.EmailResetDoneView.as_view(), name="email_reset_done"),
    path("recover/email/<uidb64>/<token>/", views.EmailResetConfirmView.as_view(), name="email_reset_confirm"),
    path("recover/email/done/", views.EmailResetCompleteView.as_view(), name="email_reset_complete"),
    path("applications/", application_views.ApplicationListView.as_view(), name="applications"),
    path("applications/new/", application_views.ApplicationCreateView.as_view(), name="application_new"),
    path("applications/<int:pk>/", application_views.ApplicationDetailView.as_view(), name="application_detail"),
    path("applications/<int:pk>/edit/", application_views.ApplicationEditView.as_view(), name="application_edit"),
    path("applications/<int:pk>/submit/", application_views.ApplicationSubmitView.as_view(), name="application_submit"),
    path(
        "applications/<int:pk>/withdraw/",
        application_views.ApplicationWithdrawView.as_view(),
        name="application_withdraw",
    ),
    path(
        "applications/<int:pk>/institution/", application_views.InstitutionPickView.as_view(), name="institution_pick"
    ),
    path("applications/<int:pk>/receipt/", receipt_views.ReceiptView.as_view(), name="receipt"),
    path("applications/<int:pk>/receipt.pdf", receipt_views.ReceiptPdfView.as_view(), name="receipt_pdf"),
    path("applications/<int:pk>/documents/", application_views.DocumentUploadView.as_view(), name="document_upload"),
    path("documents/<int:pk>/", application_views.DocumentDownloadView.as_view(), name="document"),
    path("registrations/<int:pk>/certificate.pdf", application_views.CertificateView.as_view(), name="certificate"),
    path("documents/<int:pk>/delete/", application_views.DocumentDeleteView.as_view(), name="document_delete"),
    path("institutions/search/", application_views.InstitutionSearchView.as_view(), name="institution_search"),
    path("sites/<int:pk>/end/", views.SiteEndView.as_view(), name="site_end"),
]
