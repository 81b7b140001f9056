from django.urls import path
from django.views.decorators.cache import cache_control
from django.views.generic import TemplateView

from docregistry.accounts.models import Role
from docregistry.accounts.portals import portal_auth_urls

from . import register_views, views

app_name = "institutions"
urlpatterns = [
    path("", views.IndexView.as_view(), name="index"),
    path("applications/<int:pk>/", views.ApplicationDetailView.as_view(), name="application"),
    path("applications/<int:pk>/approve/", views.ApproveView.as_view(), name="approve"),
    path("applications/<int:pk>/return/", views.ReturnView.as_view(), name="return"),
    path("applications/<int:pk>/preview/", views.PrintPreviewView.as_view(), name="preview"),
    path("applications/<int:pk>/review-form.pdf", views.ReviewFormPdfView.as_view(), name="review_form"),
    path("print/", views.BatchPrintView.as_view(), name="batch_print"),
    path("documents/<int:pk>/", views.DocumentView.as_view(), name="document"),
    path("physicians/", register_views.PhysicianListView.as_view(), name="physicians"),
    path("physicians/<int:pk>/<str:action>/", register_views.ReportView.as_view(), name="report"),
    # The review form's stylesheet for the print preview: a file, not a <style> block (Content-Security-Policy).
    path(
        "print-preview.css",
        cache_control(max_age=3600)(
            TemplateView.as_view(template_name="institutions/print_preview.css", content_type="text/css")
        ),
        name="print_preview_css",
    ),
    *portal_auth_urls(Role.INSTITUTION, app_name),
]
