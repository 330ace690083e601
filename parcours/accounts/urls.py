from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("connexion/psc/", views.psc_start, name="psc_start"),
    path("connexion/psc/retour/", views.psc_callback, name="psc_callback"),
    path("connexion/psc/activite/", views.psc_practice, name="psc_practice"),
    path("connexion/second-facteur/", views.second_factor, name="second_factor"),
    path("compte/second-facteur/", views.second_factor_setup, name="second_factor_setup"),
]
