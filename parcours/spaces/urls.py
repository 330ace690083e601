from django.urls import path

from . import views

app_name = "spaces"
urlpatterns = [
    path("", views.index, name="index"),
    path("nouveau/", views.create, name="create"),
    path("agenda/", views.my_calendar, name="my_calendar"),
    path("flux/nouveau/", views.feed_create, name="feed_create"),
    path("flux/<int:feed_id>/revoquer/", views.feed_revoke, name="feed_revoke"),
    path("flux/<str:token>.ics", views.feed, name="feed"),
    path("<int:space_id>/", views.detail, name="detail"),
    path("<int:space_id>/rejoindre/", views.join, name="join"),
    path("<int:space_id>/quitter/", views.leave, name="leave"),
    path("<int:space_id>/membres/", views.members, name="members"),
    path("<int:space_id>/membres/<int:member_id>/", views.member_decide, name="member_decide"),
    path("<int:space_id>/pages/nouvelle/", views.page_new, name="page_new"),
    path("<int:space_id>/pages/<int:page_id>/", views.page, name="page"),
    path("<int:space_id>/pages/<int:page_id>/reserver/", views.page_checkout, name="page_checkout"),
    path("<int:space_id>/pages/<int:page_id>/modifier/", views.page_edit, name="page_edit"),
    path("<int:space_id>/pages/<int:page_id>/liberer/", views.page_release, name="page_release"),
    path(
        "<int:space_id>/pages/<int:page_id>/visibilite/",
        views.page_visibility,
        name="page_visibility",
    ),
    path("<int:space_id>/pages/<int:page_id>/versions/", views.page_history, name="page_history"),
    path(
        "<int:space_id>/pages/<int:page_id>/versions/<int:number>/restaurer/",
        views.page_restore,
        name="page_restore",
    ),
    path(
        "<int:space_id>/pages/<int:page_id>/versions/<int:number>/fichier/",
        views.version_file,
        name="version_file",
    ),
    path("<int:space_id>/pages/<int:page_id>/fiches/nouvelle/", views.entry_edit, name="entry_new"),
    path(
        "<int:space_id>/pages/<int:page_id>/fiches/<int:entry_id>/",
        views.entry_edit,
        name="entry_edit",
    ),
    path(
        "<int:space_id>/pages/<int:page_id>/export.csv", views.directory_csv, name="directory_csv"
    ),
    path("<int:space_id>/agenda/", views.calendar, name="calendar"),
    path("<int:space_id>/agenda/nouveau/", views.event_new, name="event_new"),
    path("<int:space_id>/agenda/<int:event_id>/annuler/", views.event_cancel, name="event_cancel"),
    path("<int:space_id>/forum/", views.forum, name="forum"),
    path("<int:space_id>/forum/<int:topic_id>/", views.topic, name="topic"),
    path("<int:space_id>/forum/<int:topic_id>/suivre/", views.topic_follow, name="topic_follow"),
    path("<int:space_id>/forum/<int:topic_id>/fermer/", views.topic_lock, name="topic_lock"),
    path("<int:space_id>/forum/messages/<int:post_id>/masquer/", views.post_hide, name="post_hide"),
]
