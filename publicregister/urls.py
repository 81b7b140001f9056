from django.urls import path

from . import views

app_name = "publicregister"

urlpatterns = [
    path("v/<str:token>/", views.VerifyView.as_view(), name="verify"),
]
