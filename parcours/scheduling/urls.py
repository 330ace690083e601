from django.urls import path

from . import views

app_name = "scheduling"
urlpatterns = [
    path("", views.search, name="search"),
    path("creneaux/<int:slot_id>/reserver/", views.book, name="book"),
    path("rendez-vous/", views.appointments, name="appointments"),
    path("rendez-vous/<int:pk>/", views.appointment_detail, name="appointment"),
    path("rendez-vous/<int:pk>/deplacer/", views.move, name="move"),
    path("rendez-vous/<int:pk>/compte-rendu/", views.report_file, name="report-file"),
    path("rendez-vous/<int:pk>/ordonnance/", views.prescription_file, name="prescription"),
    path("agenda/<int:schedule_id>/", views.agenda, name="agenda"),
    path("agenda/<int:schedule_id>/reserver/", views.week, name="week"),
    path("agenda/<int:schedule_id>/ouvrir/", views.open_slots, name="open-slots"),
    path("agenda/<int:schedule_id>/plages/", views.setup, name="setup"),
    path("agenda/<int:schedule_id>/liste-attente/", views.waitlist, name="waitlist"),
    path("agenda/<int:schedule_id>/<str:token>.ics", views.ical_feed, name="ical"),
]
