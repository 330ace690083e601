from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.centre, name="centre"),
    path("lues/", views.mark_read, name="mark_read"),
    path("flux/", views.stream, name="stream"),
    path("<int:pk>/ouvrir/", views.open_notification, name="open"),
]
