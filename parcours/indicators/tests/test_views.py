"""Indicator pages (issue 14): charts and their tables, filters, territory view, who sees
what, CSV files a French spreadsheet opens right, a query count that does not grow."""

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from parcours.indicators.forms import default_period
from parcours.referrals.models import Referral


def _month_ago(months: int, day: int = 10) -> datetime:
    """Noon on ``day`` of the month ``months`` before the current one (local time)."""
    today = timezone.localdate()
    year, month = today.year, today.month - months
    while month < 1:
        year, month = year - 1, month + 12
    return datetime(year, month, day, 12, tzinfo=timezone.get_current_timezone())


def _dated(referral, submitted, answer_hours=None, due_hours=48):
    """Place a request in the past: submitted at ``submitted``, answered ``answer_hours``
    later (or not), due ``due_hours`` after submission."""
    Referral.objects.filter(pk=referral.pk).update(
        submitted_at=submitted,
        due_at=submitted + timedelta(hours=due_hours),
        answered_at=submitted + timedelta(hours=answer_hours) if answer_hours else None,
    )


@pytest.fixture
def history(territory, make_referral):
    """Last month: two answered cardiology requests (1.5 h and 72 h, the second late), one
    unanswered; two months ago: one pneumology consultation answered in 3 h; one request to
    CH Beta last month."""
    last = _month_ago(1)
    _dated(make_referral(), last, 1.5)
    _dated(make_referral(kind="CONSULTATION"), last + timedelta(days=1), 72)
    _dated(make_referral(), last + timedelta(days=2))
    _dated(make_referral(service=territory.pneumo_svc, kind="CONSULTATION"), _month_ago(2), 3)
    _dated(make_referral(service=territory.beta_cardio), last, 10)
    return last


def _chart(response, key):
    return next(c for c in response.context["charts"] if c["key"] == key)


def test_monthly_charts_and_their_tables(territory, history, login):
    response = login(territory.desk).get(reverse("indicators:index"))
    assert response.status_code == 200
    html = response.content.decode()
    labels = _chart(response, "demandes-par-type")["json"]["labels"]
    assert len(labels) == 12  # the last twelve months, empty ones included
    last = len(labels) - 2  # last month; the current one is the last label
    by_kind = {
        s["label"]: s["data"] for s in _chart(response, "demandes-par-type")["json"]["series"]
    }
    assert by_kind["Avis spécialisé (téléexpertise)"][last] == 2
    assert by_kind["Consultation"][last] == 1 and by_kind["Consultation"][last - 1] == 1
    # CH Alpha's desk: CH Beta's request is not counted.
    assert response.context["totals"]["total"] == 4
    # Answered within 48 h last month: one of two (the third is unanswered).
    assert _chart(response, "dans-les-delais")["json"]["series"][0]["data"][last] == 50.0
    assert _chart(response, "delai-median")["json"]["series"][0]["data"][last] == 36.8
    assert _chart(response, "medecins-demandeurs")["json"]["series"][0]["data"][last] == 1
    # Each chart ships its data twice: as a table and as a JSON block for the chart library.
    assert html.count('type="application/json"') == 4
    assert 'data-chart="delai-median"' in html and "36,8 h" in html  # French decimals
    assert "chart.umd.min.js" in html
    # Counts only: the patient is nowhere on the page.
    assert "DUPONT" not in html.upper()


def test_filters_by_hospital_service_and_period(territory, history, login):
    client = login(territory.admin)
    everything = client.get(reverse("indicators:index"))
    assert everything.context["totals"]["total"] == 5
    beta = client.get(reverse("indicators:index"), {"etablissement": territory.beta.pk})
    assert beta.context["totals"]["total"] == 1
    pneumo = client.get(reverse("indicators:index"), {"service": territory.pneumo_svc.pk})
    assert pneumo.context["totals"]["total"] == 1
    month = f"{history:%Y-%m}"
    one_month = client.get(reverse("indicators:index"), {"du": month, "au": month})
    assert one_month.context["totals"]["total"] == 4
    assert len(_chart(one_month, "demandes-par-type")["json"]["labels"]) == 1
    assert "CH Beta" in one_month.content.decode()


@pytest.mark.parametrize(
    "params, message",
    [
        ({"du": "2026-13"}, "AAAA-MM"),
        ({"du": "hier"}, "AAAA-MM"),
        ({"au": "2999-01"}, "futur"),
        ({"du": "2020-01", "au": "2025-12"}, "limitée à 36 mois"),
        ({"du": "2025-06", "au": "2025-01"}, "précéder"),
    ],
)
def test_bad_filters_say_why_and_fall_back_to_the_last_twelve_months(
    territory, history, login, params, message
):
    response = login(territory.desk).get(reverse("indicators:index"), params)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["form"].period == default_period()


def test_a_service_of_another_hospital_is_refused(territory, history, login):
    client = login(territory.admin)
    response = client.get(
        reverse("indicators:index"),
        {"etablissement": territory.alpha.pk, "service": territory.beta_cardio.pk},
    )
    assert "n'appartient pas à l'établissement" in response.context["form"].errors["service"][0]
    assert "appartient pas à l" in response.content.decode()
    assert response.context["totals"]["total"] == 5  # filters ignored until corrected


def test_a_desk_cannot_look_at_another_hospital(territory, history, login):
    response = login(territory.desk).get(
        reverse("indicators:index"), {"etablissement": territory.beta.pk}
    )
    assert response.context["form"].errors
    assert response.context["totals"]["total"] == 4  # its own hospital only
    options = [str(o) for o in response.context["form"].fields["etablissement"].queryset]
    assert options == ["CH Alpha"]


def test_a_doctor_sees_their_services_only(territory, history, login):
    response = login(territory.pneumo).get(reverse("indicators:index"))
    assert response.context["totals"]["total"] == 1
    services = list(response.context["form"].fields["service"].queryset)
    assert services == [territory.pneumo_svc]
    assert response.context["territory"] is None


def test_territory_view_for_the_administrator_only(territory, history, login):
    admin = login(territory.admin).get(reverse("indicators:index"))
    rows = {r["hospital__name"]: r for r in admin.context["territory"]}
    assert (rows["CH Alpha"]["total"], rows["CH Beta"]["total"]) == (4, 1)
    assert rows["CH Alpha"]["on_time_rate"] == pytest.approx(66.7)
    assert "Territoire : comparaison des établissements" in admin.content.decode()
    desk = login(territory.desk).get(reverse("indicators:index"))
    assert desk.context["territory"] is None
    assert "Territoire" not in desk.content.decode()


@pytest.mark.parametrize(
    "who, status",
    [
        ("admin", 200),
        ("desk", 200),
        ("desk_beta", 200),
        ("doctor", 200),
        ("pneumo", 200),
        ("gp", 404),
        ("gp2", 404),
        ("cell", 404),
        ("nobody", 404),
    ],
)
def test_requests_indicators_per_role(territory, history, login, who, status):
    client = login(getattr(territory, who))
    assert client.get(reverse("indicators:index")).status_code == status
    assert client.get(reverse("indicators:index"), {"format": "csv"}).status_code == status


def test_anonymous_is_sent_to_log_in(client):
    for name in ("index", "appointments", "letters"):
        response = client.get(reverse(f"indicators:{name}"))
        assert response.status_code == 302 and "connexion" in response["Location"]


def test_csv_opens_right_in_a_french_spreadsheet(territory, history, login):
    month = f"{history:%Y-%m}"
    response = login(territory.admin).get(
        reverse("indicators:index"),
        {"format": "csv", "du": month, "au": month, "etablissement": territory.alpha.pk},
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    raw = response.content
    assert raw.startswith("\ufeff".encode())  # UTF-8 BOM: accents read right
    lines = raw.decode("utf-8-sig").split("\r\n")
    assert lines[0] == "Parcours — indicateurs des demandes"
    assert lines[1].startswith("Période;de ") and "(inclus)" in lines[1]
    assert lines[2] == "Établissement;CH Alpha"
    assert lines[3] == "Service;tous"
    assert lines[4].startswith("Extrait le;")
    assert lines[5] == ""
    assert lines[6].startswith("mois;service;Avis spécialisé")
    row = next(line for line in lines if "Cardiologie" in line)
    # 2 advice, 1 consultation, 0 + 0; 3 requests, 2 answered, median 36,8 h, 50 % on time.
    assert row == f"{month};CH Alpha — Cardiologie;2;0;1;0;3;2;36,8;50"
    assert "CH Beta" not in raw.decode("utf-8-sig")


def test_query_count_does_not_grow_with_the_rows(territory, make_referral, login):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert login(territory.admin).get(reverse("indicators:index")).status_code == 200
        return len(queries)

    _dated(make_referral(), _month_ago(1), 5)
    count()  # the first request of a session does more (session, caches)
    few = count()
    for months in range(1, 8):
        for service in (territory.cardio, territory.pneumo_svc, territory.beta_cardio):
            _dated(make_referral(service=service, kind="EXAM"), _month_ago(months, 3), 20)
    assert count() == few


def test_appointment_and_letter_pages_have_charts_filters_and_csv(territory, login):
    # No agenda for the admin's territory yet: charts are there, at zero.
    client = login(territory.admin)
    letters = client.get(reverse("indicators:letters"), {"etablissement": territory.alpha.pk})
    assert letters.status_code == 200
    assert [c["key"] for c in letters.context["charts"]] == ["sorties", "lettres-48h"]
    csv = client.get(
        reverse("indicators:letters"), {"format": "csv", "etablissement": territory.alpha.pk}
    )
    text = csv.content.decode("utf-8-sig")
    assert csv.content.startswith("\ufeff".encode())
    assert "Établissement;CH Alpha" in text.splitlines()


def test_csv_cells_are_never_formulas(territory, history, login):
    territory.alpha.name = '=HYPERLINK("x")'
    territory.alpha.save()
    text = (
        login(territory.desk)
        .get(reverse("indicators:index"), {"format": "csv"})
        .content.decode("utf-8-sig")
    )
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text and ";=HYPERLINK" not in text
