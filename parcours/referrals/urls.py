from django.urls import path

from . import views

app_name = "referrals"
urlpatterns = [
    path("", views.referral_list, name="list"),
    path("nouvelle/", views.referral_new, name="new"),
    path("cellule/", views.referral_inbox_view, name="inbox"),
    path("file/", views.referral_queue_view, name="queue"),
    path("<int:pk>/", views.referral_detail, name="detail"),
    path("<int:pk>/action/<slug:action>/", views.referral_action, name="action"),
    path("<int:pk>/pieces/<int:attachment_id>/", views.attachment_download, name="attachment"),
    path(
        "<int:pk>/pieces/<int:attachment_id>/apercu/",
        views.attachment_preview,
        name="attachment_preview",
    ),
]
