from django.urls import path

from . import views

app_name = "patients"
urlpatterns = [
    path("", views.search, name="search"),
    path("nouveau/", views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
]
