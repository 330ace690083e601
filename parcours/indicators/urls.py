from django.urls import path

from . import views

app_name = "indicators"
urlpatterns = [
    path("", views.index, name="index"),
    path("rendez-vous/", views.appointments, name="appointments"),
    path("lettres-de-liaison/", views.letters, name="letters"),
]
