from django.urls import path

from . import views

app_name = "labs"
urlpatterns = [
    path("", views.report_list, name="list"),
    path("envoyer/", views.upload, name="upload"),
    path("<int:pk>/", views.report_detail, name="detail"),
]
