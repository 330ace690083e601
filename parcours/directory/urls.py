from django.urls import path

from . import views

app_name = "directory"
urlpatterns = [
    path("", views.index, name="index"),
    path("services/<int:pk>/", views.service_detail, name="service"),
    path("professionnels/<int:pk>/", views.practitioner_detail, name="practitioner"),
]
