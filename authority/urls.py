from django.urls import path

from docregistry.accounts.models import Role
from docregistry.accounts.portals import portal_auth_urls

from . import views

app_name = "authority"
urlpatterns = [
    path("", views.IndexView.as_view(), name="index"),
    *portal_auth_urls(Role.AUTHORITY, app_name),
]
