from django.urls import path

from . import views

app_name = "publicregister"

urlpatterns = [
    path("v/<str:token>/", views.VerifyView.as_view(), name="verify"),
    path("register/", views.LookupView.as_view(), name="lookup"),
    path("register/announcements/", views.AnnouncementIndexView.as_view(), name="announcements"),
    path(
        "register/announcements/<int:authority>/<int:year>-<int:month>/",
        views.AnnouncementView.as_view(),
        name="announcement",
    ),
    path(
        "register/announcements/<int:authority>/<int:year>-<int:month>.csv",
        views.AnnouncementCsvView.as_view(),
        name="announcement_csv",
    ),
]
