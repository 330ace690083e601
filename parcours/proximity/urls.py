from django.urls import path

from . import views

app_name = "proximity"
urlpatterns = [
    path("", views.registry, name="registry"),
    path("inscrire/", views.signup, name="signup"),
    path("<int:pk>/", views.episode_detail, name="episode"),
    path("<int:pk>/priorite/", views.episode_priority, name="priority"),
    path("<int:pk>/rendez-vous/", views.episode_book, name="book"),
    path("<int:pk>/consultation/", views.episode_consult, name="consult"),
    path("<int:pk>/declaration/", views.episode_declare, name="declare"),
    path("<int:pk>/relais/", views.episode_handover, name="handover-send"),
    path("<int:pk>/relais/reprendre/", views.episode_handover_withdraw, name="handover-withdraw"),
    path("<int:pk>/cloture/", views.episode_cancel, name="cancel"),
    path("consultations/<int:pk>/", views.consultation_detail, name="consultation"),
    path("consultations/<int:pk>/ordonnance/", views.prescription_new, name="prescription-new"),
    path("documents/<int:pk>/", views.document_download, name="document"),
    path("supervision/", views.supervision, name="supervision"),
    path("internes/<int:user_id>/", views.intern_portfolio, name="portfolio"),
    path("relais/<int:pk>/", views.handover_detail, name="handover"),
    path("indicateurs/", views.indicators_view, name="indicators"),
]
