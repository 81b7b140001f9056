from django.urls import path

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
    *portal_auth_urls(Role.INSTITUTION, app_name),
]
