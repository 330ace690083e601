from django.urls import path

from . import views

app_name = "messaging"
urlpatterns = [
    path("", views.mailbox, name="mailbox"),
    path("nouveau/", views.compose, name="compose"),
    path("destinataires/", views.recipients, name="recipients"),
    path("fil/<int:pk>/", views.thread, name="thread"),
    path("fil/<int:pk>/classer/", views.thread_file, name="thread_file"),
    path("dossiers/", views.folder_create, name="folder_create"),
    path("dossiers/<int:pk>/supprimer/", views.folder_delete, name="folder_delete"),
    path("piece/<int:pk>/", views.attachment, name="attachment"),
    path("lettres/", views.letter_list, name="letters"),
    path("lettres/nouvelle/", views.letter_new, name="letter_new"),
    path("lettres/<int:pk>/", views.letter_detail, name="letter"),
]
