from django.urls import path
from django.views.generic import TemplateView

app_name = "qualifications"
urlpatterns = [
    path("guide/", TemplateView.as_view(template_name="qualifications/guide.html"), name="guide"),
]
