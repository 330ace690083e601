"""The on-call pages, per role: who is on call now, a roster with its overrides, swaps through
the pages, manager forms with French errors, CSV / print / iCalendar exports."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import time_machine
from django.urls import reverse

from parcours.oncall import services
from parcours.oncall.models import Override, PersonalFeed, Swap

PARIS = ZoneInfo("Europe/Paris")
FRIDAY_NIGHT = datetime(2026, 3, 6, 21, 0, tzinfo=PARIS)


def test_every_account_holder_sees_who_is_on_call_now_with_the_number(rota_shifts, client):
    with time_machine.travel(FRIDAY_NIGHT, tick=False):
        client.force_login(rota_shifts.t.nobody)  # sessions expire when idle: log in then
        page = client.get(reverse("oncall:index")).content.decode()
    assert "Astreinte de cardiologie" in page
    assert "SANSOMPTE" in page  # the locum holds Friday night
    assert "0243000001" in page  # the cardiology senior line
    assert "Lignes directes des médecins seniors" in page


def test_anonymous_visitors_are_sent_to_the_login_page(rota, client):
    response = client.get(reverse("oncall:index"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_the_now_page_costs_the_same_few_queries_whatever_the_number_of_rosters(
    rota_shifts, client, django_assert_max_num_queries
):
    client.force_login(rota_shifts.t.gp2)
    # 12 + the menu's care-network EXISTS (records, core/context_processors.py).
    with django_assert_max_num_queries(13):
        assert client.get(reverse("oncall:index")).status_code == 200


def test_the_roster_page_shows_the_override_over_the_shift(rota_shifts, client):
    r = rota_shifts
    services.override_create(
        actor=r.t.head,
        roster=r.cardio,
        practitioner=r.doctor,
        start=datetime(2026, 3, 6, 20, tzinfo=PARIS),
        end=datetime(2026, 3, 6, 23, tzinfo=PARIS),
        reason="Congrès",
    )
    with time_machine.travel(FRIDAY_NIGHT, tick=False):
        client.force_login(r.t.pneumo)
        page = client.get(reverse("oncall:roster", args=[r.cardio.pk])).content.decode()
    assert "remplacement" in page and "CARDIO" in page and "Congrès" in page
    # Not a manager: no generation form, no feed URL.
    assert "Générer les gardes" not in page and r.cardio.ical_token not in page


def test_the_roster_list_page_is_bounded_in_queries(
    rota_shifts, client, django_assert_max_num_queries
):
    client.force_login(rota_shifts.t.head)
    with django_assert_max_num_queries(25):
        response = client.get(reverse("oncall:roster", args=[rota_shifts.cardio.pk]))
    assert "Générer les gardes" in response.content.decode()


def test_a_swap_through_the_pages_changes_who_is_on_call_now(rota_shifts, client):
    r = rota_shifts
    sunday = r.cardio.shifts.get(start__date="2026-03-08")  # the head's
    client.force_login(r.t.head)
    response = client.post(
        reverse("oncall:swap", args=[sunday.pk]), {"target": r.doctor.pk, "message": "Merci"}
    )
    assert response.status_code == 302
    swap = Swap.objects.get()
    client.force_login(r.t.doctor)
    mine = client.get(reverse("oncall:mine")).content.decode()
    assert "vous propose de reprendre sa garde" in mine
    client.post(reverse("oncall:swap-answer", args=[swap.pk, "accepter"]))
    with time_machine.travel(datetime(2026, 3, 8, 12, tzinfo=PARIS), tick=False):
        client.force_login(r.t.gp)
        page = client.get(reverse("oncall:index")).content.decode()
    assert "Dr Léa CARDIO" in page
    client.force_login(r.t.gp)
    history = client.get(reverse("oncall:history", args=[r.cardio.pk])).content.decode()
    assert "échange accepté" in history


def test_only_the_holder_opens_the_swap_form(rota_shifts, client):
    sunday = rota_shifts.cardio.shifts.get(start__date="2026-03-08")
    client.force_login(rota_shifts.t.doctor)
    assert client.get(reverse("oncall:swap", args=[sunday.pk])).status_code == 404


def test_taking_a_shift_one_may_not_take_shows_a_french_message(rota_shifts, client):
    shift = rota_shifts.cardio.shifts.get(start__date="2026-03-10")
    client.force_login(rota_shifts.t.gp)
    response = client.post(reverse("oncall:take", args=[shift.pk]), follow=True)
    assert "Seuls les médecins du tableau peuvent prendre une garde." in response.content.decode()


def test_a_short_pdsa_period_is_refused_on_the_form_with_the_rule(rota, client):
    client.force_login(rota.t.gp)
    response = client.post(
        reverse("oncall:publish", args=[rota.sector.pk]),
        {"pub-start": "2026-05-01", "pub-end": "2026-05-31"},
    )
    assert response.status_code == 200
    assert "R6315-2" in response.content.decode()


def test_an_override_form_with_the_end_before_the_start_says_so(rota_shifts, client):
    client.force_login(rota_shifts.t.head)
    response = client.post(
        reverse("oncall:override", args=[rota_shifts.cardio.pk]),
        {
            "ovr-practitioner": rota_shifts.locum.pk,
            "ovr-start": "2026-03-10T20:00",
            "ovr-end": "2026-03-10T19:00",
        },
    )
    assert "La fin du remplacement doit suivre son début." in response.content.decode()
    assert not Override.objects.exists()


def test_a_manager_generates_through_the_page(rota, client):
    client.force_login(rota.t.head)
    response = client.post(
        reverse("oncall:generate", args=[rota.cardio.pk]),
        {"gen-start": "2026-03-09", "gen-end": "2026-03-15"},
        follow=True,
    )
    assert "7 garde(s) créée(s)." in response.content.decode()


def test_a_doctor_of_the_rota_cannot_generate(rota, client):
    client.force_login(rota.t.doctor)
    response = client.post(
        reverse("oncall:generate", args=[rota.cardio.pk]),
        {"gen-start": "2026-03-09", "gen-end": "2026-03-15"},
    )
    assert response.status_code == 404 and not rota.cardio.shifts.exists()


def test_the_csv_export_names_who_actually_answered_and_defuses_formulas(rota_shifts, client):
    r = rota_shifts
    r.locum.last_name = "=HYPERLINK(1)"
    r.locum.save()
    services.override_create(
        actor=r.t.head,
        roster=r.cardio,
        practitioner=r.doctor,
        start=datetime(2026, 3, 10, 18, 30, tzinfo=PARIS),
        end=datetime(2026, 3, 11, 8, 30, tzinfo=PARIS),
    )
    client.force_login(r.t.desk)
    body = client.get(
        reverse("oncall:export", args=[r.cardio.pk]) + "?du=2026-03-01&au=2026-03-31"
    ).content.decode("utf-8-sig")
    lines = body.strip().splitlines()
    assert lines[0].startswith("Tableau;Période;Début;Fin;Titulaire")
    assert len(lines) == 32
    tuesday = next(line for line in lines if "10/03/2026 18:30" in line)
    assert "Dr Léa CARDIO" in tuesday
    assert ";=" not in body  # a name starting with "=" is quoted


def test_the_print_view_lists_the_quarter(rota_shifts, client):
    client.force_login(rota_shifts.t.cell)
    page = client.get(
        reverse("oncall:print", args=[rota_shifts.cardio.pk]) + "?du=2026-03-01&au=2026-03-31"
    ).content.decode()
    assert page.count("<tr>") == 32


def test_the_roster_feed_stops_working_once_renewed(rota_shifts, client):
    r = rota_shifts
    url = reverse("oncall:ical", args=[r.cardio.pk, r.cardio.ical_token])
    feed = client.get(url)
    assert feed.status_code == 200 and b"BEGIN:VEVENT" in feed.content
    client.force_login(r.t.head)
    client.post(reverse("oncall:feed-renew", args=[r.cardio.pk]))
    client.logout()
    assert client.get(url).status_code == 404


def test_a_doctor_gets_a_personal_feed_of_their_shifts(rota_shifts, client):
    client.force_login(rota_shifts.t.doctor)
    client.post(reverse("oncall:mine-feed-renew"))
    token = PersonalFeed.objects.get(user=rota_shifts.t.doctor).token
    client.logout()
    body = client.get(reverse("oncall:mine-ical", args=[token])).content.decode()
    assert body.count("BEGIN:VEVENT") == 11  # the doctor's March shifts
    assert "Astreinte de cardiologie" in body


def test_the_directory_service_page_shows_who_answers_the_senior_line_now(rota_shifts, client):
    with time_machine.travel(FRIDAY_NIGHT, tick=False):
        client.force_login(rota_shifts.t.gp)
        page = client.get(reverse("directory:service", args=[rota_shifts.t.cardio.pk]))
    text = page.content.decode()
    assert "Répond maintenant (astreinte à domicile)" in text
    assert "SANSOMPTE" in text


def test_the_sector_page_warns_of_the_next_council_deadline(rota, client):
    client.force_login(rota.t.gp2)
    page = client.get(reverse("oncall:roster", args=[rota.sector.pk])).content.decode()
    # No period sent yet: the next one starts today, its deadline is already past.
    assert "à transmettre au conseil de l'ordre au plus tard le 20/01/2026" in page
    assert "délai dépassé" in page


def test_after_a_quarter_is_sent_the_next_deadline_follows_it(rota, client):
    start, end = date(2026, 5, 1), date(2026, 7, 31)
    services.shifts_generate(actor=rota.t.gp, roster=rota.sector, start=start, end=end)
    services.period_submit(actor=rota.t.gp, roster=rota.sector, start=start, end=end)
    client.force_login(rota.t.gp)
    page = client.get(reverse("oncall:roster", args=[rota.sector.pk])).content.decode()
    assert "Prochain tableau (à partir du 01/08/2026)" in page
    assert "au plus tard le 17/06/2026" in page and "délai dépassé" not in page
