from django.urls import path

from docregistry.accounts.models import Role
from docregistry.accounts.portals import portal_auth_urls

from . import register_views, views

app_name = "authority"
urlpatterns = [
    path("", views.IndexView.as_view(), name="index"),
    path("open/", views.OpenByNumberView.as_view(), name="open"),
    path("open/<str:number>/", views.OpenByNumberView.as_view(), name="open_number"),
    path("applications/<int:pk>/", views.ApplicationDetailView.as_view(), name="application"),
    path("applications/<int:pk>/accept/", views.AcceptView.as_view(), name="accept"),
    path("applications/<int:pk>/approve/", views.ApproveView.as_view(), name="approve"),
    path("applications/<int:pk>/return/", views.ReturnView.as_view(), name="return"),
    path("applications/<int:pk>/refuse/", views.RefuseView.as_view(), name="refuse"),
    path("applications/<int:pk>/review-form.pdf", views.ReviewFormPdfView.as_view(), name="review_form"),
    path("documents/<int:pk>/", views.DocumentView.as_view(), name="document"),
    path("institutions/", views.InstitutionListView.as_view(), name="institutions"),
    path("institutions/new/", views.InstitutionCreateView.as_view(), name="institution_create"),
    path("institutions/<int:pk>/", views.InstitutionDetailView.as_view(), name="institution"),
    path("institutions/<int:pk>/password/", views.InstitutionPasswordResetView.as_view(), name="institution_password"),
    path("institutions/<int:pk>/deactivate/", views.InstitutionDeactivateView.as_view(), name="institution_deactivate"),
    path("institutions/<int:pk>/reactivate/", views.InstitutionReactivateView.as_view(), name="institution_reactivate"),
    path("windows/", views.WindowListView.as_view(), name="windows"),
    path("windows/<int:pk>/delete/", views.WindowDeleteView.as_view(), name="window_delete"),
    path("office/", views.OfficeView.as_view(), name="office"),
    path("register/", register_views.RegisterListView.as_view(), name="register"),
    path("register/reports/", register_views.ReportQueueView.as_view(), name="report_queue"),
    path("register/reports/<int:pk>/<str:action>/", register_views.ReportQueueView.as_view(), name="report_action"),
    path("register/<int:pk>/", register_views.RegisterDetailView.as_view(), name="registration"),
    path("register/<int:pk>/<str:action>/", register_views.RegisterDetailView.as_view(), name="registration_action"),
    path("reports/", views.ReportView.as_view(), name="reports"),
    path("reports/export.csv", views.ReportCsvView.as_view(), name="report_csv"),
    path("reports/export.xlsx", views.ReportXlsxView.as_view(), name="report_xlsx"),
    *portal_auth_urls(Role.AUTHORITY, app_name),
]
