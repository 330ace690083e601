from django.urls import path

from . import views

app_name = "directory"
urlpatterns = [
    path("", views.index, name="index"),
    path("services/<int:pk>/", views.service_detail, name="service"),
    path("services/<int:pk>/coordonnees/", views.service_edit, name="service_edit"),
    path("professionnels/<int:pk>/", views.practitioner_detail, name="practitioner"),
    path("professionnels/<int:pk>/coordonnees/", views.practitioner_edit, name="practitioner_edit"),
]
