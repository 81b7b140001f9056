from django.contrib import admin
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import TemplateView

from docregistry.accounts import twofactor
from docregistry.health import healthz

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("account/2fa/", include((twofactor.urlpatterns, "twofactor"))),
    path("physician/", include("physicians.urls")),
    path("institution/", include("institutions.urls")),
    path("authority/", include("authority.urls")),
    path("qualifications/", include("qualifications.urls")),
    path("admin/", admin.site.urls),
    path("", include("publicregister.urls")),
    path("fhir/", include("publicregister.fhir_urls")),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", lambda request: redirect(static("img/favicon.svg"), permanent=True)),
]
