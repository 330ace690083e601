from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from parcours.accounts import views as account_views
from parcours.core import views as core_views
from parcours.fhir import views as fhir_views

admin.site.site_header = "Parcours — administration du territoire"
admin.site.site_title = "Parcours"
admin.site.index_title = "Administration"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("connexion/", account_views.PasswordLoginView.as_view(), name="login"),
    path("deconnexion/", account_views.logout_view, name="logout"),
    path("", include("parcours.accounts.urls")),
    path("compte/mot-de-passe/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "compte/mot-de-passe/modifie/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("patients/", include("parcours.patients.urls")),
    path("demandes/", include("parcours.referrals.urls")),
    path("annuaire/", include("parcours.directory.urls")),
    path("agendas/", include("parcours.scheduling.urls")),
    path("messagerie/", include("parcours.messaging.urls")),
    path("biologie/", include("parcours.labs.urls")),
    path("reseaux/", include("parcours.records.urls")),
    path("notifications/", include("parcours.notifications.urls")),
    path("indicateurs/", include("parcours.indicators.urls")),
    path("gardes/", include("parcours.oncall.urls")),
    path("espaces/", include("parcours.spaces.urls")),
    path("smp/", include("parcours.proximity.urls")),
    # A FHIR transaction Bundle is POSTed to the base itself, with no trailing slash.
    path("fhir", fhir_views.transaction_endpoint),
    path("fhir/", include("parcours.fhir.urls")),
    path("admin/", admin.site.urls),
]
