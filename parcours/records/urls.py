from django.urls import path

from . import views

app_name = "records"
urlpatterns = [
    path("", views.network_list, name="index"),
    path("<int:pk>/", views.network_detail, name="network"),
    path("<int:pk>/inscrire/", views.network_enrol, name="enrol"),
    path("formulaires/<int:pk>/", views.form_builder, name="builder"),
    path("formulaires/<int:pk>/apercu/", views.form_preview, name="preview"),
    path("dossiers/<int:pk>/", views.record_detail, name="record"),
    path("dossiers/<int:pk>/consentement/", views.consent_new, name="consent"),
    path("dossiers/<int:pk>/visibilite/", views.record_visibility, name="visibility"),
    path("dossiers/<int:pk>/saisir/<int:form_pk>/", views.response_new, name="fill"),
    path("consentements/<int:pk>/document/", views.consent_document, name="consent-document"),
    path("reponses/<int:pk>/", views.response_detail, name="response"),
    path("reponses/<int:pk>/modifier/", views.response_edit, name="edit"),
    path("reponses/<int:pk>/migrer/", views.response_migrate, name="migrate"),
]
