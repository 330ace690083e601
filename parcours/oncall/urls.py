from django.urls import path

from . import views

app_name = "oncall"
urlpatterns = [
    path("", views.index, name="index"),
    path("mes-gardes/", views.mine, name="mine"),
    path("mes-gardes/lien-agenda/", views.mine_feed_renew, name="mine-feed-renew"),
    path("moi/<str:token>.ics", views.mine_ical, name="mine-ical"),
    path("<int:roster_id>/", views.roster_detail, name="roster"),
    path("<int:roster_id>/historique/", views.roster_history_page, name="history"),
    path("<int:roster_id>/generer/", views.roster_generate, name="generate"),
    path("<int:roster_id>/remplacement/", views.roster_override, name="override"),
    path("<int:roster_id>/publier/", views.roster_publish, name="publish"),
    path("<int:roster_id>/lien-agenda/", views.roster_feed_renew, name="feed-renew"),
    path("<int:roster_id>/export.csv", views.roster_export, name="export"),
    path("<int:roster_id>/imprimer/", views.roster_print, name="print"),
    path("<int:roster_id>/<str:token>.ics", views.roster_ical, name="ical"),
    path("remplacements/<int:override_id>/annuler/", views.override_cancel, name="override-cancel"),
    path("periodes/<int:period_id>/valider/", views.period_validate, name="period-validate"),
    path("gardes/<int:shift_id>/prendre/", views.shift_take, name="take"),
    path("gardes/<int:shift_id>/proposer/", views.shift_offer, name="offer"),
    path("gardes/<int:shift_id>/attribuer/", views.shift_assign, name="assign"),
    path("gardes/<int:shift_id>/echange/", views.shift_swap, name="swap"),
    path("echanges/<int:swap_id>/annuler/", views.swap_cancel, name="swap-cancel"),
    path("echanges/<int:swap_id>/<str:decision>/", views.swap_answer, name="swap-answer"),
]
