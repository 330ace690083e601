from django.urls import path

from . import views

app_name = "patients"
urlpatterns = [
    path("", views.search, name="search"),
    path("mes-patients/", views.mine, name="mine"),
    path("communes/", views.communes, name="communes"),
    path("nouveau/", views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/doublons/", views.scan, name="scan"),
    path("<int:pk>/identifiants/", views.identifier_add, name="identifier-add"),
    path("<int:pk>/urgence/", views.emergency_open, name="emergency"),
    path("<int:pk>/medecin-traitant/", views.treating_doctor, name="treating-doctor"),
    path("doublons/", views.duplicates, name="duplicates"),
    path("doublons/rechercher/", views.scan, name="scan-number"),
    path("doublons/<int:pk>/", views.duplicate_detail, name="duplicate"),
    path("fusions/<int:pk>/annuler/", views.merge_undo, name="merge-undo"),
]
