from django.urls import path

from . import fhir_views as views

app_name = "fhir"

urlpatterns = [path("metadata", views.MetadataView.as_view(), name="metadata")]
for kind in views.SEARCH_PARAMS:
    urlpatterns += [
        path(kind, views.SearchView.as_view(kind=kind), name=kind),
        path(f"{kind}/<str:id>", views.ReadView.as_view(kind=kind), name=f"{kind}-read"),
    ]
